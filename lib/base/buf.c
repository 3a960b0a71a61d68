/* buf.c: bounded growable byte buffers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base.h"

void
mbx_buf_init(struct mbx_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : MBX_BUF_DEFAULT_MAX;
}

void
mbx_buf_free(struct mbx_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
mbx_buf_reset(struct mbx_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Make room for n more bytes plus the NUL; -1 when that would pass max. */
int
mbx_buf_reserve(struct mbx_buf *b, size_t n)
{
	size_t need, cap;

	if (n > b->max || b->len > b->max - n) {
		errno = ENOBUFS;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = mbx_xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int
mbx_buf_append(struct mbx_buf *b, const void *p, size_t n)
{
	if (mbx_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* The bytes of f up to its next LF (or its end) are appended to b, straight into the
 * buffer (a call per byte showed in profiles of mbx-export's read-ahead); those past
 * b's max are read and dropped (*over). Returns how many were read, LF excluded; *end
 * is '\n' or EOF. */
size_t
mbx_buf_getline(struct mbx_buf *b, FILE *f, int *end, int *over)
{
	size_t n = 0;
	int c;

	*over = 0;
	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		n++;
		/* reserve doubles the buffer, whose cap may then pass max: max is the bound */
		if (!*over && (b->len >= b->max || (b->len + 1 >= b->cap &&
						    mbx_buf_reserve(b, 1) < 0)))
			*over = 1;
		if (!*over)
			b->data[b->len++] = (char)c;
	}
	if (b->data)
		b->data[b->len] = '\0';
	*end = c;
	return n;
}

int
mbx_buf_puts(struct mbx_buf *b, const char *s)
{
	return mbx_buf_append(b, s, strlen(s));
}

int
mbx_buf_putc(struct mbx_buf *b, char c)
{
	return mbx_buf_append(b, &c, 1);
}

int
mbx_buf_printf(struct mbx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || mbx_buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
mbx_buf_steal(struct mbx_buf *b)
{
	char *d = b->data ? b->data : mbx_strdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}
