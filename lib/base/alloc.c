/* alloc.c: allocation that ends the program on ENOMEM, and string copies that never overflow. */
#include <stdlib.h>
#include <string.h>
#include "base.h"

void *
mbx_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		mbx_die(MBX_EXIT_SOFTWARE, "out of memory (%zu bytes)", n);
	return p;
}

void *
mbx_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		mbx_die(MBX_EXIT_SOFTWARE, "out of memory");
	return p;
}

void *
mbx_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		mbx_die(MBX_EXIT_SOFTWARE, "out of memory (%zu bytes)", n);
	return q;
}

char *
mbx_strndup(const char *s, size_t n)
{
	char *d;

	if (!s)
		return NULL;
	d = mbx_xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
mbx_strdup(const char *s)
{
	return s ? mbx_strndup(s, strlen(s)) : NULL;
}

size_t
mbx_strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (n) {
		size_t c = len < n - 1 ? len : n - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return len;
}
