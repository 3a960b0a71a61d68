/* odata.c: the OData query options the emulator understands: $top/$skip paging with
 * nextLinks, $select, $count, and the $filter subset of graph-api.md 8.13
 * (eq ne gt ge lt le, joined by and/or; and binds tighter). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "graphd.h"
#include "odata.h"

/* Option names are case-insensitive and may come with or without '$' (3.0). */
static const char *
bare(const char *k)
{
	return *k == '$' ? k + 1 : k;
}

int
gd_odata_check(const struct gd_req *r, const char *const *allowed, char *bad, size_t n)
{
	size_t i, k;

	for (i = 0; i < r->nq; i++) {
		int ok = 0;
		for (k = 0; allowed[k] && !ok; k++)
			ok = strcasecmp(bare(r->qk[i]), allowed[k]) == 0 && *r->qk[i] == '$';
		if (!ok) {
			mbx_strlcpy(bad, r->qk[i], n);
			return -1;
		}
	}
	return 0;
}

const char *
gd_odata(const struct gd_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nq; i++)
		if (*r->qk[i] == '$' && strcasecmp(r->qk[i] + 1, name) == 0)
			return r->qv[i];
	return NULL;
}

int
gd_odata_paging(const struct gd_req *r, int deflt, long *top, long *skip)
{
	const char *t = gd_odata(r, "top"), *s = gd_odata(r, "skip");

	*top = deflt;
	*skip = 0;
	if (t && mbx_parse_long(t, 0, 1L << 30, top) < 0)
		return -1;
	if (s && mbx_parse_long(s, 0, 1L << 30, skip) < 0)
		return -1;
	if (*top > 1000)
		*top = 1000;          /* 8.12: values above the maximum clamp */
	return 0;
}

int
gd_odata_selected(const struct gd_req *r, const char *prop)
{
	const char *sel = gd_odata(r, "select"), *p;
	size_t n = strlen(prop);

	if (!sel)
		return 1;
	for (p = sel; *p;) {
		size_t k = strcspn(p, ",");
		while (*p == ' ')
			p++, k--;
		if (k == n && strncasecmp(p, prop, n) == 0)
			return 1;
		p += k + (p[k] == ',');
	}
	return 0;
}

/* This URL with every query option but drop, each followed by '&': a link's start. */
void
gd_odata_link(const struct gd_req *r, const char *drop, struct mbx_buf *out)
{
	size_t i;

	mbx_buf_printf(out, "%s%s?", r->self, r->url);
	for (i = 0; i < r->nq; i++) {
		if (strcasecmp(r->qk[i], drop) == 0)
			continue;
		mbx_url_escape(out, r->qk[i]);
		mbx_buf_putc(out, '=');
		mbx_url_escape(out, r->qv[i]);
		mbx_buf_putc(out, '&');
	}
}

/* The nextLink: this URL with every option but $skip, then %24skip=next. */
void
gd_odata_next(const struct gd_req *r, long next_skip, struct mbx_buf *out)
{
	gd_odata_link(r, "$skip", out);
	mbx_buf_printf(out, "%%24skip=%ld", next_skip);
}

/* Next token of a filter: a quoted string (quote doubled inside) or a word. */
static const char *
token(const char *p, char *out, size_t n, int *quoted)
{
	size_t k = 0;

	while (*p == ' ')
		p++;
	*quoted = *p == '\'';
	if (*quoted) {
		for (p++; *p && !(*p == '\'' && p[1] != '\''); p++) {
			if (*p == '\'')
				p++;
			if (k + 1 < n)
				out[k++] = *p;
		}
		if (*p != '\'')
			return NULL;
		p++;
	} else {
		while (*p && *p != ' ' && k + 1 < n)
			out[k++] = *p++;
	}
	out[k] = '\0';
	return k || *quoted ? p : NULL;
}

static int
compare(const char *op, int cmp)
{
	if (!strcasecmp(op, "eq")) return cmp == 0;
	if (!strcasecmp(op, "ne")) return cmp != 0;
	if (!strcasecmp(op, "gt")) return cmp > 0;
	if (!strcasecmp(op, "ge")) return cmp >= 0;
	if (!strcasecmp(op, "lt")) return cmp < 0;
	if (!strcasecmp(op, "le")) return cmp <= 0;
	return -2;
}

/* One "prop op value": 1, 0, or -1 (with err). */
static int
clause(const char **pp, gd_prop_fn get, void *ctx, char *err, size_t n)
{
	char prop[64], op[8], val[256];
	const char *s = NULL;
	long long num = 0;
	long v = 0;
	int q, kind, cmp, res;

	if (!(*pp = token(*pp, prop, sizeof prop, &q)) || q ||
	    !(*pp = token(*pp, op, sizeof op, &q)) || q ||
	    !(*pp = token(*pp, val, sizeof val, &q))) {
		snprintf(err, n, "Invalid filter clause: expected 'property operator value'.");
		return -1;
	}
	kind = get(ctx, prop, &s, &num);
	if (kind < 0) {
		snprintf(err, n, "Could not find a property named '%s' for $filter.", prop);
		return -1;
	}
	if (kind == 1 && !q && mbx_parse_long(val, -(1L << 62), 1L << 62, &v) == 0)
		cmp = num < v ? -1 : num > v;
	else if (kind == 0)
		cmp = strcmp(s ? s : "", val);
	else {
		snprintf(err, n, "The types of '%s' and '%s' are not compatible.", prop, val);
		return -1;
	}
	res = compare(op, cmp);
	if (res == -2) {
		snprintf(err, n, "Unsupported operator '%s' in $filter.", op);
		return -1;
	}
	return res;
}

int
gd_filter_match(const char *filter, gd_prop_fn get, void *ctx, char *err, size_t n)
{
	const char *p = filter;
	int any = 0, all = 1, c;
	char word[8];

	for (;;) {
		int q;
		if ((c = clause(&p, get, ctx, err, n)) < 0)
			return -1;
		all = all && c;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (!(p = token(p, word, sizeof word, &q)) || q) {
			snprintf(err, n, "Invalid $filter near '%s'.", filter);
			return -1;
		}
		if (!strcasecmp(word, "or")) {
			any = any || all;
			all = 1;
		} else if (strcasecmp(word, "and") != 0) {
			snprintf(err, n, "Unsupported $filter syntax '%s'.", word);
			return -1;
		}
	}
	return any || all;
}
