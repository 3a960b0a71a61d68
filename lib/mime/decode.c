/* decode.c: bodies decoded as they are read: quoted-printable (RFC 2045 6.7), base64
 * (6.8: characters outside the alphabet are ignored), uuencode (as POSIX uuencode
 * writes it), or as they are. Memory: one output buffer, whatever the body's size. */
#include <stdlib.h>
#include <string.h>
#include "mime.h"

#define OUTBUF ((size_t)64 << 10)

struct dec {
	fx_put_fn put;
	void *ctx;
	unsigned char out[OUTBUF];
	size_t n;
	unsigned acc;              /* base64 bits */
	int nacc;
	int uu;                    /* uuencode: 0 before "begin", 1 in, 2 after "end" */
	unsigned defects;
	int failed;
	struct mbx_buf lines, bytes;   /* base64: the characters without line ends; decoded */
};

static void
flush(struct dec *d)
{
	if (d->n && !d->failed && d->put(d->ctx, d->out, d->n) < 0)
		d->failed = 1;
	d->n = 0;
}

static inline void
emit(struct dec *d, unsigned char c)
{
	if (d->n == OUTBUF)
		flush(d);
	d->out[d->n++] = c;
}

static const signed char b64[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
	['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
	['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};                                 /* value + 1; 0: not in the alphabet */

static void b64_slow(struct dec *d, const unsigned char *p, size_t n);

/* A quantum cut short: 2 or 3 characters still give 1 or 2 bytes; 1 gives nothing. */
static void
b64_tail(struct dec *d)
{
	if (d->nacc == 1)
		d->defects |= MIME_D_BASE64;
	if (d->nacc >= 2)
		emit(d, (unsigned char)(d->acc >> (6 * d->nacc - 8)));
	if (d->nacc == 3)
		emit(d, (unsigned char)(d->acc >> 2));
	d->nacc = 0;
	d->acc = 0;
}

/* The common case at base's speed: whole lines of base64 and nothing else. The line
 * ends go, the rest is decoded by mbx_b64_decode, which refuses anything else (then the
 * careful path below reads the piece). A quantum left over waits for the next piece. */
static int
b64_fast(struct dec *d, const unsigned char *p, size_t n)
{
	const unsigned char *e = p + n, *nl;
	size_t k, whole;

	mbx_buf_reset(&d->lines);
	mbx_buf_reset(&d->bytes);
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		k = (size_t)((nl ? nl : e) - p);
		if (k && p[k - 1] == '\r')
			k--;
		if (mbx_buf_append(&d->lines, p, k) < 0)
			return 0;
		p = nl ? nl + 1 : e;
	}
	whole = d->lines.len / 4 * 4;
	if (whole == 0 || memchr(d->lines.data, '=', whole - 4) ||
	    mbx_b64_decode(&d->bytes, d->lines.data, whole) < 0)
		return 0;
	flush(d);
	if (d->bytes.len && !d->failed && d->put(d->ctx, d->bytes.data, d->bytes.len) < 0)
		d->failed = 1;
	b64_slow(d, (const unsigned char *)d->lines.data + whole, d->lines.len - whole);
	return 1;
}

static void
b64_bytes(struct dec *d, const unsigned char *p, size_t n)
{
	if (d->nacc != 0 || !b64_fast(d, p, n))
		b64_slow(d, p, n);
}

static void
b64_slow(struct dec *d, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int v = b64[p[i]];
		if (v == 0) {
			if (p[i] == '=')
				b64_tail(d);      /* padding ends a quantum; more may follow */
			else if (p[i] != '\r' && p[i] != '\n' && p[i] != ' ' && p[i] != '\t')
				d->defects |= MIME_D_BASE64;
			continue;
		}
		d->acc = d->acc << 6 | (unsigned)(v - 1);
		if (++d->nacc == 4) {
			if (d->n + 3 > OUTBUF)
				flush(d);
			d->out[d->n++] = (unsigned char)(d->acc >> 16);
			d->out[d->n++] = (unsigned char)(d->acc >> 8);
			d->out[d->n++] = (unsigned char)d->acc;
			d->nacc = 0;
			d->acc = 0;
		}
	}
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One line: "=XX" decoded, "=" at the end a soft line break (blanks after it allowed);
 * a bad escape is kept as it is, and the line end as it was. */
static void
qp_line(struct dec *d, const unsigned char *p, size_t n, int whole)
{
	size_t body = n, i, k;
	int h, l;

	while (whole && body > 0 && (p[body - 1] == '\n' || p[body - 1] == '\r'))
		body--;
	for (k = body; k > 0 && (p[k - 1] == ' ' || p[k - 1] == '\t'); k--)
		;
	for (i = 0; i < body; i++) {
		if (p[i] != '=') {
			emit(d, p[i]);
		} else if (i + 1 == k && whole) {
			return;                   /* soft line break: the line end goes too */
		} else if (i + 2 < body && (h = hexval(p[i + 1])) >= 0 && (l = hexval(p[i + 2])) >= 0) {
			emit(d, (unsigned char)(h << 4 | l));
			i += 2;
		} else {
			d->defects |= MIME_D_QP;
			emit(d, '=');
		}
	}
	for (; i < n; i++)
		emit(d, p[i]);
}

static int
uu_char(unsigned char c)
{
	return (c - ' ') & 63;
}

/* uuencode: "begin MODE NAME", lines of a length character and 4-character groups,
 * "end". */
static void
uu_line(struct dec *d, const unsigned char *p, size_t n)
{
	size_t len, i, k = 0;
	unsigned char q[4];

	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (d->uu == 0) {
		d->uu = n >= 6 && memcmp(p, "begin ", 6) == 0;
		return;
	}
	if (d->uu == 2 || n == 0)
		return;
	if (n >= 3 && memcmp(p, "end", 3) == 0) {
		d->uu = 2;
		return;
	}
	len = (size_t)uu_char(p[0]);
	if ((len + 2) / 3 * 4 > n - 1)
		d->defects |= MIME_D_UUENCODE;
	for (i = 1; i + 4 <= n && k < len; i += 4) {
		unsigned char b[3];
		size_t j;
		q[0] = (unsigned char)uu_char(p[i]);
		q[1] = (unsigned char)uu_char(p[i + 1]);
		q[2] = (unsigned char)uu_char(p[i + 2]);
		q[3] = (unsigned char)uu_char(p[i + 3]);
		b[0] = (unsigned char)(q[0] << 2 | q[1] >> 4);
		b[1] = (unsigned char)(q[1] << 4 | q[2] >> 2);
		b[2] = (unsigned char)(q[2] << 6 | q[3]);
		for (j = 0; j < 3 && k < len; j++, k++)
			emit(d, b[j]);
	}
}

static int
by_lines(struct dec *d, struct mime_cur *c, int cte)
{
	const unsigned char *p;
	size_t n, off;
	int bol, r = 0;

	while (!d->failed && (r = mime_cur_line(c, &p, &n, &off, &bol)) > 0) {
		if (cte == MIME_CTE_QP)
			qp_line(d, p, n, n && (p[n - 1] == '\n' || p[n - 1] == '\r'));
		else
			uu_line(d, p, n);
	}
	if (cte == MIME_CTE_UUENCODE && d->uu != 2)
		d->defects |= MIME_D_UUENCODE;
	return r < 0 ? -1 : 0;
}

static int
by_bytes(struct dec *d, struct mime_cur *c, int cte)
{
	const unsigned char *p;
	size_t n;
	int r = 0;

	while (!d->failed && (r = mime_cur_bytes(c, OUTBUF, &p, &n)) > 0) {
		if (cte == MIME_CTE_BASE64) {
			b64_bytes(d, p, n);
		} else if (d->put(d->ctx, p, n) < 0) {
			d->failed = 1;
		}
	}
	if (cte == MIME_CTE_BASE64)
		b64_tail(d);
	return r < 0 ? -1 : 0;
}

int
mime_body_read(const struct mime_msg *m, const struct mime_part *p, fx_put_fn put,
	       void *ctx, unsigned *defects)
{
	static struct dec *spare;  /* one decoder kept for the next body (single-threaded) */
	struct dec *d = spare ? spare : mbx_xcalloc(1, sizeof *d);   /* not on the stack */
	struct mime_cur c;
	int rc, cte = mime_is(p, "multipart/") ? MIME_CTE_IDENTITY : p->cte;

	spare = NULL;            /* a put that reads another body gets a decoder of its own */
	if (!d->lines.max) {
		mbx_buf_init(&d->lines, 2 * OUTBUF);
		mbx_buf_init(&d->bytes, 2 * OUTBUF);
	}
	d->put = put;
	d->ctx = ctx;
	d->n = 0;
	d->acc = 0;
	d->nacc = d->uu = d->failed = 0;
	d->defects = 0;
	mime_cur_init(&c, m->src, p->body, p->end);
	rc = cte == MIME_CTE_QP || cte == MIME_CTE_UUENCODE ? by_lines(d, &c, cte) :
	     by_bytes(d, &c, cte);
	mime_cur_free(&c);
	flush(d);
	*defects |= d->defects;
	rc = rc < 0 || d->failed ? -1 : 0;
	if (spare) {
		mbx_buf_free(&d->lines);
		mbx_buf_free(&d->bytes);
		free(d);
	} else {
		spare = d;
	}
	return rc;
}

static int
to_buf(void *ctx, const void *p, size_t n)
{
	return mbx_buf_append(ctx, p, n);
}

int
mime_body_buf(const struct mime_msg *m, const struct mime_part *p, struct mbx_buf *out,
	      unsigned *defects)
{
	return mime_body_read(m, p, to_buf, out, defects);
}

static int
count(void *ctx, const void *p, size_t n)
{
	(void)p;
	*(size_t *)ctx += n;
	return 0;
}

int
mime_body_len(const struct mime_msg *m, const struct mime_part *p, size_t *len,
	      unsigned *defects)
{
	*len = 0;
	return mime_body_read(m, p, count, len, defects);
}
