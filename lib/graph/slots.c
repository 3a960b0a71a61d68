/* slots.c: the service's per-mailbox limit of 4 requests in flight (graph-api.md 7),
 * shared by the processes of this machine that use one app on one mailbox, so that the
 * stages of a pipeline (mbx-ls | mbx-export) do not draw 429s from each other.
 *
 * A (service, app, mailbox) key has N slot files, DIR/<key>.0 .. <key>.N-1 (N = 4, or
 * --jobs when larger); a request in flight holds one with flock(LOCK_EX), taken with
 * LOCK_NB, released when the request completes. The kernel drops a dead process's
 * locks, so a file left behind by a SIGKILL is simply a free slot. A process that holds
 * no slot of a key and waits for one holds DIR/<key>.w with LOCK_SH ("starved"); a
 * process that holds some takes no further slot while anyone does, so a freed slot goes
 * to the starved process instead of back to the busy one (DESIGN-NOTES.md "Slots").
 *
 * Files are unlinked by the process that holds their lock, once it has nothing more for
 * the key: whoever takes a lock checks that the path still names the file it locked
 * (fstat against stat), so an unlinked file is never a slot. Any error other than a
 * busy lock turns sharing off for the process (one warning): the requests are then
 * bounded per process only, as before, and the service's 429s still rule. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mbx.h"

#define SERVICE_LIMIT 4         /* requests in flight per app and mailbox (graph-api.md 7) */
#define MAX_SLOTS 64            /* --jobs' upper bound (opts.c) */

struct mbx_slots {
	char key[33];               /* hex of sha256(service origin, client id, mailbox) */
	int fd[MAX_SLOTS];          /* the locked file of each slot held, -1 */
	int held;
	int starved;                /* fd of <key>.w held LOCK_SH, -1 */
	struct mbx_slots *next;
};

static struct {
	int init, off;
	char dir[3072];
	struct mbx_slots *keys;
} S;

static void at_exit(void);

static void
turn_off(const char *what, const char *path, int err)
{
	if (!S.off)
		mbx_warn("cannot use %s '%s' for mailbox slots: %s (requests are not shared "
			 "with other processes)", what, path, strerror(err));
	S.off = 1;
}

static int
mkdirs(char *d)
{
	char *s;

	for (s = d + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST) {
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	return mkdir(d, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* MBX_SLOTS_DIR (none: off), else $XDG_RUNTIME_DIR/mbx/slots (a per-user tmpfs, emptied
 * at logout), else /tmp/mbx-slots-<uid>: not the token cache's directory, which holds
 * the cache and its lock only (t5900), and not $TMPDIR, so that every stage finds the
 * same one (as the progress registry, progress.c). Another user able to write there
 * could hold our slots: refused. */
static void
dir_init(void)
{
	const char *e = getenv("MBX_SLOTS_DIR"), *rt = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	S.init = 1;
	atexit(at_exit);
	if (e && strcmp(e, "none") == 0) {
		S.off = 1;
		return;
	}
	if (e && *e)
		n = snprintf(S.dir, sizeof S.dir, "%s", e);
	else if (rt && *rt == '/')
		n = snprintf(S.dir, sizeof S.dir, "%s/mbx/slots", rt);
	else
		n = snprintf(S.dir, sizeof S.dir, "/tmp/mbx-slots-%lu", (unsigned long)geteuid());
	if (n < 0 || (size_t)n >= sizeof S.dir - 64) {
		turn_off("directory", S.dir, ENAMETOOLONG);
		return;
	}
	if (mkdirs(S.dir) < 0 || stat(S.dir, &st) < 0) {
		turn_off("directory", S.dir, errno);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		turn_off("directory", S.dir, ENOTDIR);
	else if (st.st_uid != geteuid() || (st.st_mode & 022))
		turn_off("directory", S.dir, EPERM);
}

/* The origin of the service (scheme://host:port): two services, or two emulators on
 * one machine, have separate limits. */
static size_t
origin_len(const char *url)
{
	const char *h = strstr(url, "://");

	return h ? (size_t)(h + 3 - url) + strcspn(h + 3, "/?#") : strlen(url);
}

struct mbx_slots *
mbx_slots_get(const char *mailbox)
{
	struct mbx_slots *s;
	struct mbx_buf b;
	const char *client = getenv("AZURE_CLIENT_ID");
	char hex[65];
	int i;

	if (!S.init)
		dir_init();
	if (S.off || !mailbox || !*mailbox)
		return NULL;
	mbx_buf_init(&b, 0);
	mbx_buf_printf(&b, "%.*s\n%s\n%s", (int)origin_len(mbx_opt.graph_url), mbx_opt.graph_url,
		       client ? client : "", mailbox);
	mbx_sha256_hex(b.data, b.len, hex);
	mbx_buf_free(&b);
	for (s = S.keys; s; s = s->next)
		if (memcmp(s->key, hex, 32) == 0)
			return s;
	s = mbx_xcalloc(1, sizeof *s);
	memcpy(s->key, hex, 32);
	for (i = 0; i < MAX_SLOTS; i++)
		s->fd[i] = -1;
	s->starved = -1;
	s->next = S.keys;
	S.keys = s;
	return s;
}

static int
nslots(void)
{
	return mbx_opt.jobs > SERVICE_LIMIT ? (mbx_opt.jobs < MAX_SLOTS ? mbx_opt.jobs : MAX_SLOTS)
		: SERVICE_LIMIT;
}

/* DIR/<key>.<suffix>; the directory's length was checked, so it fits. */
static void
path_of(const struct mbx_slots *s, const char *suffix, char *out, size_t n)
{
	snprintf(out, n, "%s/%s.%s", S.dir, s->key, suffix);
}

/* Lock path (op: LOCK_EX or LOCK_SH, never waiting). fd of the locked file that the path
 * still names; -1 busy or unlinked meanwhile (try again later); -2 sharing is off. */
static int
lock_file(const char *path, int op, int create)
{
	struct stat a, b;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);

	if (fd < 0) {
		if (errno == ENOENT && !create)
			return -1;
		turn_off("file", path, errno);
		return -2;
	}
	if (flock(fd, op | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK || e == EINTR)
			return -1;
		turn_off("file", path, e);
		return -2;
	}
	if (fstat(fd, &a) < 0 || stat(path, &b) < 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		close(fd);             /* unlinked by its last holder: not a slot any more */
		return -1;
	}
	return fd;
}

/* Someone holds <key>.w shared: a process with no slot of the key waits for one. */
static int
other_starved(const struct mbx_slots *s)
{
	char p[sizeof S.dir + 64];
	int fd;

	path_of(s, "w", p, sizeof p);
	if ((fd = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return errno == EWOULDBLOCK;
	}
	close(fd);
	return 0;
}

static void
unstarve(struct mbx_slots *s)
{
	if (s->starved >= 0)
		close(s->starved);
	s->starved = -1;
}

static void give(struct mbx_slots *s, int i, int idle);

void
mbx_slots_unwant(struct mbx_slots *s)
{
	unstarve(s);
}

int
mbx_slots_take(struct mbx_slots *s)
{
	char p[sizeof S.dir + 64], suf[16];
	int i, fd;

	if (S.off) {
		unstarve(s);
		return -1;
	}
	if (s->held >= nslots() || (s->held > 0 && other_starved(s)))
		return 0;
	for (i = 0; i < nslots(); i++) {
		if (s->fd[i] >= 0)
			continue;
		snprintf(suf, sizeof suf, "%d", i);
		path_of(s, suf, p, sizeof p);
		fd = lock_file(p, LOCK_EX, 1);
		if (fd == -2)
			return -1;
		if (fd >= 0) {
			s->fd[i] = fd;
			s->held++;
			unstarve(s);
			return i + 1;
		}
	}
	if (s->held == 0 && s->starved < 0) {
		path_of(s, "w", p, sizeof p);
		fd = lock_file(p, LOCK_SH, 1);
		if (fd == -2)
			return -1;
		s->starved = fd;       /* -1 (busy): marked on the next try */
	}
	return 0;
}

/* Given back at once, also by a lane with nothing queued: a slot kept a moment for a
 * lister's next page (LINGER, 20 ms) measured no better for 1, 8 or 16 mailboxes once
 * starved-first was there, and a lister busy with other mailboxes' pages kept it well
 * past the moment (DESIGN-NOTES "Slots"). */
void
mbx_slots_give(struct mbx_slots *s, int slot, int idle)
{
	if (!s || slot < 1 || slot > MAX_SLOTS || s->fd[slot - 1] < 0)
		return;
	give(s, slot - 1, idle);
}

/* Remove the files of a key that no one holds: called by a process done with it. */
static void
sweep(const struct mbx_slots *s)
{
	char p[sizeof S.dir + 64], suf[16];
	int i, fd;

	for (i = 0; i <= nslots() && !S.off; i++) {
		if (i < nslots() && s->fd[i] >= 0)
			continue;
		if (i < nslots())
			snprintf(suf, sizeof suf, "%d", i);
		else
			mbx_strlcpy(suf, "w", sizeof suf);
		path_of(s, suf, p, sizeof p);
		if ((fd = lock_file(p, LOCK_EX, 0)) >= 0) {
			unlink(p);     /* under its lock: see lock_file */
			close(fd);
		}
	}
}

static void
give(struct mbx_slots *s, int i, int idle)
{
	close(s->fd[i]);
	s->fd[i] = -1;
	s->held--;
	if (idle && s->held == 0 && s->starved < 0)
		sweep(s);
}

/* At exit the kernel drops the locks anyway; this removes the files too. */
static void
at_exit(void)
{
	struct mbx_slots *s;
	int i;

	for (s = S.keys; s; s = s->next) {
		unstarve(s);
		for (i = 0; i < MAX_SLOTS; i++)
			if (s->fd[i] >= 0)
				give(s, i, 0);
		sweep(s);
	}
}
