/* src.c: a message's bytes and the lines of a range of them, read through a bounded
 * window when they are in a file (RFC 5322 2.1: lines end in CRLF; LF and a lone CR are
 * accepted as well). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mime.h"

#define WINDOW ((size_t)256 << 10)

void
mime_cur_init(struct mime_cur *c, const struct mime_src *s, size_t from, size_t to)
{
	memset(c, 0, sizeof *c);
	c->src = s;
	c->pos = from < s->len ? from : s->len;
	c->end = to < s->len ? to : s->len;
	if (c->pos > c->end)
		c->pos = c->end;
	c->bol = 1;
}

void
mime_cur_free(struct mime_cur *c)
{
	free(c->win);
	c->win = NULL;
}

/* Make at least want bytes from pos visible (fewer at the end of the range); the
 * bytes visible, or -1 on a read error. */
static ssize_t
visible(struct mime_cur *c, size_t want, const unsigned char **p)
{
	size_t have = c->end - c->pos, got = 0;
	ssize_t k;

	if (want > have)
		want = have;
	if (c->src->mem) {
		*p = c->src->mem + c->pos;
		return (ssize_t)have;
	}
	if (!c->win)
		c->win = mbx_xmalloc(WINDOW);
	if (c->pos < c->wpos || c->pos + want > c->wpos + c->wlen) {
		c->wpos = c->pos;
		c->wlen = have < WINDOW ? have : WINDOW;
		while (got < c->wlen) {
			k = pread(c->src->fd, c->win + got, c->wlen - got,
				  (off_t)(c->src->base + c->wpos + got));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				c->err = k < 0 ? errno : EIO;
				c->wlen = 0;
				return -1;
			}
			got += (size_t)k;
		}
	}
	*p = c->win + (c->pos - c->wpos);
	return (ssize_t)(c->wpos + c->wlen - c->pos);
}

int
mime_cur_line(struct mime_cur *c, const unsigned char **p, size_t *n, size_t *off,
	      int *bol)
{
	const unsigned char *s, *e;
	ssize_t have;
	size_t k, lim;

	if (c->pos >= c->end)
		return 0;
	if ((have = visible(c, MIME_LINE_MAX + 1, &s)) < 0)
		return -1;
	lim = (size_t)have < MIME_LINE_MAX ? (size_t)have : MIME_LINE_MAX;
	e = memchr(s, '\n', lim);
	k = e ? (size_t)(e - s) + 1 : lim;
	if ((e = memchr(s, '\r', k)) != NULL)   /* a CR ends the line, with its LF if any */
		k = (size_t)(e - s) + 1 + ((size_t)(e - s) + 1 < (size_t)have && e[1] == '\n');
	*p = s;
	*n = k;
	*off = c->pos;
	*bol = c->bol;
	c->bol = s[k - 1] == '\n' || s[k - 1] == '\r';
	c->pos += k;
	return 1;
}

int
mime_cur_bytes(struct mime_cur *c, size_t max, const unsigned char **p, size_t *n)
{
	ssize_t have;

	if (c->pos >= c->end)
		return 0;
	if (max > WINDOW)
		max = WINDOW;
	if ((have = visible(c, max, p)) < 0)
		return -1;
	*n = (size_t)have < max ? (size_t)have : max;
	c->pos += *n;
	c->bol = (*p)[*n - 1] == '\n' || (*p)[*n - 1] == '\r';
	return 1;
}
