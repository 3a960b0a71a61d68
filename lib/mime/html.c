/* html.c: what the writer needs of an HTML body: its text, for the text/plain part
 * MS-OXCMAIL 2.1.3.3.4 asks for when the message has only HTML; its META charset made
 * utf-8 once the body is written as UTF-8; and whether it refers to an attachment by
 * Content-ID (RFC 2392 cid: URLs) or Content-Location (RFC 2557), which makes the
 * attachment inline (2.1.3.4.1.2). A small scanner, not a parser: mail HTML is often
 * broken, and only text and tag names matter here. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime-int.h"

/* Latin-1 entity names, U+00A0 to U+00FF in order (HTML 4.01 24.2). */
static const char *const latin1[96] = {
	"nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy",
	"ordf", "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute",
	"micro", "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12",
	"frac34", "iquest", "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig",
	"Ccedil", "Egrave", "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH",
	"Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave",
	"Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig", "agrave", "aacute", "acirc",
	"atilde", "auml", "aring", "aelig", "ccedil", "egrave", "eacute", "ecirc", "euml",
	"igrave", "iacute", "icirc", "iuml", "eth", "ntilde", "ograve", "oacute", "ocirc",
	"otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc", "uuml", "yacute",
	"thorn", "yuml",
};

static const struct { const char *name; uint32_t c; } others[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
	{ "ensp", 0x2002 }, { "emsp", 0x2003 }, { "thinsp", 0x2009 }, { "zwnj", 0x200C },
	{ "zwj", 0x200D }, { "lrm", 0x200E }, { "rlm", 0x200F }, { "ndash", 0x2013 },
	{ "mdash", 0x2014 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201A },
	{ "ldquo", 0x201C }, { "rdquo", 0x201D }, { "bdquo", 0x201E }, { "dagger", 0x2020 },
	{ "bull", 0x2022 }, { "hellip", 0x2026 }, { "permil", 0x2030 }, { "lsaquo", 0x2039 },
	{ "rsaquo", 0x203A }, { "euro", 0x20AC }, { "trade", 0x2122 }, { "OElig", 0x152 },
	{ "oelig", 0x153 }, { "Scaron", 0x160 }, { "scaron", 0x161 }, { "Yuml", 0x178 },
	{ "fnof", 0x192 }, { "circ", 0x2C6 }, { "tilde", 0x2DC },
};

static int
alpha(char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static void
put_u(struct mbx_buf *b, uint32_t c)
{
	unsigned char u[4];

	mbx_buf_append(b, u, mime_utf8_enc(c ? c : 0xFFFD, u));
}

/* The character of the entity at p ('&' ...) and its length, or 0 when it is none. */
static uint32_t
entity(const char *p, size_t n, size_t *len)
{
	char name[12];
	size_t k = 1, i;
	unsigned long v = 0;
	int hex;

	if (n > 2 && p[1] == '#') {
		hex = n > 3 && (p[2] == 'x' || p[2] == 'X');
		for (k = 2 + hex; k < n && k < 12; k++) {
			int dgt = p[k] >= '0' && p[k] <= '9' ? p[k] - '0' : hex && strchr("abcdefABCDEF", p[k]) && p[k] ? (p[k] | 0x20) - 'a' + 10 : -1;
			if (dgt < 0)
				break;
			v = v * (hex ? 16 : 10) + (unsigned long)dgt;
		}
		if (k == 2u + hex)
			return 0;
		*len = k + (k < n && p[k] == ';');
		return v > 0x10FFFF ? 0xFFFD : (uint32_t)v;
	}
	while (k < n && k < sizeof name && alpha(p[k]))
		k++;
	if (k == 1 || k >= sizeof name)
		return 0;
	memcpy(name, p + 1, k - 1);
	name[k - 1] = '\0';
	*len = k + (k < n && p[k] == ';');
	for (i = 0; i < 96; i++)
		if (strcmp(name, latin1[i]) == 0)
			return 0xA0 + (uint32_t)i;
	for (i = 0; i < sizeof others / sizeof others[0]; i++)
		if (strcmp(name, others[i].name) == 0)
			return others[i].c;
	return 0;
}

/* ------------------------------------------------------------------ text */

struct tx {
	struct mbx_buf *out;
	int space;                 /* a blank is pending */
	int pre;                   /* inside <pre> */
	char skip[16];             /* inside this element's content (head, style...) */
};

static int
at_bol(const struct tx *t)
{
	return t->out->len == 0 || t->out->data[t->out->len - 1] == '\n';
}

static void
newline(struct tx *t, int blank)
{
	while (t->out->len && t->out->data[t->out->len - 1] == ' ')
		t->out->len--;
	if (t->out->len == 0)
		return;
	if (!at_bol(t))
		mbx_buf_putc(t->out, '\n');
	if (blank && !(t->out->len > 1 && t->out->data[t->out->len - 2] == '\n'))
		mbx_buf_putc(t->out, '\n');
	t->space = 0;
}

static void
text_char(struct tx *t, const char *p, size_t k)
{
	if (!t->pre && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
		t->space = 1;
		return;
	}
	if (t->space && !at_bol(t))
		mbx_buf_putc(t->out, ' ');
	t->space = 0;
	mbx_buf_append(t->out, p, k);
}

/* The tag name at p (after '<' and any '/'), lowercased into name. */
static void
tag_name(const char *p, size_t n, char *name, size_t cap)
{
	size_t i = 0;

	while (i < n && i + 1 < cap && (alpha(p[i]) || (p[i] >= '0' && p[i] <= '9') ||
				       p[i] == ':')) {
		name[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] | 0x20 : p[i]);
		i++;
	}
	name[i] = '\0';
}

static int
one_of(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

/* What a tag does to the text: line breaks for blocks, skipping for head and style. */
static void
tag(struct tx *t, const char *name, int close)
{
	static const char *const hidden[] = { "head", "style", "script", "title", "xml",
		"template", NULL };
	static const char *const blocks[] = { "div", "tr", "table", "ul", "ol", "dl", "dt",
		"dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "address", "center",
		"form", "body", "section", "article", "header", "footer", NULL };

	if (*t->skip) {
		if (close && strcmp(name, t->skip) == 0)
			t->skip[0] = '\0';
		return;
	}
	if (!close && one_of(name, hidden)) {
		snprintf(t->skip, sizeof t->skip, "%s", name);
		return;
	}
	if (strcmp(name, "br") == 0) {
		while (t->out->len && t->out->data[t->out->len - 1] == ' ')
			t->out->len--;
		mbx_buf_putc(t->out, '\n');
		t->space = 0;
	} else if (strcmp(name, "p") == 0) {
		newline(t, 0);
	} else if (strcmp(name, "pre") == 0) {
		newline(t, 0);
		t->pre = !close;
	} else if (strcmp(name, "li") == 0 && !close) {
		newline(t, 0);
		mbx_buf_puts(t->out, "- ");
	} else if (strcmp(name, "hr") == 0) {
		newline(t, 0);
		mbx_buf_puts(t->out, "----\n");
	} else if ((strcmp(name, "td") == 0 || strcmp(name, "th") == 0) && !close) {
		t->space = 1;
	} else if (one_of(name, blocks)) {
		newline(t, 0);
	}
}

/* The end of the markup that starts at p ('<'): a comment, or a tag whose quoted
 * attribute values may hold '>'. */
static size_t
markup_end(const char *p, size_t n)
{
	const char *e;
	size_t i;
	char q = 0;

	if (n >= 4 && memcmp(p, "<!--", 4) == 0) {
		e = memmem(p + 4, n - 4, "-->", 3);
		return e ? (size_t)(e - p) + 3 : n;
	}
	for (i = 1; i < n; i++) {
		if (q) {
			if (p[i] == q)
				q = 0;
		} else if (p[i] == '"' || p[i] == '\'') {
			q = p[i];
		} else if (p[i] == '>') {
			return i + 1;
		}
	}
	return n;
}

void
mime_html_text(struct mbx_buf *out, const char *html, size_t n)
{
	struct tx t = { out, 0, 0, "" };
	size_t i = 0, k;
	char name[16];
	uint32_t c;

	while (i < n) {
		if (html[i] == '<' && i + 1 < n && (html[i + 1] == '/' || html[i + 1] == '!' ||
		    alpha(html[i + 1]))) {
			int close = html[i + 1] == '/';
			tag_name(html + i + 1 + close, n - i - 1 - close, name, sizeof name);
			k = markup_end(html + i, n - i);
			if (html[i + 1] != '!')
				tag(&t, name, close);
			i += k;
			continue;
		}
		if (*t.skip) {
			i++;
			continue;
		}
		if (html[i] == '&' && (c = entity(html + i, n - i, &k)) != 0) {
			struct mbx_buf u;
			mbx_buf_init(&u, 0);
			put_u(&u, c == 0xA0 ? ' ' : c);
			if (c != 0xAD)                       /* a soft hyphen is not text */
				text_char(&t, u.data, u.len);
			mbx_buf_free(&u);
			i += k;
			continue;
		}
		k = (unsigned char)html[i] < 0x80 ? 1 : (unsigned char)html[i] >= 0xF0 ? 4 :
		    (unsigned char)html[i] >= 0xE0 ? 3 : 2;
		k = k < n - i ? k : n - i;
		text_char(&t, html + i, k);
		i += k;
	}
	newline(&t, 0);
}

/* ------------------------------------------------------------------ META */

/* In one <meta ...> tag: the value after "charset" "=" replaced by utf-8. */
static void
meta_tag(struct mbx_buf *out, const char *p, size_t n)
{
	size_t i, v, e;

	for (i = 0; i + 7 <= n; i++) {
		if (strncasecmp(p + i, "charset", 7) != 0)
			continue;
		for (v = i + 7; v < n && (p[v] == ' ' || p[v] == '\t'); v++)
			;
		if (v >= n || p[v] != '=')
			continue;
		for (v++; v < n && (p[v] == ' ' || p[v] == '\t' || p[v] == '"' || p[v] == '\''); v++)
			;
		for (e = v; e < n && p[e] && (alpha(p[e]) || (p[e] >= '0' && p[e] <= '9') ||
					      strchr("-_.:", p[e])); e++)
			;
		mbx_buf_append(out, p, v);
		mbx_buf_puts(out, "utf-8");
		mbx_buf_append(out, p + e, n - e);
		return;
	}
	mbx_buf_append(out, p, n);
}

void
mime_html_utf8_meta(struct mbx_buf *out, const char *html, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		const char *lt = memchr(html + i, '<', n - i);
		size_t at = lt ? (size_t)(lt - html) : n;
		mbx_buf_append(out, html + i, at - i);
		if (at >= n)
			break;
		k = markup_end(html + at, n - at);
		if (n - at > 5 && strncasecmp(html + at, "<meta", 5) == 0 &&
		    strchr(" \t\r\n/", html[at + 5]))
			meta_tag(out, html + at, k);
		else
			mbx_buf_append(out, html + at, k);
		if (n - at > 5 && strncasecmp(html + at, "<body", 5) == 0) {
			mbx_buf_append(out, html + at + k, n - at - k);   /* META is in head */
			return;
		}
		i = at + k;
	}
}

/* --------------------------------------------------------------- references */

/* The reference after "cid:" at p, %XX decoded, into ref (cut at its size). */
static void
cid_ref(const char *p, size_t n, char *ref, size_t cap)
{
	size_t i, o = 0;
	unsigned v;

	for (i = 0; i < n && o + 1 < cap && !strchr("\"'<> \t\r\n)", p[i]) && p[i]; i++) {
		if (p[i] == '%' && i + 2 < n && sscanf(p + i + 1, "%2x", &v) == 1) {
			ref[o++] = (char)v;
			i += 2;
		} else {
			ref[o++] = p[i];
		}
	}
	ref[o] = '\0';
}

int
mime_html_refers(const char *html, size_t n, const char *cid, const char *loc)
{
	size_t i, cl = cid ? strlen(cid) : 0;
	char ref[512];

	if (cid && cl >= 2 && cid[0] == '<' && cid[cl - 1] == '>') {   /* stored without <> */
		snprintf(ref, sizeof ref, "%.*s", (int)(cl - 2), cid + 1);
		return mime_html_refers(html, n, ref, loc);
	}
	for (i = 0; cid && cl && i + 4 < n; i++) {
		if ((html[i] | 0x20) != 'c' || strncasecmp(html + i, "cid:", 4) != 0)
			continue;
		cid_ref(html + i + 4, n - i - 4, ref, sizeof ref);
		if (strcasecmp(ref, cid) == 0)
			return 1;
	}
	return loc && *loc && memmem(html, n, loc, strlen(loc)) != NULL;
}
