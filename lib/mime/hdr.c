/* hdr.c: reading header fields: RFC 2047 encoded words, RFC 2045/2231 parameters,
 * RFC 5322 address lists, dates and msg-ids, each with the obsolete forms of RFC 5322
 * 4 that real mail still has. Everything comes out as UTF-8. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime-int.h"

#define WORD_MAX 4096              /* bytes of one encoded word's text */

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* ------------------------------------------------------------ charsets */

int
mime_to_utf8(struct mbx_buf *out, const char *charset, const void *p, size_t n,
	     unsigned *defects)
{
	unsigned cp = charset && *charset ? mime_cp_from_name(charset) : 20127;
	char err[128];

	if (cp && mime_cp_known(cp))
		return mime_decode_cp(out, cp, p, n, NULL, err, sizeof err);
	*defects |= MIME_D_CHARSET;
	if (mime_utf8_valid_len(p, n) == n)
		return mbx_buf_append(out, p, n);
	return mime_decode_cp(out, 1252, p, n, NULL, err, sizeof err);
}

/* Raw header text: ASCII and UTF-8 as they are (RFC 6532), other bytes as windows-1252. */
static void
raw_text(struct mbx_buf *out, const char *p, size_t n, unsigned *defects)
{
	char err[128];

	if (mime_utf8_valid_len(p, n) == n) {
		mbx_buf_append(out, p, n);
		return;
	}
	*defects |= MIME_D_8BIT_HEADER;
	mime_decode_cp(out, 1252, p, n, NULL, err, sizeof err);
}

char *
mime_utf8_own(char *s, unsigned *defects)
{
	struct mbx_buf b;
	size_t n;

	if (!s)
		return s;
	n = strlen(s);
	if (mime_utf8_valid_len(s, n) == n)
		return s;
	*defects |= MIME_D_8BIT_HEADER;
	mbx_buf_init(&b, 0);
	mime_utf8_repair(&b, s, n);
	free(s);
	return b.data ? mbx_buf_steal(&b) : mbx_strdup("");
}

/* ------------------------------------------------------- encoded words */

struct word {
	char charset[64];
	char enc;                  /* 'B' or 'Q' */
	const char *text;
	size_t len, total;         /* the encoded text; the whole word */
};

/* "=?charset[*lang]?B|Q?text?=" at s (RFC 2047 2, RFC 2231 5); 1 when it is one. */
static int
scan_word(const char *s, struct word *w)
{
	const char *q, *t, *e;
	size_t cl;

	if (s[0] != '=' || s[1] != '?')
		return 0;
	if (!(q = strchr(s + 2, '?')) || (cl = (size_t)(q - s - 2)) == 0 || cl >= sizeof w->charset)
		return 0;
	if (!strchr("BbQq", q[1]) || !q[1] || q[2] != '?')
		return 0;
	t = q + 3;
	if (!(e = strstr(t, "?=")) || (size_t)(e - t) > WORD_MAX)
		return 0;
	memcpy(w->charset, s + 2, cl);
	w->charset[cl] = '\0';
	w->charset[strcspn(w->charset, "*")] = '\0';
	w->enc = (char)toupper((unsigned char)q[1]);
	w->text = t;
	w->len = (size_t)(e - t);
	w->total = (size_t)(e + 2 - s);
	return 1;
}

/* The bytes of an encoded word (RFC 2047 4.1 B, 4.2 Q) appended to out. */
static void
word_bytes(struct mbx_buf *out, const struct word *w, unsigned *defects)
{
	unsigned acc = 0;
	int nacc = 0, h, l;
	size_t i;

	for (i = 0; i < w->len; i++) {
		int c = (unsigned char)w->text[i];
		if (w->enc == 'Q') {
			if (c == '_')
				c = ' ';
			else if (c == '=' && i + 2 < w->len + 1 && (h = hexval(w->text[i + 1])) >= 0 &&
				 (l = hexval(i + 2 < w->len ? w->text[i + 2] : -1)) >= 0) {
				c = h << 4 | l;
				i += 2;
			}
			mbx_buf_putc(out, (char)c);
			continue;
		}
		h = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 :
		    c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' || c == '-' ? 62 :
		    c == '/' || c == '_' ? 63 : -1;
		if (h < 0)
			continue;
		acc = acc << 6 | (unsigned)h;
		if (++nacc == 4) {
			mbx_buf_putc(out, (char)(acc >> 16));
			mbx_buf_putc(out, (char)(acc >> 8));
			mbx_buf_putc(out, (char)acc);
			nacc = 0;
			acc = 0;
		}
	}
	if (nacc == 1)
		*defects |= MIME_D_BASE64;
	if (nacc >= 2)
		mbx_buf_putc(out, (char)(acc >> (6 * nacc - 8)));
	if (nacc == 3)
		mbx_buf_putc(out, (char)(acc >> 2));
}

/* Decoded bytes of words in one charset wait here, so that a character split over two
 * words comes out whole (RFC 2047 5 lets a writer split only between characters, but
 * many split bytes). */
struct pending {
	struct mbx_buf bytes;
	char charset[64];
};

static void
flush_pending(struct mbx_buf *out, struct pending *pd, unsigned *defects)
{
	if (pd->bytes.len)
		mime_to_utf8(out, pd->charset, pd->bytes.data, pd->bytes.len, defects);
	mbx_buf_reset(&pd->bytes);
}

static int
all_wsp(const char *s, const char *e)
{
	for (; s < e; s++)
		if (!is_wsp(*s))
			return 0;
	return 1;
}

char *
mime_words(const char *v, unsigned *defects)
{
	struct mbx_buf out;
	struct pending pd;
	struct word w;
	const char *s = v ? v : "", *run = s;

	mbx_buf_init(&out, 0);
	mbx_buf_init(&pd.bytes, 0);
	pd.charset[0] = '\0';
	while (*s) {
		if (!scan_word(s, &w)) {
			s++;
			continue;
		}
		/* blanks between two encoded words are dropped (RFC 2047 6.2) */
		if (!pd.bytes.len || !all_wsp(run, s) || strcasecmp(w.charset, pd.charset)) {
			flush_pending(&out, &pd, defects);
			if (!(out.len && all_wsp(run, s) && run > v && run[-1] == '='))
				raw_text(&out, run, (size_t)(s - run), defects);
			mbx_strlcpy(pd.charset, w.charset, sizeof pd.charset);
		}
		word_bytes(&pd.bytes, &w, defects);
		s += w.total;
		run = s;
	}
	flush_pending(&out, &pd, defects);
	raw_text(&out, run, (size_t)(s - run), defects);
	mbx_buf_free(&pd.bytes);
	return out.data ? mbx_buf_steal(&out) : mbx_strdup("");
}

/* ------------------------------------------------------------ parameters */

/* The end of the (nested) comment at s, e or after its ')' (RFC 5322 3.2.2). */
static const char *
comment_end(const char *s, const char *e)
{
	int depth = 0;

	for (; s < e; s++) {
		if (*s == '\\' && s + 1 < e)
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth == 0)
			return s + 1;
	}
	return e;
}

/* Skip blanks and (nested) comments (RFC 5322 3.2.2). */
static const char *
skip_cfws(const char *s)
{

	for (;;) {
		while (is_wsp(*s))
			s++;
		if (*s != '(')
			return s;
		s = comment_end(s, s + strlen(s));
	}
}

/* A quoted string at s (after its '"'): unquoted into out, the end returned. */
static const char *
quoted(const char *s, struct mbx_buf *out)
{
	for (; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1])
			s++;
		mbx_buf_putc(out, *s);
	}
	return *s ? s + 1 : s;
}

struct rawparam {          /* a parameter as written: name*section*=value */
	char *name, *value;
	int section, ext;          /* section -1 when none; ext: the value is %-encoded */
};

/* One "name=value" at s (after the ';'); the end, or NULL when there is none. */
static const char *
one_param(const char *s, struct rawparam *rp)
{
	struct mbx_buf v;
	const char *n = skip_cfws(s), *e, *star;
	size_t nl;
	long sec;

	for (e = n; *e && *e != '=' && *e != ';' && !is_wsp(*e); e++)
		;
	if ((nl = (size_t)(e - n)) == 0)
		return NULL;
	s = skip_cfws(e);
	if (*s != '=')
		return s;           /* a name without a value: ignored */
	rp->name = mbx_strndup(n, nl);
	rp->section = -1;
	rp->ext = nl > 1 && rp->name[nl - 1] == '*';
	if (rp->ext)
		rp->name[--nl] = '\0';
	if ((star = strchr(rp->name, '*')) && mbx_parse_long(star + 1, 0, 999, &sec) == 0) {
		rp->section = (int)sec;
		rp->name[star - rp->name] = '\0';
	}
	s = skip_cfws(s + 1);
	mbx_buf_init(&v, 0);
	if (*s == '"') {
		s = quoted(s + 1, &v);
	} else {
		for (e = s; *e && *e != ';'; e++)
			;
		while (e > s && is_wsp(e[-1]))
			e--;
		mbx_buf_append(&v, s, (size_t)(e - s));
		s = e;
	}
	rp->value = v.data ? mbx_buf_steal(&v) : mbx_strdup("");
	return s;
}

static void
pct_decode(struct mbx_buf *out, const char *s)
{
	int h, l;

	for (; *s; s++) {
		if (*s == '%' && (h = hexval(s[1])) >= 0 && (l = hexval(s[2])) >= 0) {
			mbx_buf_putc(out, (char)(h << 4 | l));
			s += 2;
		} else {
			mbx_buf_putc(out, *s);
		}
	}
}

static int
by_section(const void *a, const void *b)
{
	const struct rawparam *x = *(struct rawparam *const *)a, *y = *(struct rawparam *const *)b;

	return x->section - y->section;
}

/* The sections of name, in order (RFC 2231 3-4): the first extended one says the
 * charset ("charset'language'"), every extended one is %-encoded. */
static char *
join_sections(struct rawparam *rp, size_t n, const char *name, unsigned *defects)
{
	struct rawparam **s = mbx_xcalloc(n, sizeof *s);
	struct mbx_buf bytes, out;
	char charset[64] = "";
	size_t k = 0, i;
	const char *v, *q;

	for (i = 0; i < n; i++)
		if (rp[i].name && strcasecmp(rp[i].name, name) == 0 &&
		    (rp[i].section >= 0 || rp[i].ext))
			s[k++] = &rp[i];
	qsort(s, k, sizeof *s, by_section);
	mbx_buf_init(&bytes, 0);
	for (i = 0; i < k; i++) {
		v = s[i]->value;
		if (i == 0 && s[i]->ext && (q = strchr(v, '\'')) && strchr(q + 1, '\'')) {
			mbx_strlcpy(charset, v, (size_t)(q - v) + 1 < sizeof charset ?
				    (size_t)(q - v) + 1 : sizeof charset);
			v = strchr(q + 1, '\'') + 1;
		}
		if (s[i]->ext)
			pct_decode(&bytes, v);
		else
			mbx_buf_puts(&bytes, v);
	}
	mbx_buf_init(&out, 0);
	mime_to_utf8(&out, *charset ? charset : "utf-8", bytes.data ? bytes.data : "",
		     bytes.len, defects);
	mbx_buf_free(&bytes);
	free(s);
	return out.data ? mbx_buf_steal(&out) : mbx_strdup("");
}

/* Parameters, each name once: RFC 2231 sections win over a plain value (RFC 2231 4.1
 * lets a writer give both for old readers). */
static void
assemble(struct rawparam *rp, size_t n, struct mime_param **p, size_t *np, unsigned *defects)
{
	size_t i, k;
	int split;

	*p = mbx_xcalloc(n ? n : 1, sizeof **p);
	*np = 0;
	for (i = 0; i < n; i++) {
		for (k = 0; k < *np && strcasecmp((*p)[k].name, rp[i].name) != 0; k++)
			;
		if (k < *np)
			continue;
		for (split = 0, k = i; k < n; k++)
			split |= strcasecmp(rp[k].name, rp[i].name) == 0 &&
				 (rp[k].section >= 0 || rp[k].ext);
		(*p)[*np].name = mbx_strdup(rp[i].name);
		(*p)[*np].value = split ? join_sections(rp, n, rp[i].name, defects) :
				  mime_words(rp[i].value, defects);
		++*np;
	}
}

int
mime_params_parse(const char *v, char *main, size_t mainlen, struct mime_param **p,
		  size_t *n, unsigned *defects)
{
	struct rawparam *rp = NULL;
	size_t nrp = 0, i, k = 0;
	const char *s = skip_cfws(v);

	*p = NULL;
	*n = 0;
	if (mainlen)
		main[0] = '\0';
	for (; *s && *s != ';'; s++)         /* the value: blanks and comments dropped */
		if (!is_wsp(*s) && *s != '"' && k + 1 < mainlen)
			main[k++] = (char)tolower((unsigned char)*s);
	if (mainlen)
		main[k] = '\0';
	if ((k = strcspn(main, "(")) < strlen(main))
		main[k] = '\0';
	while (*s == ';' && nrp < 1000) {
		struct rawparam r = { 0 };
		const char *e = one_param(s + 1, &r);
		if (r.name) {
			rp = mbx_xrealloc(rp, (nrp + 1) * sizeof *rp);
			rp[nrp++] = r;
		}
		if (!e)
			break;
		s = strchr(e, ';') ? strchr(e, ';') : e + strlen(e);
	}
	assemble(rp, nrp, p, n, defects);
	for (i = 0; i < nrp; i++) {
		free(rp[i].name);
		free(rp[i].value);
	}
	free(rp);
	return *main ? 0 : -1;
}

int
mime_cte(const char *v, unsigned *defects)
{
	static const struct {
		const char *name;
		int cte;
	} map[] = {
		{ "7bit", MIME_CTE_IDENTITY }, { "8bit", MIME_CTE_IDENTITY },
		{ "binary", MIME_CTE_IDENTITY }, { "quoted-printable", MIME_CTE_QP },
		{ "base64", MIME_CTE_BASE64 }, { "x-uuencode", MIME_CTE_UUENCODE },
		{ "uuencode", MIME_CTE_UUENCODE }, { "x-uue", MIME_CTE_UUENCODE },
	};
	char main[64];
	struct mime_param *p;
	size_t n, i;

	if (!v)
		return MIME_CTE_IDENTITY;
	mime_params_parse(v, main, sizeof main, &p, &n, defects);
	for (i = 0; i < n; i++) {
		free((char *)p[i].name);
		free((char *)p[i].value);
	}
	free(p);
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(main, map[i].name) == 0)
			return map[i].cte;
	*defects |= MIME_D_CTE;
	return MIME_CTE_IDENTITY;
}

/* ------------------------------------------------------------- addresses */

/* A phrase (display name): quoted strings unquoted, comments dropped, blanks made one,
 * encoded words decoded (also inside quotes, as mail readers do). */
static char *
phrase(const char *s, size_t n, unsigned *defects)
{
	struct mbx_buf b;
	const char *e = s + n;
	char *raw, *out;
	int sp = 0;

	mbx_buf_init(&b, 0);
	while (s < e) {
		if (*s == '"') {
			const char *q = s + 1;
			for (; q < e && *q != '"'; q++) {
				if (*q == '\\' && q + 1 < e)
					q++;
				mbx_buf_putc(&b, *q);
			}
			s = q < e ? q + 1 : e;
			sp = 0;
		} else if (*s == '(') {
			s = comment_end(s, e);
		} else if (is_wsp(*s)) {
			if (b.len && !sp)
				mbx_buf_putc(&b, ' ');
			sp = 1;
			s++;
		} else {
			mbx_buf_putc(&b, *s++);
			sp = 0;
		}
	}
	while (b.len && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	raw = b.data ? mbx_buf_steal(&b) : mbx_strdup("");
	out = mime_words(raw, defects);
	free(raw);
	if (!*out) {
		free(out);
		return NULL;
	}
	return out;
}

/* The text of the comments in s..e, for "addr (Name)" (RFC 5322 4.4 obs form). */
static char *
comment_text(const char *s, const char *e, unsigned *defects)
{
	const char *o = s < e ? memchr(s, '(', (size_t)(e - s)) : NULL, *c;

	if (!o)
		return NULL;
	for (c = e; c > o && c[-1] != ')'; c--)
		;
	return c > o + 1 ? phrase(o + 1, (size_t)(c - 1 - o - 1), defects) : NULL;
}

/* addr-spec: blanks and comments outside quotes dropped; a route (obs-route) too. */
static char *
addr_spec(const char *s, const char *e)
{
	struct mbx_buf b;
	int q = 0, depth = 0;
	const char *colon;

	mbx_buf_init(&b, 0);
	for (; s < e; s++) {
		if (q) {
			if (*s == '\\' && s + 1 < e)
				mbx_buf_putc(&b, *s++);
			else if (*s == '"')
				q = 0;
			mbx_buf_putc(&b, *s);
		} else if (depth) {
			depth += *s == '(' ? 1 : *s == ')' ? -1 : 0;
		} else if (*s == '(') {
			depth = 1;
		} else if (*s == '"') {
			q = 1;
			mbx_buf_putc(&b, *s);
		} else if (!is_wsp(*s) && *s != '<' && *s != '>') {
			mbx_buf_putc(&b, *s);
		}
	}
	if (b.data && b.data[0] == '@' && (colon = strchr(b.data, ':')) != NULL)
		memmove(b.data, colon + 1, strlen(colon + 1) + 1);
	return b.data ? mbx_buf_steal(&b) : NULL;
}

static void
add_mbox(struct mime_mbox **out, size_t *n, const char *s, const char *e, unsigned *defects)
{
	const char *lt = NULL, *gt = NULL, *p;
	int q = 0;
	struct mime_mbox m = { 0 };

	for (p = s; p < e; p++) {
		if (*p == '\\' && q && p + 1 < e)
			p++;
		else if (*p == '"')
			q = !q;
		else if (!q && *p == '<' && !lt)
			lt = p;
		else if (!q && *p == '>' && lt && !gt)
			gt = p;
	}
	if (lt) {
		m.addr = addr_spec(lt + 1, gt ? gt : e);
		m.name = phrase(s, (size_t)(lt - s), defects);
	} else {
		m.addr = addr_spec(s, e);
		m.name = comment_text(s, e, defects);
	}
	m.addr = mime_utf8_own(m.addr, defects);    /* RFC 6532 allows UTF-8, nothing else */
	if (m.addr && !*m.addr) {          /* "<>", the null sender: a name at most */
		free(m.addr);
		m.addr = NULL;
	}
	if (!m.addr && !m.name)
		return;
	if ((*n & (*n - 1)) == 0)
		*out = mbx_xrealloc(*out, (*n ? 2 * *n : 4) * sizeof **out);
	(*out)[(*n)++] = m;
}

/* What follows the last mailbox read holds another one: a defect, not a silent cut. */
static void
more(const char *s, unsigned *defects)
{
	s += strspn(s, " \t\r\n,;");
	if (*s)
		*defects |= MIME_D_ADDRESSES;
}

/* Mailboxes split at top-level commas; a group ("name: a, b;", RFC 5322 3.4) gives its
 * members, its name dropped. */
size_t
mime_addrs(const char *v, struct mime_mbox **out, unsigned *defects)
{
	const char *s = v ? v : "", *start = s;
	int q = 0, depth = 0, angle = 0, seen_at = 0;
	size_t n = 0;

	*out = NULL;
	for (;; s++) {
		if (*s && q) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				q = 0;
		} else if (*s && depth) {
			if (*s == '\\' && s[1])
				s++;
			depth += *s == '(' ? 1 : *s == ')' ? -1 : 0;
		} else if (*s == '"') {
			q = 1;
		} else if (*s == '(') {
			depth = 1;
		} else if (*s == '<') {
			angle = 1;
		} else if (*s == '>') {
			angle = 0;
		} else if (*s == '@') {
			seen_at = 1;
		} else if (*s == ':' && !angle && !seen_at) {
			start = s + 1;           /* a group's name */
		} else if (!*s || ((*s == ',' || *s == ';') && !angle)) {
			add_mbox(out, &n, start, s, defects);
			start = s + 1;
			seen_at = 0;
			if (!*s)
				break;
			if (n >= MIME_ADDRS_MAX) {
				more(s + 1, defects);
				break;
			}
		}
	}
	return n;
}

void
mime_addrs_free(struct mime_mbox *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].addr);
	}
	free(a);
}

/* ----------------------------------------------------------------- dates */

static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul",
				      "aug", "sep", "oct", "nov", "dec" };

/* RFC 5322 4.3 zone names; military zones (one letter) count as 0000 there. */
static int
zone_name(const char *t, size_t n, long *off)
{
	static const struct {
		const char *name;
		int hours;
	} z[] = { { "ut", 0 }, { "utc", 0 }, { "gmt", 0 }, { "z", 0 }, { "est", -5 },
		  { "edt", -4 }, { "cst", -6 }, { "cdt", -5 }, { "mst", -7 }, { "mdt", -6 },
		  { "pst", -8 }, { "pdt", -7 } };
	size_t i;

	for (i = 0; i < sizeof z / sizeof z[0]; i++)
		if (strlen(z[i].name) == n && strncasecmp(t, z[i].name, n) == 0) {
			*off = z[i].hours * 3600L;
			return 1;
		}
	if (n == 1 && isalpha((unsigned char)*t)) {
		*off = 0;
		return 1;
	}
	return 0;
}

struct dparts {
	long day, mon, year, h, mi, sec, zone;
	int have_time, have_zone, ndays;
	long nums[4];
	int nnums, mon_at;         /* numbers seen; the month's place among them */
};

static void
date_token(struct dparts *d, const char *t, size_t n)
{
	long v;
	size_t i;
	char buf[16];

	if (n >= sizeof buf)
		return;
	memcpy(buf, t, n);
	buf[n] = '\0';
	if (strchr(buf, ':') && !d->have_time) {
		d->sec = 0;
		if (sscanf(buf, "%ld:%ld:%ld", &d->h, &d->mi, &d->sec) >= 2)
			d->have_time = 1;
	} else if ((buf[0] == '+' || buf[0] == '-') && n == 5 && isdigit((unsigned char)buf[1]) &&
		   mbx_parse_long(buf + 1, 0, 9999, &v) == 0 && !d->have_zone) {
		d->zone = (buf[0] == '-' ? -1 : 1) * (v / 100 * 3600 + v % 100 * 60);
		d->have_zone = 1;
	} else if (mbx_parse_long(buf, 0, 99999, &v) == 0 && d->nnums < 4) {
		d->nums[d->nnums++] = v;
	} else if (isalpha((unsigned char)buf[0])) {
		for (i = 0; i < 12 && d->mon == 0; i++)
			if (n >= 3 && strncasecmp(buf, months[i], 3) == 0) {
				d->mon = (long)i + 1;
				d->mon_at = d->nnums;
			}
		if (d->mon == 0 || (long)i != d->mon)
			if (!d->have_zone && zone_name(buf, n, &d->zone))
				d->have_zone = n > 1 || d->have_time;
	}
}

/* The day is the number next to the month (before it in RFC 5322, after it in asctime);
 * the year is a 4-digit number, or the other one (2 digits: RFC 5322 4.3). */
static int
date_fields(struct dparts *d)
{
	int i, di = d->mon_at > 0 ? d->mon_at - 1 : 0, yi = -1;

	if (!d->mon || !d->have_time || d->nnums < 2)
		return -1;
	if (d->mon_at == 0 || d->nums[di] > 31)
		di = d->mon_at;
	for (i = 0; i < d->nnums; i++)
		if (i != di && (yi < 0 || d->nums[i] >= 1000))
			yi = i;
	if (di >= d->nnums || yi < 0)
		return -1;
	d->day = d->nums[di];
	d->year = d->nums[yi];
	if (d->year < 50)
		d->year += 2000;
	else if (d->year < 1000)
		d->year += 1900;
	return d->day >= 1 && d->day <= 31 && d->h < 24 && d->mi < 60 && d->sec <= 60 ? 0 : -1;
}

int
mime_date_parse(const char *v, long long *out)
{
	struct dparts d;
	const char *s = v ? v : "", *t;
	char iso[160];        /* room for any long: the fields are checked below */

	memset(&d, 0, sizeof d);
	*out = 0;
	while (*s) {
		s = skip_cfws(s);
		for (t = s; *t && !is_wsp(*t) && *t != ',' && *t != '('; t++)
			;
		if (t > s)
			date_token(&d, s, (size_t)(t - s));
		s = *t == ',' ? t + 1 : t;
	}
	if (date_fields(&d) < 0 || d.year > 9999)
		return -1;
	snprintf(iso, sizeof iso, "%04ld-%02ld-%02ldT%02ld:%02ld:%02ldZ", d.year, d.mon, d.day,
		 d.h, d.mi, d.sec);
	if (mime_iso_unix(iso, out) < 0)
		return -1;
	*out -= d.zone;
	return 0;
}

char *
mime_msgid(const char *v)
{
	const char *lt, *gt, *s;

	if (!v)
		return NULL;
	if ((lt = strchr(v, '<')) && (gt = strchr(lt, '>')) && gt > lt + 1)
		return mbx_strndup(lt, (size_t)(gt + 1 - lt));
	s = skip_cfws(v);
	return *s ? mbx_strndup(s, strcspn(s, " \t\r\n")) : NULL;
}
