/* rtf.c: RTF bodies to UTF-8. MS-OXRTFEX: HTML or plain text that was encapsulated in
 * RTF is taken back out (2.2.3: recognised by \fromhtml or \fromtext among the first 10
 * tokens, 2.2.3.1; markup from {\*\htmltagN ...} groups, text between them, nothing of
 * \htmlrtf ... \htmlrtf0, 2.1.3.1.2-3); RTF that encapsulates nothing is stripped to its
 * text. Text bytes (\'hh and 8-bit runs) are in the code page of the current font (its
 * \fcharsetN or \cpgN in the font table) or the document's \ansicpgN; inside htmltag
 * groups the document's (2.2.3.2). \uN with its \ucN fallback characters skipped. */
#include <stdlib.h>
#include <string.h>
#include "mime-int.h"

#define RTF_DEPTH 1024             /* groups nested deeper are refused */
#define RTF_FONTS 256              /* fonts remembered from the font table */

struct grp {
	unsigned char skip;        /* a destination whose text is not text */
	unsigned char htmlrtf;     /* \htmlrtf on: RTF-only content (2.1.3.1.3) */
	unsigned char htmltag;     /* inside {\*\htmltagN ...} */
	unsigned char fonttbl;     /* inside the font table */
	unsigned uc;               /* \ucN: fallback characters after \uN */
	unsigned cp;               /* code page of the current font */
};

struct rtf {
	const unsigned char *p;
	size_t n, i;
	int kind;
	struct mbx_buf *out;
	struct grp g[RTF_DEPTH];
	int depth;
	int star;                  /* \* seen: the group is a destination */
	int first;                 /* the next control word is the group's first */
	unsigned defcp;            /* \ansicpgN */
	int deff;                  /* \deffN */
	int curfont;               /* font table: the font being defined */
	unsigned fontcp[RTF_FONTS];
	unsigned char bytes[4096]; /* text bytes waiting to be decoded */
	size_t nbytes;
	unsigned bytes_cp;
	unsigned skip_chars;       /* \uN fallback still to skip */
	uint32_t high;             /* a high surrogate from \uN waiting for its pair */
	int full;
};

static struct grp *
G(struct rtf *r)
{
	return &r->g[r->depth];
}

static int
active(struct rtf *r)
{
	const struct grp *g = G(r);

	if (g->skip || g->fonttbl)
		return 0;
	/* encapsulated: text outside htmltag groups is the HTML's (or the text's) text */
	return r->kind == MIME_RTF_NONE || !g->htmlrtf;
}

static void
put(struct rtf *r, const void *p, size_t n)
{
	if (!r->full && mbx_buf_append(r->out, p, n) < 0)
		r->full = 1;
}

static void
flush_bytes(struct rtf *r)
{
	char err[80];
	size_t bad;

	if (!r->nbytes)
		return;
	if (mime_decode_cp(r->out, r->bytes_cp, r->bytes, r->nbytes, &bad, err, sizeof err) < 0 &&
	    mime_decode_cp(r->out, 1252, r->bytes, r->nbytes, &bad, err, sizeof err) < 0)
		r->full = 1;
	r->nbytes = 0;
}

static unsigned
text_cp(struct rtf *r)
{
	return G(r)->htmltag || !G(r)->cp ? r->defcp : G(r)->cp;
}

/* One byte of text (8-bit or \'hh), decoded with others of its code page. */
static void
text_byte(struct rtf *r, unsigned char c)
{
	unsigned cp = text_cp(r);

	if (r->skip_chars) {
		r->skip_chars--;
		return;
	}
	if (!active(r))
		return;
	if (r->nbytes && (r->bytes_cp != cp || r->nbytes == sizeof r->bytes))
		flush_bytes(r);
	r->bytes_cp = cp;
	r->bytes[r->nbytes++] = c;
}

static void
text_str(struct rtf *r, const char *s)
{
	if (!active(r))
		return;
	flush_bytes(r);
	put(r, s, strlen(s));
}

static void
put_unicode(struct rtf *r, uint32_t c)
{
	unsigned char u[4];

	flush_bytes(r);
	put(r, u, mime_utf8_enc(c, u));
}

/* \uN: a UTF-16 unit (negative N for units past 32767); pairs joined. */
static void
unicode(struct rtf *r, long v)
{
	uint32_t c = (uint32_t)(v < 0 ? v + 65536 : v) & 0xFFFF;

	r->skip_chars = G(r)->uc;
	if (!active(r))
		return;
	if (c >= 0xD800 && c < 0xDC00) {
		r->high = c;
		return;
	}
	if (c >= 0xDC00 && c < 0xE000 && r->high)
		c = 0x10000 + ((r->high - 0xD800) << 10) + (c - 0xDC00);
	else if (c >= 0xD800 && c < 0xE000)
		c = 0xFFFD;
	r->high = 0;
	put_unicode(r, c);
}

/* Destinations whose text is not document text (RTF 1.9.1: header groups, pictures,
 * objects, field instructions). */
static int
skipped_dest(const char *w)
{
	static const char *const d[] = { "colortbl", "stylesheet", "info", "pict", "object",
		"header", "headerl", "headerr", "headerf", "footer", "footerl", "footerr", "footerf",
		"footnote", "fldinst", "listtable", "listoverridetable", "revtbl", "rsidtbl",
		"generator", "xmlnstbl", "themedata", "colorschememapping", "datastore",
		"latentstyles", "pgdsctbl", "filetbl", "mmathPr", "bkmkstart", "bkmkend",
		"mhtmltag", "author", "operator", "title", "subject", "keywords", "comment",
		"doccomm", "company", "nonshppict", "shppict", "private", NULL };
	const char *const *k;

	for (k = d; *k; k++)
		if (strcmp(w, *k) == 0)
			return 1;
	return 0;
}

/* Control words that are text. */
static const char *
word_text(const char *w)
{
	static const struct { const char *w, *t; } map[] = {
		{ "par", "\n" }, { "line", "\n" }, { "tab", "\t" }, { "cell", "\t" },
		{ "row", "\n" }, { "page", "\n" }, { "sect", "\n" }, { "emdash", "\xE2\x80\x94" },
		{ "endash", "\xE2\x80\x93" }, { "bullet", "\xE2\x80\xA2" },
		{ "lquote", "\xE2\x80\x98" }, { "rquote", "\xE2\x80\x99" },
		{ "ldblquote", "\xE2\x80\x9C" }, { "rdblquote", "\xE2\x80\x9D" },
		{ "emspace", " " }, { "enspace", " " }, { "qmspace", " " },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(w, map[i].w) == 0)
			return map[i].t;
	return NULL;
}

static unsigned
font_cp(struct rtf *r, long f)
{
	return f >= 0 && f < RTF_FONTS && r->fontcp[f] ? r->fontcp[f] : 0;
}

/* A control word with its parameter (has == 0: none). */
static void
control(struct rtf *r, const char *w, long v, int has)
{
	struct grp *g = G(r);
	const char *t;
	int first = r->first, star = r->star;

	r->first = r->star = 0;
	if (strcmp(w, "htmltag") == 0 && first && star && r->kind == MIME_RTF_HTML) {
		g->htmltag = 1;
		g->skip = 0;
		return;
	}
	if (first && (star || skipped_dest(w))) {
		g->skip = 1;
		if (strcmp(w, "fonttbl") == 0)
			g->skip = 0, g->fonttbl = 1;
		return;
	}
	if (strcmp(w, "fonttbl") == 0) {
		g->fonttbl = 1;
	} else if (strcmp(w, "ansicpg") == 0 && has) {
		r->defcp = (unsigned)v;
	} else if (strcmp(w, "deff") == 0 && has) {
		r->deff = (int)v;
	} else if (strcmp(w, "f") == 0 && has) {
		if (g->fonttbl)
			r->curfont = (int)v;
		else
			g->cp = font_cp(r, v);
	} else if ((strcmp(w, "fcharset") == 0 || strcmp(w, "cpg") == 0) && has && g->fonttbl) {
		unsigned cp = w[0] == 'f' ? mime_fcharset_cp((int)v) : (unsigned)v;
		if (r->curfont >= 0 && r->curfont < RTF_FONTS && cp)
			r->fontcp[r->curfont] = cp;
	} else if (strcmp(w, "uc") == 0 && has && v >= 0 && v < 16) {
		g->uc = (unsigned)v;
	} else if (strcmp(w, "u") == 0 && has) {
		unicode(r, v);
		return;
	} else if (strcmp(w, "htmlrtf") == 0) {
		flush_bytes(r);
		g->htmlrtf = !has || v != 0;
	} else if ((t = word_text(w)) != NULL) {
		text_str(r, t);
	}
	if (r->skip_chars)
		r->skip_chars--;
}

static void
group_open(struct rtf *r, char *err, size_t errlen)
{
	if (r->depth + 1 >= RTF_DEPTH) {
		snprintf(err, errlen, "RTF nests deeper than %d groups", RTF_DEPTH);
		r->full = 2;
		return;
	}
	r->depth++;
	r->g[r->depth] = r->g[r->depth - 1];
	r->first = 1;
	r->star = 0;
	r->skip_chars = 0;
}

static void
group_close(struct rtf *r)
{
	if (r->depth == 0)
		return;       /* an extra '}': ignored */
	if (G(r)->cp != r->g[r->depth - 1].cp || G(r)->htmltag)
		flush_bytes(r);
	r->depth--;
	r->first = 0;
	r->skip_chars = 0;
}

/* \word[-]N with the space that ends it; i at the first letter. */
static void
read_word(struct rtf *r)
{
	char w[33];
	size_t k = 0;
	long v = 0;
	int neg = 0, has = 0, digits = 0;

	while (r->i < r->n && (r->p[r->i] | 0x20) >= 'a' && (r->p[r->i] | 0x20) <= 'z') {
		if (k < sizeof w - 1)
			w[k++] = (char)r->p[r->i];
		r->i++;
	}
	w[k] = '\0';
	if (r->i < r->n && r->p[r->i] == '-')
		neg = 1, r->i++;
	while (r->i < r->n && r->p[r->i] >= '0' && r->p[r->i] <= '9') {
		if (digits++ < 10)
			v = v * 10 + (r->p[r->i] - '0');
		r->i++;
		has = 1;
	}
	if (r->i < r->n && r->p[r->i] == ' ')
		r->i++;
	if (strcmp(w, "bin") == 0 && has) {           /* \binN: N raw bytes */
		r->i += (size_t)v < r->n - r->i ? (size_t)v : r->n - r->i;
		return;
	}
	control(r, w, neg ? -v : v, has);
}

static int
hexval(unsigned char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ?
	       (c | 0x20) - 'a' + 10 : -1;
}

/* After a backslash: a control word, or a control symbol. */
static void
backslash(struct rtf *r)
{
	unsigned char c;
	int h, l;

	if (r->i >= r->n)
		return;
	c = r->p[r->i];
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
		read_word(r);
		return;
	}
	r->i++;
	r->first = 0;
	if (c == '*') {
		r->star = 1;
		r->first = 1;
	} else if (c == '\'' && r->i + 2 <= r->n && (h = hexval(r->p[r->i])) >= 0 &&
		   (l = hexval(r->p[r->i + 1])) >= 0) {
		r->i += 2;
		text_byte(r, (unsigned char)(h << 4 | l));
	} else if (c == '\\' || c == '{' || c == '}') {
		text_byte(r, c);
	} else if (c == '~') {
		text_str(r, " ");
	} else if (c == '_') {
		text_str(r, "-");
	} else if (c == '\n' || c == '\r') {
		text_str(r, "\n");
	}
}

/* 2.2.3.1: at most 10 tokens (group starts and control words) are inspected. */
static int
recognise(const unsigned char *p, size_t n)
{
	size_t i = 0;
	int tokens = 0;

	while (i < n && tokens < 10) {
		if (p[i] == '{') {
			tokens++;
			i++;
		} else if (p[i] == '\\' && i + 1 < n && (p[i + 1] | 0x20) >= 'a' &&
			   (p[i + 1] | 0x20) <= 'z') {
			size_t s = ++i;
			while (i < n && (p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z')
				i++;
			tokens++;
			if (i - s == 8 && memcmp(p + s, "fromhtml", 8) == 0)
				return MIME_RTF_HTML;
			if (i - s == 8 && memcmp(p + s, "fromtext", 8) == 0)
				return MIME_RTF_TEXT;
		} else {
			i++;
		}
	}
	return MIME_RTF_NONE;
}

int
mime_rtf_decode(struct mbx_buf *out, const void *rtf, size_t n, int *kind, char *err,
		size_t errlen)
{
	struct rtf *r;
	size_t lead = 0, start = out->len;
	int rc = 0;

	*kind = MIME_RTF_NONE;
	while (lead < n && strchr(" \t\r\n", ((const char *)rtf)[lead]) && ((const char *)rtf)[lead])
		lead++;
	if (n - lead < 5 || memcmp((const char *)rtf + lead, "{\\rtf", 5) != 0) {
		snprintf(err, errlen, "not RTF: it does not start with {\\rtf");
		return -1;
	}
	r = mbx_xcalloc(1, sizeof *r);
	r->p = (const unsigned char *)rtf + lead;
	r->n = n - lead;
	r->out = out;
	r->kind = *kind = recognise(r->p, r->n);
	r->defcp = 1252;
	r->curfont = -1;
	r->g[0].uc = 1;
	while (r->i < r->n && !r->full) {
		unsigned char c = r->p[r->i++];
		if (c == '{')
			group_open(r, err, errlen);
		else if (c == '}')
			group_close(r);
		else if (c == '\\')
			backslash(r);
		else if (c != '\r' && c != '\n')
			text_byte(r, c), r->first = 0;
	}
	flush_bytes(r);
	if (r->full) {
		if (r->full == 1)
			snprintf(err, errlen, "decoded RTF larger than %zu bytes", out->max);
		out->len = start;
		rc = -1;
	}
	free(r);
	return rc;
}
