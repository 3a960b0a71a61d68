/* mbox.c: the readers of mail containers: mbox (mboxrd and mboxo, the "From_" format of
 * RFC 4155), single message files (.eml, RFC 5322), and Maildir (cur/ new/ tmp/, the
 * ":2," flags, Maildir++ folders). Each message goes to a callback as a mime_src;
 * messages larger than MIME_SPILL wait in a temporary file, not in memory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mime.h"

#define INBUF ((size_t)1 << 20)
#define FROM_LINE_MAX 1000         /* a longer "From " line is text, not a From_ line */
#define MAILDIR_DEPTH 32

/* --------------------------------------------------------------- spooling */

struct spool {
	struct mbx_buf mem;
	FILE *tmp;
	size_t len;
	int err;
};

static void
spool_put(struct spool *s, const void *p, size_t n)
{
	if (s->err || n == 0)
		return;
	if (!s->tmp && s->mem.len + n > MIME_SPILL) {
		if (!(s->tmp = tmpfile()) ||
		    (s->mem.len && fwrite(s->mem.data, 1, s->mem.len, s->tmp) != s->mem.len)) {
			s->err = errno ? errno : EIO;
			return;
		}
		mbx_buf_reset(&s->mem);
	}
	if (s->tmp ? fwrite(p, 1, n, s->tmp) != n : mbx_buf_append(&s->mem, p, n) < 0) {
		s->err = errno ? errno : EIO;
		return;
	}
	s->len += n;
}

static int
spool_src(struct spool *s, struct mime_src *src)
{
	memset(src, 0, sizeof *src);
	src->len = s->len;
	src->fd = -1;
	if (!s->tmp || ftello(s->tmp) == 0) {
		src->mem = (const unsigned char *)(s->mem.data ? s->mem.data : "");
		return 0;
	}
	if (fflush(s->tmp) != 0) {
		s->err = errno;
		return -1;
	}
	src->fd = fileno(s->tmp);
	return 0;
}

static void
spool_reset(struct spool *s)
{
	mbx_buf_reset(&s->mem);
	s->len = 0;
	if (s->tmp && (fflush(s->tmp) != 0 || ftruncate(fileno(s->tmp), 0) != 0))
		s->err = errno;
	if (s->tmp)
		rewind(s->tmp);
}

/* ------------------------------------------------------------- From_ lines */

/* "From " SENDER DATE: the date as asctime writes it (or with a zone, as Gmail does);
 * RFC 4155 says no more. */
static int
from_date(const unsigned char *p, size_t n, long long *t)
{
	char line[FROM_LINE_MAX + 1];
	const char *s;

	if (n < 5 || n > FROM_LINE_MAX || memcmp(p, "From ", 5) != 0)
		return -1;
	memcpy(line, p, n);
	line[n] = '\0';
	s = line + 5;
	s += strspn(s, " ");
	if (*s == '"')                       /* a quoted sender may hold blanks */
		s = strchr(s + 1, '"') ? strchr(s + 1, '"') + 1 : s + strlen(s);
	s += strcspn(s, " \t");
	return mime_date_parse(s, t) == 0 && *t > 0 && *t < 4102444800LL ? 0 : -1;
}

int
mime_is_from_line(const void *p, size_t n)
{
	const unsigned char *e = memchr(p, '\n', n);
	long long t;

	return from_date(p, e ? (size_t)(e - (const unsigned char *)p) : n, &t) == 0;
}

/* A sender token that an MTA writes: an address, MAILER-DAEMON, or "-". */
static int
envelope_token(const unsigned char *p, size_t n)
{
	size_t k;

	if (n < 6)
		return 0;
	p += 5, n -= 5;
	k = 0;
	while (k < n && p[k] != ' ' && p[k] != '\t' && p[k] != '\r' && p[k] != '\n')
		k++;
	return (k == 1 && p[0] == '-') || memchr(p, '@', k) ||
	       (k == 13 && memcmp(p, "MAILER-DAEMON", 13) == 0);
}

/* ----------------------------------------------------------------- mbox */

struct mbr {
	FILE *f;
	const char *name;
	mime_item_fn fn;
	void *ctx;
	unsigned char *buf;
	size_t pos, len;
	unsigned long long off;    /* input offset of buf[pos] */
	int eof, bol;
	struct spool sp;
	int in_msg, prev_blank, last_eol;
	unsigned long long msg_off;
	unsigned long index;
	long long delivered;
	unsigned char held[2];     /* the last empty line, held back: it may be the separator */
	size_t nheld;
	struct mbx_buf pend;       /* a "From " line that the next line decides about */
	unsigned long long pend_off;
	int pending, pend_prev_blank;
	int rc;
};

/* The next line (or piece of a long one) of the input. 1, 0 at the end, -1 error. */
static int
next_line(struct mbr *r, const unsigned char **p, size_t *n, int *bol)
{
	const unsigned char *e;
	size_t k;

	for (;;) {
		e = r->len > r->pos ? memchr(r->buf + r->pos, '\n', r->len - r->pos) : NULL;
		if (e || r->eof || r->len - r->pos >= MIME_LINE_MAX)
			break;
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
		k = fread(r->buf + r->len, 1, INBUF - r->len, r->f);
		r->len += k;
		if (k == 0) {
			if (ferror(r->f))
				return -1;
			r->eof = 1;
		}
	}
	if (r->pos == r->len)
		return 0;
	k = e ? (size_t)(e - (r->buf + r->pos)) + 1 : r->len - r->pos;
	if (k > MIME_LINE_MAX)
		k = MIME_LINE_MAX;
	*p = r->buf + r->pos;
	*n = k;
	*bol = r->bol;
	r->bol = (*p)[k - 1] == '\n';
	r->last_eol = r->bol;
	r->pos += k;
	r->off += k;
	return 1;
}

static int
is_blank(const unsigned char *p, size_t n)
{
	return (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n');
}

/* Text of the message: an empty line is held back until the next line shows that it
 * was not the separator before a From_ line. */
static void
put_text(struct mbr *r, const unsigned char *p, size_t n, int bol)
{
	if (r->nheld) {
		spool_put(&r->sp, r->held, r->nheld);
		r->nheld = 0;
	}
	if (bol && is_blank(p, n)) {
		memcpy(r->held, p, n);
		r->nheld = n;
		return;
	}
	spool_put(&r->sp, p, n);
}

static void
end_message(struct mbr *r, int truncated)
{
	struct mime_item it;

	if (!r->in_msg)
		return;
	memset(&it, 0, sizeof it);
	it.file = r->name;
	it.offset = r->msg_off;
	it.index = ++r->index;
	it.env.delivered = r->delivered;
	it.truncated = truncated;
	if (r->sp.err || spool_src(&r->sp, &it.src) < 0) {
		it.error = strerror(r->sp.err);
		memset(&it.src, 0, sizeof it.src);
		it.src.mem = (const unsigned char *)"";
		r->sp.err = 0;
	}
	if (r->rc == 0)
		r->rc = r->fn(r->ctx, &it);
	spool_reset(&r->sp);
	r->in_msg = 0;
	r->nheld = 0;
}

static void
start_message(struct mbr *r, unsigned long long off, const unsigned char *p, size_t n)
{
	end_message(r, 0);
	r->in_msg = 1;
	r->msg_off = off;
	if (from_date(p, n - (p[n - 1] == '\n') - (n > 1 && p[n - 2] == '\r'), &r->delivered) < 0)
		r->delivered = 0;
}

/* The pending "From " line, now that the line after it (p, n) is known: a separator
 * when it has a date and follows an empty line or precedes a field, or follows an empty
 * line, precedes a field and names a sender as MTAs write it; else text. */
static void
decide(struct mbr *r, const unsigned char *p, size_t n)
{
	const unsigned char *f = (const unsigned char *)r->pend.data;
	size_t fl = r->pend.len;
	long long t;
	int dated = from_date(f, fl - (f[fl - 1] == '\n') - (fl > 1 && f[fl - 2] == '\r'), &t) == 0;
	int field = p && mime_field_line(p, n);

	r->pending = 0;
	if ((dated && (r->pend_prev_blank || field)) ||
	    (r->pend_prev_blank && field && envelope_token(f, fl))) {
		start_message(r, r->pend_off, f, fl);
		return;
	}
	if (!r->in_msg) {
		r->in_msg = 1;
		r->msg_off = r->pend_off;
	}
	put_text(r, f, fl, 1);
}

/* A line beginning ">...>From " loses one '>' (mboxrd; mboxo quoted only ">From ",
 * which this undoes the same way). */
static size_t
unquote(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] == '>')
		i++;
	return i > 0 && n - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

static void
mbox_line(struct mbr *r, const unsigned char *p, size_t n, int bol, unsigned long long off)
{
	int blank = bol && is_blank(p, n);

	if (r->pending)
		decide(r, p, n);
	if (bol && n >= 5 && memcmp(p, "From ", 5) == 0) {
		if (!r->in_msg && r->index == 0 && off == 0) {
			start_message(r, off, p, n);      /* the first line of the input */
		} else if (n <= FROM_LINE_MAX && (p[n - 1] == '\n')) {
			mbx_buf_reset(&r->pend);
			mbx_buf_append(&r->pend, p, n);
			r->pend_off = off;
			r->pend_prev_blank = r->prev_blank || !r->in_msg;
			r->pending = 1;
		} else {
			put_text(r, p, n, bol);
		}
		r->prev_blank = 0;
		return;
	}
	if (!r->in_msg) {
		if (blank)
			return;                   /* empty lines before the first message */
		r->in_msg = 1;
		r->msg_off = off;
	}
	if (bol && unquote(p, n))
		put_text(r, p + 1, n - 1, bol);
	else
		put_text(r, p, n, bol);
	r->prev_blank = blank;
}

int
mime_mbox_read(FILE *f, const char *name, mime_item_fn fn, void *ctx, char *err,
	       size_t errlen)
{
	struct mbr r;
	const unsigned char *p;
	size_t n;
	int bol, rc;

	memset(&r, 0, sizeof r);
	r.f = f;
	r.name = name;
	r.fn = fn;
	r.ctx = ctx;
	r.bol = r.last_eol = 1;
	r.buf = mbx_xmalloc(INBUF);
	mbx_buf_init(&r.sp.mem, 2 * MIME_SPILL);
	mbx_buf_init(&r.pend, 0);
	while (r.rc == 0 && (rc = next_line(&r, &p, &n, &bol)) > 0)
		mbox_line(&r, p, n, bol, r.off - n);
	if (r.rc == 0 && rc < 0) {
		snprintf(err, errlen, "cannot read '%s': %s", name, strerror(errno));
		r.rc = MBX_EXIT_IO;
	}
	if (r.pending)
		decide(&r, NULL, 0);
	end_message(&r, !r.last_eol);
	free(r.buf);
	mbx_buf_free(&r.sp.mem);
	mbx_buf_free(&r.pend);
	if (r.sp.tmp)
		fclose(r.sp.tmp);
	return r.rc;
}

/* ------------------------------------------------------------ single files */

/* The whole file in memory when it is small, else read from it as needed. */
static int
open_src(const char *path, struct mime_src *src, void **mem, int *fd, const char **why)
{
	struct stat st;
	ssize_t k;
	size_t got = 0;

	*mem = NULL;
	memset(src, 0, sizeof *src);
	src->mem = (const unsigned char *)"";
	if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(*fd, &st) < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > MBX_FRAME_MAX_PAYLOAD * 2) {
		*why = S_ISREG(st.st_mode) ? "the file is larger than 512 MiB" : "not a regular file";
		return -1;
	}
	src->len = (size_t)st.st_size;
	if (src->len > MIME_SPILL) {
		src->mem = NULL;
		src->fd = *fd;
		return 0;
	}
	*mem = mbx_xmalloc(src->len + 1);
	while (got < src->len && (k = read(*fd, (char *)*mem + got, src->len - got)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			*why = strerror(errno);
			return -1;
		}
		got += (size_t)k;
	}
	src->len = got;
	src->mem = *mem;
	return 0;
}

static int
file_item(const char *path, const char *folder, const struct mime_env *env, mime_item_fn fn,
	  void *ctx, unsigned long index)
{
	struct mime_item it;
	void *mem;
	int fd, rc;
	const char *why = NULL;

	memset(&it, 0, sizeof it);
	it.file = path;
	it.index = index;
	it.folder = folder;
	if (env)
		it.env = *env;
	if (open_src(path, &it.src, &mem, &fd, &why) < 0) {
		it.error = why;
		memset(&it.src, 0, sizeof it.src);
		it.src.mem = (const unsigned char *)"";
	}
	rc = fn(ctx, &it);
	free(mem);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
mime_file_read(const char *path, const char *folder, const struct mime_env *env,
	       mime_item_fn fn, void *ctx)
{
	return file_item(path, folder, env, fn, ctx, 1);
}

/* --------------------------------------------------------------- Maildir */

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory, sorted (by byte value, so the order is the same on
 * every system); dot files left out. NULL when it cannot be read. */
static char **
list_dir(const char *path, size_t *n)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		if (*n == cap)
			v = mbx_xrealloc(v, (cap = cap ? 2 * cap : 16) * sizeof *v);
		v[(*n)++] = mbx_strdup(e->d_name);
	}
	closedir(d);
	if (!v)
		return mbx_xcalloc(1, sizeof *v);   /* empty, but read */
	qsort(v, *n, sizeof *v, cmp_names);
	return v;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *
join(const char *a, const char *b)
{
	struct mbx_buf p;

	mbx_buf_init(&p, 0);
	mbx_buf_printf(&p, "%s/%s", a, b);
	return mbx_buf_steal(&p);
}

struct mdw {
	mime_item_fn fn;
	void *ctx;
	char *err;
	size_t errlen;
	unsigned long index;
};

/* The flags after ":2," (the Maildir specification's "info"). */
static void
maildir_flags(const char *name, int in_new, struct mime_env *env)
{
	const char *info = strstr(name, ":2,");

	env->unread = in_new || !info || !strchr(info + 3, 'S');
	env->flagged = info && strchr(info + 3, 'F');
}

static int
maildir_files(struct mdw *w, const char *dir, const char *sub, const char *folder)
{
	char *path = join(dir, sub), **v, *f;
	size_t n, i;
	struct stat st;
	struct mime_env env;
	int rc = 0;

	v = list_dir(path, &n);
	for (i = 0; v && i < n && rc == 0; i++) {
		if (v[i][0] == '.')
			continue;          /* not a message (the Maildir specification) */
		f = join(path, v[i]);
		memset(&env, 0, sizeof env);
		maildir_flags(v[i], strcmp(sub, "new") == 0, &env);
		if (stat(f, &st) == 0)
			env.delivered = (long long)st.st_mtime;
		/* anything else in cur/ or new/ is a message that cannot be read: an error
		 * item, so that it is counted (open fails on it with the reason) */
		rc = file_item(f, folder, &env, w->fn, w->ctx, ++w->index);
		free(f);
	}
	if (v)
		free_list(v, n);
	free(path);
	return rc;
}

/* The folder path of a Maildir at rel (relative to the top, "" for the top itself):
 * Maildir++ ".A.B" is /A/B, a plain directory path is itself, INBOX is /Inbox. */
static char *
folder_path(const char *rel)
{
	struct mbx_buf p, seg;
	const char *s = rel;

	mbx_buf_init(&p, 0);
	if (!*rel || strcasecmp(rel, "INBOX") == 0)
		return mbx_strdup("/Inbox");
	mbx_buf_init(&seg, 0);
	while (*s) {
		size_t k = strcspn(s, "/");
		const char *c = s, *e = s + k;
		if (*c == '.') {                 /* Maildir++: dots separate the levels */
			c++;
			while (c <= e) {
				size_t d = strcspn(c, ".");
				if (d > (size_t)(e - c))
					d = (size_t)(e - c);
				mbx_buf_reset(&seg);
				mbx_buf_append(&seg, c, d);
				mbx_path_append(&p, NULL, seg.data ? seg.data : "");
				c += d + 1;
			}
		} else {
			mbx_buf_reset(&seg);
			mbx_buf_append(&seg, c, k);
			mbx_path_append(&p, NULL, seg.data ? seg.data : "");
		}
		s = *e ? e + 1 : e;
	}
	mbx_buf_free(&seg);
	return p.data ? mbx_buf_steal(&p) : mbx_strdup("/");
}

static int
maildir_walk(struct mdw *w, const char *dir, const char *rel, int depth)
{
	char *cur = join(dir, "cur"), *nw = join(dir, "new"), **v, *sub, *r2, *folder;
	size_t n, i;
	int rc = 0;

	if (is_dir(cur) || is_dir(nw)) {
		folder = folder_path(rel);
		rc = maildir_files(w, dir, "cur", folder);
		if (rc == 0)
			rc = maildir_files(w, dir, "new", folder);
		free(folder);
	}
	free(cur);
	free(nw);
	v = depth < MAILDIR_DEPTH ? list_dir(dir, &n) : NULL;
	for (i = 0; v && i < n && rc == 0; i++) {
		if (!strcmp(v[i], "cur") || !strcmp(v[i], "new") || !strcmp(v[i], "tmp"))
			continue;
		sub = join(dir, v[i]);
		r2 = *rel ? join(rel, v[i]) : mbx_strdup(v[i]);
		if (is_dir(sub))
			rc = maildir_walk(w, sub, r2, depth + 1);
		free(sub);
		free(r2);
	}
	if (v)
		free_list(v, n);
	return rc;
}

int
mime_maildir_read(const char *dir, mime_item_fn fn, void *ctx, char *err, size_t errlen)
{
	struct mdw w = { fn, ctx, err, errlen, 0 };
	DIR *d = opendir(dir);

	if (!d) {
		snprintf(err, errlen, "cannot read '%s': %s", dir, strerror(errno));
		return MBX_EXIT_IO;
	}
	closedir(d);
	return maildir_walk(&w, dir, "", 0);
}
