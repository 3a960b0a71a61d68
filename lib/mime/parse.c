/* parse.c: the tolerant MIME parser. A message is a tree of parts, each a byte range of
 * the source with its header block (RFC 5322 2.2, 3.6); multipart bodies are split at
 * their delimiter lines (RFC 2046 5.1.1), message/rfc822 bodies parsed as messages
 * (RFC 2046 5.2.1). Bodies stay in the source: decode.c reads them when needed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime.h"

struct pctx {
	struct mime_msg *m;
	char *err;
	size_t errlen;
	int failed;
};

static void
fail(struct pctx *c, const char *why)
{
	if (!c->failed)
		mbx_strlcpy(c->err, why, c->errlen);
	c->failed = 1;
}

static const char *const defect_names[MIME_D_NBITS] = {
	"noBoundary", "startBoundaryMissing", "closeBoundaryMissing", "headerSeparatorMissing",
	"headerNotUtf8", "unknownCharset", "badBase64", "nestedTooDeep",
	"unknownTransferEncoding", "nulInText", "badQuotedPrintable", "badUuencode",
	"tooManyAddresses",
};

const char *
mime_defect_name(int bit)
{
	return bit >= 0 && bit < MIME_D_NBITS ? defect_names[bit] : "?";
}

static size_t
eol_len(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n')
		return 2;
	return n >= 1 && (p[n - 1] == '\n' || p[n - 1] == '\r');
}

/* A field name (RFC 5322 2.2: printable ASCII but ':'), blanks allowed before the colon
 * as obs-header does (RFC 5322 4.5.8); the length up to and with the colon, 0 when not a field. */
static size_t
field_name_len(const unsigned char *p, size_t n)
{
	size_t i = 0, k;

	while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
		i++;
	if (i == 0)
		return 0;
	for (k = i; k < n && (p[k] == ' ' || p[k] == '\t'); k++)
		;
	return k < n && p[k] == ':' ? k + 1 : 0;
}

int
mime_field_line(const void *p, size_t n)
{
	return field_name_len(p, n) > 0;
}

static void
add_field(struct mime_part *pt, size_t at, size_t nlen, size_t vat)
{
	if ((pt->nf & (pt->nf - 1)) == 0 || pt->nf == 0)   /* powers of two: grow */
		pt->f = mbx_xrealloc(pt->f, (pt->nf ? 2 * pt->nf : 8) * sizeof *pt->f);
	pt->f[pt->nf++] = (struct mime_field){ at, nlen, vat, 0 };
}

struct hstate {
	struct mbx_buf b;
	int first, in_field, done;
};

/* One line of a header block: a field, its continuation, the blank line, or a line
 * that is none of them and so begins the body. Returns 1 to go on, 0 at the end. */
static int
header_line(struct mime_part *pt, struct hstate *h, const unsigned char *p, size_t n,
	    size_t off, int bol)
{
	size_t body = n - eol_len(p, n), nl;

	if (!bol || (h->in_field && (p[0] == ' ' || p[0] == '\t'))) {
		/* a continuation, or the rest of a line too long for one piece */
	} else if (body == 0) {
		pt->body = off + n;
		return 0;
	} else if (h->first && pt->depth == 0 && n >= 5 && memcmp(p, "From ", 5) == 0) {
		h->first = 0;                 /* an mbox From_ line left in front: not a field */
		return 1;
	} else if ((nl = field_name_len(p, body)) > 0) {
		while (nl > 1 && (p[nl - 2] == ' ' || p[nl - 2] == '\t'))
			nl--;
		add_field(pt, h->b.len, nl - 1, h->b.len + nl);
		h->in_field = 1;
	} else if (p[0] == ' ' || p[0] == '\t') {
		h->first = 0;                 /* a continuation before any field: kept, unused */
		return mbx_buf_append(&h->b, p, n) == 0 ? 1 : -1;
	} else {
		pt->defects |= MIME_D_SEPARATOR;
		pt->body = off;
		return 0;
	}
	h->first = 0;
	if (mbx_buf_append(&h->b, p, n) < 0)
		return -1;
	if (pt->nf)      /* the value runs to the end of its last line, line end excluded */
		pt->f[pt->nf - 1].vlen = h->b.len - eol_len(p, n) - pt->f[pt->nf - 1].val;
	return 1;
}

static int
read_header(struct pctx *c, struct mime_part *pt)
{
	struct mime_cur cur;
	struct hstate h = { .first = 1 };
	const unsigned char *p;
	size_t n, off;
	int bol, r, go = 1;

	mbx_buf_init(&h.b, MIME_HDR_MAX);
	mime_cur_init(&cur, c->m->src, pt->start, pt->end);
	pt->body = pt->end;
	while (go > 0 && (r = mime_cur_line(&cur, &p, &n, &off, &bol)) > 0)
		go = header_line(pt, &h, p, n, off, bol);
	if (go < 0)
		fail(c, "a header block is larger than 1 MiB");
	else if (go > 0 && r < 0)
		fail(c, strerror(cur.err));
	mime_cur_free(&cur);
	pt->hdrlen = h.b.len;
	pt->hdr = h.b.data ? mbx_buf_steal(&h.b) : mbx_strdup("");
	return c->failed ? -1 : 0;
}

char *
mime_field_at(const struct mime_part *p, const char *name, size_t *i)
{
	size_t k = strlen(name), j, n;
	const char *v;
	char *out;

	for (; *i < p->nf; ++*i) {
		const struct mime_field *f = &p->f[*i];
		if (f->nlen != k || strncasecmp(p->hdr + f->name, name, k) != 0)
			continue;
		v = p->hdr + f->val;
		n = f->vlen;
		out = mbx_xmalloc(n + 1);
		for (j = 0; n > 0; v++, n--)       /* unfold: CR and LF go, the blanks stay */
			if (*v != '\r' && *v != '\n')
				out[j++] = *v;
		while (j > 0 && (out[j - 1] == ' ' || out[j - 1] == '\t'))
			j--;
		out[j] = '\0';
		for (n = 0; out[n] == ' ' || out[n] == '\t'; n++)
			;
		memmove(out, out + n, j - n + 1);
		++*i;
		return out;
	}
	return NULL;
}

char *
mime_field(const struct mime_part *p, const char *name)
{
	size_t i = 0;

	return mime_field_at(p, name, &i);
}

const char *
mime_param(const struct mime_param *p, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(p[i].name, name) == 0)
			return p[i].value;
	return NULL;
}

int
mime_is(const struct mime_part *p, const char *type)
{
	size_t n = strlen(type);

	return type[n - 1] == '/' ? strncmp(p->type, type, n) == 0 : strcmp(p->type, type) == 0;
}

/* Content-Type (RFC 2045 5.1; a value that is not type/subtype is the default, 5.2),
 * Content-Transfer-Encoding (RFC 2045 6.1), Content-Disposition (RFC 2183). */
static void
content_fields(struct mime_part *pt, const char *deftype)
{
	char *v = mime_field(pt, "Content-Type"), main[128];

	mbx_strlcpy(pt->type, deftype, sizeof pt->type);
	if (v && mime_params_parse(v, main, sizeof main, &pt->params, &pt->nparams,
				   &pt->defects) == 0 && strchr(main, '/') && main[0] != '/' &&
	    main[strlen(main) - 1] != '/')
		mbx_strlcpy(pt->type, main, sizeof pt->type);
	free(v);
	v = mime_field(pt, "Content-Transfer-Encoding");
	pt->cte = mime_cte(v, &pt->defects);
	free(v);
	v = mime_field(pt, "Content-Disposition");
	if (v && mime_params_parse(v, main, sizeof main, &pt->dparams, &pt->ndparams,
				   &pt->defects) == 0)
		mbx_strlcpy(pt->disp, main, sizeof pt->disp);
	free(v);
}

static struct mime_part *parse_entity(struct pctx *c, size_t from, size_t to,
				      struct mime_part *parent, const char *deftype);

/* A delimiter line (RFC 2046 5.1.1): "--" boundary, "--" when it closes, then blanks
 * only. 1 a delimiter, 2 the close delimiter, 0 neither. */
static int
delimiter(const unsigned char *p, size_t n, const char *b, size_t bl)
{
	size_t i, close = 0;

	if (n < bl + 2 || p[0] != '-' || p[1] != '-' || memcmp(p + 2, b, bl) != 0)
		return 0;
	i = bl + 2;
	if (i + 1 < n && p[i] == '-' && p[i + 1] == '-') {
		close = 1;
		i += 2;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i == n - eol_len(p, n) ? 1 + (int)close : 0;
}

static void
add_child(struct mime_part *pt, struct mime_part **last, struct mime_part *ch)
{
	if (!ch)
		return;
	if (*last)
		(*last)->next = ch;
	else
		pt->child = ch;
	*last = ch;
}

/* The parts of a multipart: each runs from after a delimiter line to the line end
 * before the next one, which belongs to the delimiter (RFC 2046 5.1.1). Returns the
 * number of delimiters found. */
static int
split_multipart(struct pctx *c, struct mime_part *pt, const char *b)
{
	struct mime_cur cur;
	struct mime_part *last = NULL;
	const unsigned char *p;
	size_t n, off, bl = strlen(b), prev_eol = 0, from = 0;
	int bol, r = 0, d, found = 0, open = 0;

	mime_cur_init(&cur, c->m->src, pt->body, pt->end);
	while (!c->failed && (r = mime_cur_line(&cur, &p, &n, &off, &bol)) > 0) {
		d = bol ? delimiter(p, n, b, bl) : 0;
		/* delimiters in a row make no empty parts between them, as Python's
		 * email reads them */
		if (d && open && off > from)
			add_child(pt, &last, parse_entity(c, from, off - prev_eol < from ? from :
							  off - prev_eol, pt, NULL));
		prev_eol = eol_len(p, n);
		if (!d)
			continue;
		found++;
		open = d == 1;
		from = off + n;
		if (d == 2)
			break;
	}
	if (r < 0)
		fail(c, strerror(cur.err));
	mime_cur_free(&cur);
	if (open && !c->failed) {
		pt->defects |= MIME_D_CLOSE_BOUNDARY;
		c->m->open_at_end |= pt->end == c->m->src->len;
		add_child(pt, &last, parse_entity(c, from, pt->end, pt, NULL));
	}
	return found;
}

/* A multipart without a usable boundary is read as one text part (as RFC 2046 5.1.3
 * says of unrecognised subtypes, and as mail readers show it). */
static void
parse_multipart(struct pctx *c, struct mime_part *pt)
{
	const char *b = mime_param(pt->params, pt->nparams, "boundary");

	if (!b || !*b || strlen(b) > 200) {
		pt->defects |= MIME_D_NO_BOUNDARY;
		mbx_strlcpy(pt->type, "text/plain", sizeof pt->type);
	} else if (split_multipart(c, pt, b) == 0) {
		pt->defects |= MIME_D_START_BOUNDARY;
		mbx_strlcpy(pt->type, "text/plain", sizeof pt->type);
	}
}

static struct mime_part *
parse_entity(struct pctx *c, size_t from, size_t to, struct mime_part *parent,
	     const char *deftype)
{
	struct mime_part *pt;

	if (c->failed)
		return NULL;
	if (++c->m->nparts > MIME_MAX_PARTS) {
		fail(c, "more than 10000 MIME parts");
		return NULL;
	}
	pt = mbx_xcalloc(1, sizeof *pt);
	pt->parent = parent;
	pt->depth = parent ? parent->depth + 1 : 0;
	pt->start = from;
	pt->end = to;
	if (read_header(c, pt) < 0)
		return pt;
	if (!deftype)      /* RFC 2046 5.1.5: in a digest, parts are messages by default */
		deftype = parent && mime_is(parent, "multipart/digest") ? "message/rfc822" :
			  "text/plain";
	content_fields(pt, deftype);
	if ((mime_is(pt, "multipart/") || mime_is(pt, "message/rfc822") ||
	     mime_is(pt, "message/global")) && pt->depth >= MIME_MAX_DEPTH) {
		pt->defects |= MIME_D_DEPTH;
		mbx_strlcpy(pt->type, "application/octet-stream", sizeof pt->type);
	} else if (mime_is(pt, "multipart/")) {
		parse_multipart(c, pt);
	} else if ((mime_is(pt, "message/rfc822") || mime_is(pt, "message/global")) &&
		   pt->cte == MIME_CTE_IDENTITY) {
		pt->child = parse_entity(c, pt->body, pt->end, pt, "text/plain");
	}
	return pt;
}

static unsigned
all_defects(const struct mime_part *p)
{
	unsigned d = 0;

	for (; p; p = p->next)
		d |= p->defects | all_defects(p->child);
	return d;
}

int
mime_parse(struct mime_msg *m, const struct mime_src *src, char *err, size_t errlen)
{
	struct pctx c = { m, err, errlen, 0 };

	memset(m, 0, sizeof *m);
	if (errlen)
		err[0] = '\0';
	m->src = src;
	m->root = parse_entity(&c, 0, src->len, NULL, "text/plain");
	m->defects = all_defects(m->root);
	return c.failed ? -1 : 0;
}

static void
part_free(struct mime_part *p)
{
	struct mime_part *next;
	size_t i;

	for (; p; p = next) {
		next = p->next;
		part_free(p->child);
		free(p->hdr);
		free(p->f);
		for (i = 0; i < p->nparams; i++) {
			free((char *)p->params[i].name);
			free((char *)p->params[i].value);
		}
		for (i = 0; i < p->ndparams; i++) {
			free((char *)p->dparams[i].name);
			free((char *)p->dparams[i].value);
		}
		free(p->params);
		free(p->dparams);
		free(p);
	}
}

void
mime_msg_free(struct mime_msg *m)
{
	part_free(m->root);
	m->root = NULL;
}
