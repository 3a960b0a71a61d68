/* path.c: folder paths of display names (mbx(7) FOLDER PATHS).
 * "/Inbox/Q1\/Q2 Reports" names the folder "Q1/Q2 Reports" under Inbox: inside a name,
 * '/' is written "\/" and '\' is written "\\". "/" is the mailbox root. */
#include <stdlib.h>
#include <string.h>
#include "base.h"

#define MAX_SEGMENTS 256   /* Exchange nests folders far less deeply */

void
mbx_path_free(char **segs, size_t nseg)
{
	size_t i;

	for (i = 0; i < nseg; i++)
		free(segs[i]);
	free(segs);
}

/* Read one segment starting at *p (after its leading '/'); -1 on a bad escape. */
static int
segment(const char **p, struct mbx_buf *seg)
{
	const char *s = *p;

	mbx_buf_reset(seg);
	for (; *s && *s != '/'; s++) {
		if (*s == '\\') {
			if (s[1] != '/' && s[1] != '\\')
				return -1;
			s++;
		}
		if (mbx_buf_putc(seg, *s) < 0)
			return -1;
	}
	*p = s;
	return 0;
}

int
mbx_path_split(const char *path, char ***segs, size_t *nseg)
{
	struct mbx_buf seg;
	const char *p = path;
	char **v = NULL;
	size_t n = 0;

	*segs = NULL;
	*nseg = 0;
	if (!path || *path != '/')
		return -1;
	mbx_buf_init(&seg, 4096);
	while (*p == '/' && p[1]) {
		p++;
		if (n == MAX_SEGMENTS || segment(&p, &seg) < 0 || seg.len == 0) {
			mbx_buf_free(&seg);
			mbx_path_free(v, n);
			return -1;
		}
		v = mbx_xrealloc(v, (n + 1) * sizeof *v);
		v[n++] = mbx_buf_steal(&seg);
	}
	mbx_buf_free(&seg);
	*segs = v;
	*nseg = n;
	return 0;
}

int
mbx_path_append(struct mbx_buf *out, const char *parent, const char *name)
{
	size_t plen = parent ? strlen(parent) : 0;

	/* "/" + name, not "//" + name, under the root. */
	if (plen && mbx_buf_append(out, parent, plen == 1 && parent[0] == '/' ? 0 : plen) < 0)
		return -1;
	if (mbx_buf_putc(out, '/') < 0)
		return -1;
	for (; *name; name++) {
		if ((*name == '/' || *name == '\\') && mbx_buf_putc(out, '\\') < 0)
			return -1;
		if (mbx_buf_putc(out, *name) < 0)
			return -1;
	}
	return 0;
}
