/* box.c: where written messages go: an mboxrd stream, a Maildir, or a directory of
 * .eml files. Files are written under a temporary name and renamed into place, so a
 * reader never sees half a message and a run again over the same frames replaces its
 * files instead of adding copies (their names depend only on the item). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mime-int.h"

/* path and the directories above it that are missing, as mkdir -p. */
static int
make_dir(const char *path, char *err, size_t n)
{
	char p[4096];
	size_t i;

	if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
		snprintf(err, n, "cannot create directory '%s': name too long", path);
		return -1;
	}
	for (i = 1; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			break;
		p[i] = '/';
	}
	if (!p[i] && mkdir(p, 0777) == 0)
		return 0;
	if (!p[i] && errno == EEXIST)
		return 0;
	snprintf(err, n, "cannot create directory '%s': %s", p, strerror(errno));
	return -1;
}

int
mime_box_open(struct mime_box *b, int kind, const char *dir, FILE *mbox, char *err, size_t n)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	char p[4096];
	size_t i;

	memset(b, 0, sizeof *b);
	b->kind = kind;
	b->dir = dir;
	b->f = mbox;
	b->dirfd = -1;
	if (kind == MIME_MBOX) {
		mime_sink_init(&b->sink, mbox, 0, 1);
		return 0;
	}
	if (make_dir(dir, err, n) < 0)
		return -1;
	for (i = 0; kind == MIME_MAILDIR && i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, sub[i]);
		if (make_dir(p, err, n) < 0)
			return -1;
	}
	if ((b->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, n, "cannot open directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ names */

/* 16 hex digits of FNV-1a over the item's identity: mailbox and id, else the payload's
 * sha256, else the payload itself. */
static void
item_hash(const struct fx_item *it, const struct mime_meta *m, char out[17])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const unsigned char *p;
	size_t n, i;
	char both[1024];

	if (m->id) {
		snprintf(both, sizeof both, "%s\n%s", m->mailbox ? m->mailbox : "", m->id);
		p = (const unsigned char *)both, n = strlen(both);
	} else if (m->sha256) {
		p = (const unsigned char *)m->sha256, n = strlen(m->sha256);
	} else {
		p = (const unsigned char *)it->stream.data, n = it->stream.len;
	}
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* The subject as at most 40 of [a-z0-9-]: safe on any file system. */
static void
slug(const struct fx_item *it, char *out, size_t n)
{
	char *s = mime_text(&it->root, P_SUBJECT), *p;
	size_t o = 0;

	for (p = s; p && *p && o + 1 < n && o < 40; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p | 0x20) : *p;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[o++] = c;
		else if (o && out[o - 1] != '-')
			out[o++] = '-';
	}
	while (o && out[o - 1] == '-')
		o--;
	out[o] = '\0';
	if (!o)
		snprintf(out, n, "message");
	free(s);
}

static void
file_name(const struct mime_box *b, const struct fx_item *it, const struct mime_meta *m,
	  const struct mime_result *r, char *out, size_t n)
{
	char h[17], sl[48], iso[32];

	item_hash(it, m, h);
	if (b->kind == MIME_MAILDIR) {
		snprintf(out, n, "%lld.M%s.mbx:2,%s", r->delivered > 0 ? r->delivered : 0, h,
			 r->flags);
		return;
	}
	mime_iso(r->delivered > 0 ? r->delivered : 0, iso, sizeof iso);
	slug(it, sl, sizeof sl);
	snprintf(out, n, "%.4s%.2s%.2s-%.2s%.2s%.2s-%s-%.12s.eml", iso, iso + 5, iso + 8,
		 iso + 11, iso + 14, iso + 17, sl, h);
}

/* ------------------------------------------------------------------ writing */

/* "From sender Tue Jan  2 03:04:05 2024" (asctime layout, UTC). */
static void
from_line(struct mime_box *b, const struct mime_result *r)
{
	static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	long long t = r->delivered > 0 ? r->delivered : 0, y, sod, days = t / 86400;
	unsigned m, d;
	char line[512];
	int k;

	mime_civil(t, &y, &m, &d, &sod);
	k = snprintf(line, sizeof line, "From %s %s %s %2u %02lld:%02lld:%02lld %04lld\n",
		     r->envelope, wd[days % 7], mo[m - 1], d, sod / 3600, sod / 60 % 60, sod % 60, y);
	mime_sink_raw(&b->sink, line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
}

static int
put_mbox(struct mime_box *b, const struct fx_item *it, const struct mime_meta *m,
	 struct mime_result *r, char *err, size_t n)
{
	struct mime_meta mm = *m;

	mm.mbox = 1;
	from_line(b, r);
	mime_write(&b->sink, it, &mm, r);
	mime_sink_raw(&b->sink, "\n", 1);           /* the blank line before the next From_ */
	if (b->sink.err) {
		snprintf(err, n, "cannot write the mbox: %s", strerror(b->sink.saved_errno));
		return -1;
	}
	return 0;
}

/* Write the message into tmp (a hidden name in the .eml directory), set its times to
 * the delivery time, and rename it to its name. */
static int
put_file(struct mime_box *b, const struct fx_item *it, const struct mime_meta *m,
	 struct mime_result *r, char *path, size_t pathlen, char *err, size_t n)
{
	char name[512], tmp[600], dst[600];
	struct timespec ts[2];
	int fd, ok;
	FILE *f;

	file_name(b, it, m, r, name, sizeof name);
	snprintf(tmp, sizeof tmp, b->kind == MIME_MAILDIR ? "tmp/%s" : ".%s.tmp", name);
	snprintf(dst, sizeof dst, b->kind == MIME_MAILDIR ? "cur/%s" : "%s", name);
	fd = openat(b->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0 || !(f = fdopen(fd, "wb"))) {
		snprintf(err, n, "cannot create '%s/%s': %s", b->dir, tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	mime_sink_init(&b->sink, f, b->kind == MIME_EML, 0);
	mime_write(&b->sink, it, m, r);
	ok = mime_sink_flush(&b->sink) == 0 && fflush(f) == 0;
	ts[0].tv_sec = ts[1].tv_sec = (time_t)(r->delivered > 0 ? r->delivered : 0);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (ok && r->delivered > 0)
		futimens(fileno(f), ts);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || renameat(b->dirfd, tmp, b->dirfd, dst) < 0) {
		snprintf(err, n, "cannot write '%s/%s': %s", b->dir, ok ? dst : tmp,
			 strerror(ok ? errno : b->sink.saved_errno ? b->sink.saved_errno : errno));
		unlinkat(b->dirfd, tmp, 0);
		return -1;
	}
	snprintf(path, pathlen, "%s/%s", b->dir, dst);
	return 0;
}

int
mime_box_put(struct mime_box *b, const struct fx_item *it, const struct mime_meta *m,
	     struct mime_result *r, char *path, size_t pathlen, char *err, size_t n)
{
	path[0] = '\0';
	mime_describe(it, m, r);
	if (b->kind == MIME_MBOX)
		return put_mbox(b, it, m, r, err, n);
	return put_file(b, it, m, r, path, pathlen, err, n);
}

int
mime_box_close(struct mime_box *b, char *err, size_t n)
{
	int rc = 0;

	if (b->kind == MIME_MBOX && (mime_sink_flush(&b->sink) < 0 || fflush(b->f) != 0)) {
		snprintf(err, n, "cannot write the mbox: %s", strerror(b->sink.err ?
			 b->sink.saved_errno : errno));
		rc = -1;
	}
	if (b->dirfd >= 0)
		close(b->dirfd);
	b->dirfd = -1;
	return rc;
}
