/* sink.c: the writer's output: a buffer in front of a FILE that makes LF line ends CRLF
 * for .eml files and quotes "From " lines for mboxrd (a line matching ">*From " gets
 * one more '>' at its start, so readers can undo it exactly). Lines are scanned, not
 * copied byte by byte: only a line's first bytes are looked at. */
#include <errno.h>
#include <string.h>
#include "mime.h"

void
mime_sink_init(struct mime_sink *s, FILE *f, int crlf, int mboxrd)
{
	s->f = f;
	s->crlf = crlf;
	s->mboxrd = mboxrd;
	s->bol = 1;
	s->nquote = s->nfrom = 0;
	s->err = s->saved_errno = 0;
	s->bytes = 0;
	s->len = 0;
}

static int
drain(struct mime_sink *s)
{
	if (s->len && !s->err && fwrite(s->buf, 1, s->len, s->f) != s->len) {
		s->err = 1;
		s->saved_errno = errno;
	}
	s->bytes += s->err ? 0 : s->len;
	s->len = 0;
	return s->err ? -1 : 0;
}

static void
out(struct mime_sink *s, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t k;

	while (n) {
		if (s->len == sizeof s->buf && drain(s) < 0)
			return;
		k = sizeof s->buf - s->len < n ? sizeof s->buf - s->len : n;
		memcpy(s->buf + s->len, c, k);
		s->len += k;
		c += k;
		n -= k;
	}
}

void
mime_sink_raw(struct mime_sink *s, const void *p, size_t n)
{
	out(s, p, n);
	if (n)
		s->bol = ((const char *)p)[n - 1] == '\n';
}

/* The '>'s and the part of "From " held back at a line start, written out (with one
 * more '>' first when the whole of ">*From " was seen). */
static void
release(struct mime_sink *s, int quote)
{
	static const char gt[16] = ">>>>>>>>>>>>>>>>";
	int q = s->nquote + quote;

	while (q > 0) {
		out(s, gt, q < 16 ? (size_t)q : 16);
		q -= 16;
	}
	out(s, "From ", (size_t)s->nfrom);
	s->nquote = s->nfrom = 0;
}

/* mboxrd at a line start: consume what decides whether the line needs a '>'; returns
 * how many bytes of p were taken (held back or released). */
static size_t
line_start(struct mime_sink *s, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s->nfrom == 0 && p[i] == '>') {
			s->nquote++;
			i++;
		} else if (p[i] == (unsigned char)"From "[s->nfrom]) {
			i++;
			if (++s->nfrom == 5) {
				release(s, 1);
				s->bol = 0;
				return i;
			}
		} else {
			release(s, 0);
			s->bol = 0;
			return i;
		}
	}
	return i;
}

/* A run of line content up to and including its LF (or the end of p). */
static size_t
line_body(struct mime_sink *s, const unsigned char *p, size_t n)
{
	const unsigned char *nl = memchr(p, '\n', n);
	size_t k = nl ? (size_t)(nl - p) : n;

	if (!nl) {
		out(s, p, k);
		return k;
	}
	if (s->crlf && !(k > 0 && p[k - 1] == '\r')) {
		out(s, p, k);
		out(s, "\r\n", 2);
	} else {
		out(s, p, k + 1);
	}
	s->bol = 1;
	return k + 1;
}

void
mime_sink_put(struct mime_sink *s, const void *vp, size_t n)
{
	const unsigned char *p = vp;
	size_t k;

	if (!s->mboxrd && !s->crlf) {
		mime_sink_raw(s, p, n);
		return;
	}
	while (n && !s->err) {
		if (s->bol && s->mboxrd) {
			if (p[0] == '\n' && s->nquote == 0 && s->nfrom == 0) {
				s->bol = 0;           /* an empty line: its LF is the line */
			} else {
				k = line_start(s, p, n);
				p += k;
				n -= k;
				continue;
			}
		}
		if (s->bol && s->nquote + s->nfrom)
			release(s, 0);
		k = line_body(s, p, n);
		p += k;
		n -= k;
	}
}

/* A line start still undecided at the end is written as it is. */
int
mime_sink_flush(struct mime_sink *s)
{
	if (s->nquote || s->nfrom)
		release(s, 0);
	return drain(s);
}

void
mime_sink_puts(struct mime_sink *s, const char *str)
{
	mime_sink_put(s, str, strlen(str));
}
