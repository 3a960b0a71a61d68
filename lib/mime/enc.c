/* enc.c: the MIME encodings of the writer: base64 and quoted-printable bodies (RFC 2045
 * 6.7, 6.8), header fields folded (RFC 5322 2.2.3) with RFC 2047 encoded words for text
 * that is not ASCII, parameters by RFC 2045 5.1 and RFC 2231, addresses (RFC 5322 3.4)
 * and dates (RFC 5322 3.3). Everything is written with LF line ends; the sink makes them CRLF
 * where the container wants it. */
#include <stdlib.h>
#include <string.h>
#include "mime-int.h"

#define FOLD_AT 78                 /* RFC 5322 2.1.1: SHOULD not pass 78 characters */
#define LINE_MAX 998               /* ... MUST not pass 998 */
#define EW_MAX 75                  /* RFC 2047 2: an encoded word is at most 75 */

static const char b64c[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hexc[] = "0123456789ABCDEF";

/* ------------------------------------------------------------------ bodies */

static size_t
b_group4(char *o, const unsigned char *p, size_t n)
{
	uint32_t v = (uint32_t)p[0] << 16 | (n > 1 ? (uint32_t)p[1] << 8 : 0) |
		     (n > 2 ? p[2] : 0);

	o[0] = b64c[v >> 18];
	o[1] = b64c[v >> 12 & 63];
	o[2] = n > 1 ? b64c[v >> 6 & 63] : '=';
	o[3] = n > 2 ? b64c[v & 63] : '=';
	return 4;
}

/* 57 bytes make one line of 76 characters; lines are gathered into a block that goes to
 * the sink at once (base64 lines never start with '>' or "From ": no quoting needed). */
void
mime_b64_body(struct mime_sink *s, const void *vp, size_t n)
{
	const unsigned char *p = vp;
	char block[77 * 53];
	size_t k, o = 0, i;

	while (n) {
		k = n < 57 ? n : 57;
		for (i = 0; i < k; i += 3)
			o += b_group4(block + o, p + i, k - i);
		block[o++] = '\n';
		p += k;
		n -= k;
		if (o + 77 > sizeof block || !n) {
			if (s->crlf)
				mime_sink_put(s, block, o);
			else
				mime_sink_raw(s, block, o);
			o = 0;
		}
	}
}

/* Bytes that stand for themselves in quoted-printable (RFC 2045 6.7 rules 1-3): printable
 * ASCII but '=', plus space and tab (encoded only at a line end). */
static inline int
qp_plain(unsigned char c)
{
	return (c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t';
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* Whether any byte of w is zero (the classic bit trick). */
static inline uint64_t
has_zero(uint64_t w)
{
	return (w - ONES) & ~w & HIGHS;
}

/* How many of the first lim bytes of p stand for themselves in quoted-printable: eight
 * at a time while they are all printable ASCII but '=' (space included). */
static size_t
qp_run(const unsigned char *p, size_t lim)
{
	size_t k = 0;
	uint64_t w;

	for (; k + 8 <= lim; k += 8) {
		memcpy(&w, p + k, 8);
		if ((w & HIGHS) || has_zero(w ^ (0x7F * ONES)) || has_zero(w ^ (0x3D * ONES)) ||
		    ((w - 0x20 * ONES) & ~w & HIGHS))
			break;
	}
	while (k < lim && qp_plain(p[k]))
		k++;
	return k;
}

/* Quoted-printable output gathered in a block that goes to the sink at once. */
struct qp {
	struct mime_sink *s;
	size_t len;
	char buf[16384];
};

static void
qp_room(struct qp *q, size_t k)
{
	if (q->len + k > sizeof q->buf) {
		mime_sink_put(q->s, q->buf, q->len);
		q->len = 0;
	}
}

/* One line (without its line end) as quoted-printable lines of at most 76 characters
 * (75 and the soft break "="). Runs of bytes that stand for themselves are copied at
 * once; a blank at the end of the line is encoded (RFC 2045 6.7 rule 3). */
static void
qp_line(struct qp *q, const unsigned char *p, size_t n)
{
	size_t i = 0, col = 0, k, lim;

	while (i < n) {
		lim = n - i < 75 - col ? n - i : 75 - col;
		k = qp_run(p + i, lim);
		if (i + k == n && k && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			k--;
		qp_room(q, k + 6);
		memcpy(q->buf + q->len, p + i, k);
		q->len += k;
		i += k;
		col += k;
		if (i == n)
			break;
		if (col + (k == lim ? 1 : 3) > 75) {
			q->buf[q->len++] = '=';
			q->buf[q->len++] = '\n';
			col = 0;
			continue;
		}
		q->buf[q->len++] = '=';
		q->buf[q->len++] = hexc[p[i] >> 4];
		q->buf[q->len++] = hexc[p[i] & 15];
		col += 3;
		i++;
	}
	qp_room(q, 1);
	q->buf[q->len++] = '\n';
}

/* The end of the line at p: its length, and *next where the next one starts. */
static size_t
line_len(const char *p, size_t n, size_t *next)
{
	const char *lf = memchr(p, '\n', n), *cr = memchr(p, '\r', lf ? (size_t)(lf - p) : n);
	size_t k;

	if (cr) {
		k = (size_t)(cr - p);
		*next = k + 1 + (k + 1 < n && p[k + 1] == '\n');
	} else if (lf) {
		k = (size_t)(lf - p);
		*next = k + 1;
	} else {
		k = n;
		*next = n;
	}
	return k;
}

void
mime_qp_body(struct mime_sink *s, const char *p, size_t n)
{
	struct qp *q = mbx_xmalloc(sizeof *q);
	size_t k, next;

	q->s = s;
	q->len = 0;
	while (n) {
		k = line_len(p, n, &next);
		qp_line(q, (const unsigned char *)p, k);
		p += next;
		n -= next;
	}
	mime_sink_put(s, q->buf, q->len);
	free(q);
}

void
mime_text_body(struct mime_sink *s, const char *p, size_t n)
{
	size_t k, next;

	if (!memchr(p, '\r', n)) {
		mime_sink_put(s, p, n);
		if (n && p[n - 1] != '\n')
			mime_sink_put(s, "\n", 1);
		return;
	}
	while (n) {
		k = line_len(p, n, &next);
		mime_sink_put(s, p, k);
		mime_sink_put(s, "\n", 1);
		p += next;
		n -= next;
	}
}

const char *
mime_text_cte(const char *p, size_t n, int allow8)
{
	size_t i, col = 0;
	int high = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\n' || c == '\r') {
			col = 0;
			continue;
		}
		if (c == 0 || ++col > LINE_MAX)
			return "quoted-printable";
		high |= c >= 0x80;
	}
	if (!high)
		return "7bit";
	return allow8 && mime_utf8_valid_len(p, n) == n ? "8bit" : "quoted-printable";
}

/* ------------------------------------------------------------ encoded words */

static int
is_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* Bytes of the UTF-8 character at p (1 for a stray byte). */
static size_t
u8len(const unsigned char *p, size_t n)
{
	size_t k = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;

	return k <= n ? k : n;
}

/* RFC 2047 5(3): what a Q-encoded word may carry as itself, in any header. */
static int
q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

/* Width of the character at p in a Q word. */
static size_t
q_width(const unsigned char *p, size_t k)
{
	size_t j, w = 0;

	for (j = 0; j < k; j++)
		w += q_plain(p[j]) || p[j] == ' ' ? 1 : 3;
	return w;
}

static void
q_char(struct mbx_buf *b, const unsigned char *p, size_t k)
{
	size_t j;

	for (j = 0; j < k; j++) {
		unsigned char c = p[j];
		char e[3] = { '=', hexc[c >> 4], hexc[c & 15] };
		if (c == ' ')
			mbx_buf_putc(b, '_');
		else if (q_plain(c))
			mbx_buf_putc(b, (char)c);
		else
			mbx_buf_append(b, e, 3);
	}
}

/* One Q word from p: as many whole characters as fit in 75; returns bytes taken. */
static size_t
q_word(struct mbx_buf *b, const unsigned char *p, size_t n)
{
	size_t i = 0, k, used = 12;           /* =?utf-8?q? ... ?= */

	mbx_buf_puts(b, "=?utf-8?q?");
	while (i < n) {
		k = u8len(p + i, n - i);
		if (used + q_width(p + i, k) > EW_MAX && i > 0)
			break;
		q_char(b, p + i, k);
		used += q_width(p + i, k);
		i += k;
	}
	mbx_buf_puts(b, "?=");
	return i;
}

/* One B word: at most 45 bytes (60 characters), ending on a character boundary. */
static size_t
b_word(struct mbx_buf *b, const unsigned char *p, size_t n)
{
	size_t take = 0, k, j;
	char g[4];

	while (take < n) {
		k = u8len(p + take, n - take);
		if (take + k > 45 && take > 0)
			break;
		take += k;
	}
	mbx_buf_puts(b, "=?utf-8?b?");
	for (j = 0; j < take; j += 3) {
		b_group4(g, p + j, take - j);
		mbx_buf_append(b, g, 4);
	}
	mbx_buf_puts(b, "?=");
	return take;
}

/* Encoded words for s (UTF-8), separated by a space (ignored between encoded words,
 * RFC 2047 6.2): Q or B, whichever is shorter; no word splits a character
 * (RFC 2047 5). */
static void
encode_words(struct mbx_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, qlen = 0;
	int q;

	for (i = 0; i < n; i++)
		qlen += q_plain(p[i]) || p[i] == ' ' ? 1 : 3;
	q = qlen <= (n + 2) / 3 * 4;      /* the shorter; Q, more readable, on a tie */
	for (i = 0; i < n;) {
		if (i > 0)
			mbx_buf_putc(b, ' ');
		i += q ? q_word(b, p + i, n - i) : b_word(b, p + i, n - i);
	}
}

/* ------------------------------------------------------------------ folding */

/* Append "Name: value" folded: a line break goes before the last blank that keeps a
 * line within 78 columns (or, failing that, 998). value has no CR or LF. */
static void
fold(struct mbx_buf *b, const char *name, const char *v)
{
	size_t col, n = strlen(v), i = 0, brk, lim;

	mbx_buf_puts(b, name);
	mbx_buf_puts(b, ": ");
	col = strlen(name) + 2;
	while (n - i + col > FOLD_AT) {
		lim = FOLD_AT - (col < FOLD_AT ? col : FOLD_AT);
		for (brk = lim; brk > 0 && v[i + brk] != ' ' && v[i + brk] != '\t'; brk--)
			;
		if (brk == 0)       /* no blank in reach: the first blank after it */
			for (brk = lim + 1; i + brk < n && v[i + brk] != ' ' && v[i + brk] != '\t'; brk++)
				;
		if (i + brk >= n)
			break;
		mbx_buf_append(b, v + i, brk);
		mbx_buf_putc(b, '\n');
		i += brk;
		col = 0;
	}
	mbx_buf_puts(b, v + i);
	mbx_buf_putc(b, '\n');
}

/* The longest run without a blank (a line could not be folded shorter than it). */
static size_t
longest_word(const char *s)
{
	size_t best = 0, k;

	while (*s) {
		k = strcspn(s, " \t");
		if (k > best)
			best = k;
		s += k;
		s += strspn(s, " \t");
	}
	return best;
}

/* Control characters (CR, LF and the rest but tab) cannot stand in a header: blanks. */
static char *
header_clean(const char *v)
{
	char *c = mbx_strdup(v ? v : ""), *p;

	for (p = c; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7F)
			*p = ' ';
	return c;
}

/* The span of words with non-ASCII bytes (or that look like encoded words) is encoded;
 * the ASCII words around it stay readable. */
void
mime_hdr_text(struct mbx_buf *out, const char *name, const char *value)
{
	char *v = header_clean(value);
	struct mbx_buf b, fixed;
	size_t n = strlen(v), a, z;

	mbx_buf_init(&fixed, 0);
	mime_utf8_repair(&fixed, v, n);
	free(v);
	v = mbx_buf_steal(&fixed);
	n = strlen(v);
	if (is_ascii(v, n) && !strstr(v, "=?") && longest_word(v) + strlen(name) + 2 <= LINE_MAX) {
		fold(out, name, v);
		free(v);
		return;
	}
	for (a = 0; a < n && (unsigned char)v[a] < 0x80 && !(v[a] == '=' && v[a + 1] == '?'); a++)
		;
	while (a > 0 && v[a - 1] != ' ' && v[a - 1] != '\t')
		a--;
	for (z = n; z > a && (unsigned char)v[z - 1] < 0x80 && !(v[z - 1] == '?' && z < n && v[z] == '='); z--)
		;
	while (z < n && v[z] != ' ' && v[z] != '\t')
		z++;
	if (longest_word(v) + strlen(name) + 2 > LINE_MAX)
		a = 0, z = n;
	mbx_buf_init(&b, 0);
	mbx_buf_append(&b, v, a);
	encode_words(&b, v + a, z - a);
	mbx_buf_puts(&b, v + z);
	fold(out, name, b.data);
	mbx_buf_free(&b);
	free(v);
}

void
mime_hdr_raw(struct mbx_buf *out, const char *name, const char *value)
{
	char *v = header_clean(value);

	fold(out, name, v);
	free(v);
}

/* --------------------------------------------------------------- addresses */

/* RFC 5322 3.2.3 atext. */
static int
atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* A dot-atom (RFC 5322 3.2.3) of n bytes. */
static int
dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!(atext((unsigned char)s[i]) || (s[i] == '.' && s[i + 1] != '.')))
			return 0;
	return 1;
}

/* A msg-id (RFC 5322 3.6.4): "<" dot-atom "@" dot-atom or [literal] ">". */
int
mime_msgid_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	const char *at;

	if (n < 5 || s[0] != '<' || s[n - 1] != '>' || !(at = memrchr(s, '@', n)))
		return 0;
	if (!dot_atom(s + 1, (size_t)(at - s - 1)))
		return 0;
	if (at[1] == '[')
		return s[n - 2] == ']' && !memchr(at + 2, ']', (size_t)(s + n - 2 - (at + 2))) &&
		       !memchr(at, ' ', (size_t)(s + n - at));
	return dot_atom(at + 1, (size_t)(s + n - 1 - (at + 1)));
}

static int
valid_addr(const char *a)
{
	const char *at = a ? strrchr(a, '@') : NULL;

	return at && dot_atom(a, (size_t)(at - a)) && dot_atom(at + 1, strlen(at + 1)) &&
	       strchr(at + 1, '.') != NULL;
}

/* IMCEA: the way Exchange carries a non-SMTP address in SMTP (e.g. an X.500 DN as
 * IMCEAEX-_O=ORG_OU=...): '/' as '_', the rest outside [A-Za-z0-9=-] as +XX. */
char *
mime_addr_spec(const char *addr, const char *type)
{
	struct mbx_buf b;
	const unsigned char *p;

	if (valid_addr(addr))
		return mbx_strdup(addr);
	mbx_buf_init(&b, 0);
	mbx_buf_puts(&b, "IMCEA");
	for (p = (const unsigned char *)(type && *type ? type : "UNKNOWN"); *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			mbx_buf_putc(&b, (char)*p);
	mbx_buf_putc(&b, '-');
	for (p = (const unsigned char *)(addr ? addr : ""); *p; p++) {
		if (*p == '/')
			mbx_buf_putc(&b, '_');
		else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			 (*p >= '0' && *p <= '9') || *p == '=' || *p == '-')
			mbx_buf_putc(&b, (char)*p);
		else
			mbx_buf_printf(&b, "+%02X", *p);
	}
	mbx_buf_puts(&b, "@invalid");
	return mbx_buf_steal(&b);
}

/* A display name as a phrase (RFC 5322 3.2.5): atoms as they are, else a quoted string, or
 * encoded words when it is not ASCII. */
static void
phrase(struct mbx_buf *b, const char *name)
{
	size_t i, n = strlen(name);
	int atoms = n > 0;

	if (!is_ascii(name, n) || strstr(name, "=?")) {
		encode_words(b, name, n);
		return;
	}
	for (i = 0; i < n; i++)
		atoms &= atext((unsigned char)name[i]) || name[i] == ' ';
	if (atoms && name[0] != ' ' && name[n - 1] != ' ' && !strstr(name, "  ")) {
		mbx_buf_puts(b, name);
		return;
	}
	mbx_buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		if (name[i] == '"' || name[i] == '\\')
			mbx_buf_putc(b, '\\');
		mbx_buf_putc(b, name[i]);
	}
	mbx_buf_putc(b, '"');
}

/* One address as it is written: phrase <addr>, or the bare addr. */
static void
address(struct mbx_buf *b, const struct mime_addr *a)
{
	char *nm = header_clean(a->name);

	if (*nm && strcmp(nm, a->addr) != 0) {
		phrase(b, nm);
		mbx_buf_puts(b, " <");
		mbx_buf_puts(b, a->addr);
		mbx_buf_putc(b, '>');
	} else {
		mbx_buf_puts(b, a->addr);
	}
	free(nm);
}

/* Addresses separated by ", ": a line break before an address that would pass 78
 * columns; one longer than a line is folded at its own blanks. */
void
mime_hdr_addrs(struct mbx_buf *out, const char *name, const struct mime_addr *a, size_t n)
{
	struct mbx_buf one, f;
	size_t i, col = strlen(name) + 1;
	const char *nl;

	if (n == 0)
		return;
	mbx_buf_puts(out, name);
	mbx_buf_putc(out, ':');
	mbx_buf_init(&one, 0);
	for (i = 0; i < n; i++) {
		mbx_buf_reset(&one);
		address(&one, &a[i]);
		if (i + 1 < n)
			mbx_buf_putc(&one, ',');
		if (i > 0 && col + 1 + one.len > FOLD_AT) {
			mbx_buf_putc(out, '\n');
			col = 0;
		}
		if (col + 1 + one.len <= FOLD_AT) {
			mbx_buf_putc(out, ' ');
			mbx_buf_append(out, one.data, one.len);
			col += 1 + one.len;
			continue;
		}
		mbx_buf_init(&f, 0);                 /* "X: " + folded text + LF */
		fold(&f, "X", one.data);
		mbx_buf_putc(out, ' ');
		mbx_buf_append(out, f.data + 3, f.len - 4);
		nl = memrchr(f.data, '\n', f.len - 1);
		col = nl ? f.len - 1 - (size_t)(nl + 1 - f.data) : col + f.len - 3;
		mbx_buf_free(&f);
	}
	mbx_buf_putc(out, '\n');
	mbx_buf_free(&one);
}

/* -------------------------------------------------------------- parameters */

/* RFC 2045 5.1: a token has no tspecials, blanks or controls. */
static int
token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= 32 || (unsigned char)*s >= 127 ||
		    strchr("()<>@,;:\\\"/[]?=", *s))
			return 0;
	return 1;
}

/* RFC 2231 7 / RFC 5987 attr-char: what an extended value carries as itself. */
static int
attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$&+-.^_`|~", c));
}

/* name*=utf-8''%XX..., or continued as name*0*=utf-8''...; name*1*=... (RFC 2231 3, 4)
 * in pieces of at most 50 characters, never splitting a %XX. */
static void
param_2231(struct mbx_buf *b, const char *name, const char *v)
{
	struct mbx_buf enc;
	size_t i, piece, k, nseg = 0;

	mbx_buf_init(&enc, 0);
	for (; *v; v++) {
		if (attr_char((unsigned char)*v))
			mbx_buf_putc(&enc, *v);
		else
			mbx_buf_printf(&enc, "%%%02X", (unsigned char)*v);
	}
	if (enc.len + strlen(name) + 12 <= FOLD_AT - 1) {
		mbx_buf_printf(b, ";\n %s*=utf-8''%s", name, enc.data);
		mbx_buf_free(&enc);
		return;
	}
	for (i = 0; i < enc.len; i += piece, nseg++) {
		piece = enc.len - i < 50 ? enc.len - i : 50;
		for (k = 1; k <= 2 && i + piece < enc.len; k++)   /* not inside a %XX */
			if (enc.data[i + piece - k] == '%')
				piece -= k;
		mbx_buf_printf(b, ";\n %s*%zu*=%s%.*s", name, nseg, nseg ? "" : "utf-8''",
			       (int)piece, enc.data + i);
	}
	mbx_buf_free(&enc);
}

/* The column after the last line of b. */
static size_t
column(const struct mbx_buf *b)
{
	const char *nl = b->len ? memrchr(b->data, '\n', b->len) : NULL;

	return nl ? b->len - (size_t)(nl + 1 - b->data) : b->len;
}

/* "; name=value" on the line when it fits in 78 columns, else on a line of its own: a
 * token, a quoted string, or RFC 2231 when it is not ASCII. */
static void
param(struct mbx_buf *b, const char *name, const char *value)
{
	char *v = header_clean(value);
	size_t i, n = strlen(v);
	struct mbx_buf one;

	if (!is_ascii(v, n) || n > 900) {
		struct mbx_buf fixed;
		mbx_buf_init(&fixed, 0);
		mime_utf8_repair(&fixed, v, n);
		param_2231(b, name, fixed.data ? fixed.data : "");
		mbx_buf_free(&fixed);
		free(v);
		return;
	}
	mbx_buf_init(&one, 0);
	mbx_buf_puts(&one, name);
	mbx_buf_putc(&one, '=');
	if (token(v)) {
		mbx_buf_puts(&one, v);
	} else {
		mbx_buf_putc(&one, '"');
		for (i = 0; i < n; i++) {
			if (v[i] == '"' || v[i] == '\\')
				mbx_buf_putc(&one, '\\');
			mbx_buf_putc(&one, v[i]);
		}
		mbx_buf_putc(&one, '"');
	}
	mbx_buf_puts(b, column(b) + 2 + one.len <= FOLD_AT ? "; " : ";\n ");
	mbx_buf_append(b, one.data, one.len);
	mbx_buf_free(&one);
	free(v);
}

void
mime_hdr_params(struct mbx_buf *out, const char *name, const char *value,
		const struct mime_param *p, size_t n)
{
	size_t i;

	mbx_buf_puts(out, name);
	mbx_buf_puts(out, ": ");
	mbx_buf_puts(out, value);
	for (i = 0; i < n; i++)
		if (p[i].value)
			param(out, p[i].name, p[i].value);
	mbx_buf_putc(out, '\n');
}

/* -------------------------------------------------------------------- dates */

long long
mime_filetime_unix(uint64_t ft)
{
	return (long long)(ft / 10000000ULL) - 11644473600LL;
}

void
mime_date(long long t, char *out, size_t n)
{
	static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	long long y, sod, days = (t - ((t % 86400 + 86400) % 86400)) / 86400;
	unsigned m, d;

	mime_civil(t, &y, &m, &d, &sod);
	snprintf(out, n, "%s, %02u %s %04lld %02lld:%02lld:%02lld +0000",
		 wd[((days % 7) + 7) % 7], d, mo[m - 1], y, sod / 3600, sod / 60 % 60, sod % 60);
}
