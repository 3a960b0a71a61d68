/* changelog.c: --state's append-only change log (store.log; state.c reads it back).
 *
 * Every change to the store happens under its lock; store.c tells this file what each
 * did (an item made or changed, a folder made or renamed, a removal, a tombstone) and
 * gd_store_unlock commits them as one line, {"lsn":N,"ops":[...]}: the line is one
 * request's change, whole or (torn by a SIGKILL) not at all. Removals and tombstones are
 * written as they happen; changed items are written as they are at the commit, or just
 * before a removal (a copy made by a move must be written while the item it shares
 * bytes with still exists). A request's answer waits in gd_log_sync until everything
 * committed before it is written to the kernel, which a SIGKILL of the emulator does not
 * undo; a thread fsyncs it within a second (--fsync second, the default). With --fsync
 * always the answer waits for the fsync, which then also survives a crash of the
 * machine: one fsync serves every request that waited meanwhile.
 * When the log passes a multiple of the snapshot, the snapshot is written again
 * (atomically) and the log emptied: a write costs what it changed, amortised. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "graphd.h"

#define COMPACT_FACTOR 2                   /* log bytes over snapshot bytes */
#define COMPACT_MIN ((long long)4 << 20)   /* never for less than this */
/* The log is written over zeros written ahead of it, a segment at a time: an fsync
 * then writes data only, where one that also grows the file commits the file system's
 * journal (a third of the time, on ext4). Replay stops at the zeros. */
#define SEGMENT ((long long)4 << 20)

struct gd_log {
	char dir[4096], path[4096];
	FILE *f;
	pthread_mutex_t mu;        /* the file, lsn, durable, bytes, failed */
	pthread_mutex_t sync_mu;   /* one fsync (or compaction) at a time */
	uint64_t lsn, durable;     /* the last line written, the last one fsync'd */
	long long bytes, snap_bytes, zeroed;      /* zeroed: the file's length */
	int failed;
	char why[4400];
	/* --fsync second: a thread fsyncs what was written, once a second */
	int always, stopping, has_syncer;
	pthread_t syncer;
	pthread_cond_t wake;       /* with mu: the syncer's sleep, ended by close */
	/* the change being made: under the store lock */
	int open, nops, counters;
	struct gd_item **dirty;
	size_t ndirty, capdirty;
};

int gd_fsync_dir(const char *dir);         /* state.c */
int gd_state_folder(struct mbx_buf *b, const struct gd_folder *f);

static void
failed(struct gd_log *l, const char *what)
{
	if (!l->failed)
		snprintf(l->why, sizeof l->why, "cannot %s '%s': %s", what, l->path,
			 strerror(errno ? errno : EIO));
	l->failed = 1;
}

/* ---------------------------------------------------------------- writing a change */

/* Open the change's line on the first operation: its lsn and "ops". mu held. */
static void
begin(struct gd_log *l)
{
	if (l->open)
		return;
	l->open = 1;
	l->nops = 0;
	if (fprintf(l->f, "{\"lsn\":%llu,\"ops\":[", (unsigned long long)l->lsn + 1) < 0)
		failed(l, "write");
}

static void
op_sep(struct gd_log *l)
{
	begin(l);
	if (l->nops++ && putc(',', l->f) == EOF)
		failed(l, "write");
}

static void
put_buf(struct gd_log *l, struct mbx_buf *b)
{
	op_sep(l);
	if (fwrite(b->data, 1, b->len, l->f) != b->len)
		failed(l, "write");
}

/* Write every changed item as it is now. mu held. */
static void
flush_items(struct gd_log *l)
{
	size_t i;

	for (i = 0; i < l->ndirty; i++) {
		op_sep(l);
		if (gd_state_item(l->f, l->dirty[i]) < 0)
			failed(l, "write");
		l->dirty[i]->dirty = 0;
	}
	l->ndirty = 0;
}

void
gd_log_item(struct gd_store *s, struct gd_item *it)
{
	struct gd_log *l = s->log;

	if (!l || it->dirty)
		return;
	if (l->ndirty == l->capdirty) {
		l->capdirty = l->capdirty ? 2 * l->capdirty : 64;
		l->dirty = mbx_xrealloc(l->dirty, l->capdirty * sizeof *l->dirty);
	}
	l->dirty[l->ndirty++] = it;
	it->dirty = l->ndirty;
}

void
gd_log_forget(struct gd_store *s, struct gd_item *it)
{
	struct gd_log *l = s->log;
	size_t k;

	if (!l || !it->dirty)
		return;
	k = it->dirty - 1;
	l->dirty[k] = l->dirty[--l->ndirty];
	if (k < l->ndirty)
		l->dirty[k]->dirty = k + 1;
	it->dirty = 0;
}

/* A removal or tombstone, after the changed items (see the top). */
static void
put_op(struct gd_store *s, struct mbx_buf *b)
{
	struct gd_log *l = s->log;

	pthread_mutex_lock(&l->mu);
	flush_items(l);
	put_buf(l, b);
	pthread_mutex_unlock(&l->mu);
}

static void
removal(struct gd_store *s, const char *type, const char *mailbox, const char *id)
{
	struct mbx_buf b;
	struct mbx_jw w;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", type);
	mbx_jw_kstr(&w, "mailbox", mailbox);
	mbx_jw_kstr(&w, "id", id);
	mbx_jw_end(&w);
	put_op(s, &b);
	mbx_buf_free(&b);
}

void
gd_log_rmitem(struct gd_store *s, const struct gd_item *it)
{
	/* a changed it is written first too: replay finds what it removes */
	if (s->log)
		removal(s, "rmitem", it->folder->mbx->id, it->id);
}

void
gd_log_rmfolder(struct gd_store *s, const struct gd_folder *f)
{
	if (s->log)
		removal(s, "rmfolder", f->mbx->id, f->id);
}

void
gd_log_folder(struct gd_store *s, const struct gd_folder *f)
{
	struct mbx_buf b;

	if (!s->log)
		return;
	mbx_buf_init(&b, 0);
	pthread_mutex_lock(&s->log->mu);
	if (gd_state_folder(&b, f) < 0)
		failed(s->log, "write a folder record to");
	put_buf(s->log, &b);
	pthread_mutex_unlock(&s->log->mu);
	mbx_buf_free(&b);
}

void
gd_log_tomb(struct gd_store *s, const struct gd_mailbox *m, const struct gd_tomb *t)
{
	struct mbx_buf b;
	struct mbx_jw w;

	if (!s->log)
		return;
	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "tombstone");
	mbx_jw_kstr(&w, "mailbox", m->id);
	mbx_jw_kstr(&w, "id", t->id);
	mbx_jw_kstr(&w, "parent", t->parent);
	mbx_jw_key(&w, "item");
	mbx_jw_bool(&w, t->item);
	mbx_jw_kint(&w, "seq", (long long)t->seq);
	mbx_jw_end(&w);
	put_op(s, &b);
	mbx_buf_free(&b);
}

void
gd_log_counters(struct gd_store *s)
{
	if (s->log)
		s->log->counters = 1;
}

/* The change's last operation, the counters, ends its line. Store locked. */
void
gd_log_commit(struct gd_store *s)
{
	struct gd_log *l = s->log;
	struct mbx_buf b;

	if (!l || (!l->open && !l->ndirty && !l->counters))
		return;
	mbx_buf_init(&b, 0);
	mbx_buf_printf(&b, "{\"type\":\"counters\",\"idseq\":%llu,\"cseq\":%llu,\"deltaEpoch\":"
		       "%ld,\"blobseq\":%lu}", (unsigned long long)s->idseq,
		       (unsigned long long)s->cseq, s->delta_epoch, s->blobseq);
	pthread_mutex_lock(&l->mu);
	flush_items(l);
	put_buf(l, &b);
	if (fputs("]}\n", l->f) == EOF)
		failed(l, "write");
	l->bytes = ftell(l->f);
	l->lsn++;
	l->open = l->counters = 0;
	pthread_mutex_unlock(&l->mu);
	mbx_buf_free(&b);
}

/* ---------------------------------------------------------------- durability */

/* A new snapshot, then the log emptied (fsync'd, so that no old line can come back
 * under a new one). Store locked, sync_mu held. */
static int
compact(struct gd_store *s, char *err, size_t n)
{
	struct gd_log *l = s->log;
	long long bytes;
	int rc;

	pthread_mutex_lock(&l->mu);
	rc = fflush(l->f) == 0 ? 0 : (failed(l, "write"), -1);
	if (rc == 0 && gd_state_snapshot(s, l->dir, l->lsn, &bytes, err, n) == 0) {
		if (ftruncate(fileno(l->f), 0) < 0 || fsync(fileno(l->f)) < 0)
			failed(l, "truncate");
		rewind(l->f);
		l->bytes = l->zeroed = 0;
		l->snap_bytes = bytes;
		l->durable = l->lsn;
	} else if (rc == 0) {
		rc = -1;                   /* the old snapshot and the log still hold it all */
	}
	if (l->failed) {
		snprintf(err, n, "%s", l->why);
		rc = -1;
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/* Zeros from the end of what is written (or of the zeros) to a segment past it. */
static void
zero_ahead(struct gd_log *l)
{
	static const char zeros[65536];
	long long from = l->zeroed > l->bytes ? l->zeroed : l->bytes, to = l->bytes + SEGMENT;
	size_t k;

	for (; from < to && !l->failed; from += (long long)k) {
		k = to - from < (long long)sizeof zeros ? (size_t)(to - from) : sizeof zeros;
		if (pwrite(fileno(l->f), zeros, k, (off_t)from) != (ssize_t)k)
			failed(l, "write");
	}
	l->zeroed = to;
}

/* Every line committed when the buffer is flushed is covered by the fsync that follows,
 * not only the caller's: the requests that committed meanwhile and wait on sync_mu find
 * their lines durable and answer without an fsync of their own. */
static int
sync_to(struct gd_log *l, char *err, size_t n)
{
	uint64_t covered;
	int fd;

	pthread_mutex_lock(&l->mu);
	if (!l->failed && fflush(l->f) != 0)
		failed(l, "write");
	if (l->bytes + SEGMENT / 4 > l->zeroed)
		zero_ahead(l);
	fd = fileno(l->f);
	covered = l->lsn;
	pthread_mutex_unlock(&l->mu);
	if (!l->failed && fdatasync(fd) < 0)
		failed(l, "fsync");
	pthread_mutex_lock(&l->mu);
	if (!l->failed && covered > l->durable)
		l->durable = covered;
	pthread_mutex_unlock(&l->mu);
	if (l->failed)
		snprintf(err, n, "%s", l->why);
	return l->failed ? -1 : 0;
}

/* 1 when lines up to target still wait for an fsync, 0 when not, -1 when the log
 * failed (err). */
static int
pending(struct gd_log *l, uint64_t *target, int set, char *err, size_t n)
{
	int rc;

	pthread_mutex_lock(&l->mu);
	if (set)
		*target = l->lsn;
	rc = l->failed ? -1 : *target > l->durable;
	if (rc < 0)
		snprintf(err, n, "%s", l->why);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static int
too_long(struct gd_log *l)
{
	int rc;

	pthread_mutex_lock(&l->mu);
	rc = l->bytes > COMPACT_MIN && l->bytes > COMPACT_FACTOR * l->snap_bytes;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/* --fsync second: the change is handed to the kernel (write), which a SIGKILL of the
 * emulator does not undo; the syncer makes it durable within a second. */
static int
written(struct gd_log *l, char *err, size_t n)
{
	int rc;

	pthread_mutex_lock(&l->mu);
	if (!l->failed && fflush(l->f) != 0)
		failed(l, "write");
	if (!l->failed && l->bytes && l->bytes + SEGMENT / 4 > l->zeroed)
		zero_ahead(l);             /* not for an empty log: a clean stop leaves it so */
	rc = l->failed ? -1 : 0;
	if (rc < 0)
		snprintf(err, n, "%s", l->why);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int
gd_log_sync(struct gd_store *s, char *err, size_t n)
{
	struct gd_log *l = s->log;
	uint64_t target = 0;
	int rc;

	if (!l)
		return 0;
	if (!l->always && written(l, err, n) < 0)
		return -1;
	if (l->always && (rc = pending(l, &target, 1, err, n)) <= 0)
		return rc;
	pthread_mutex_lock(&l->sync_mu);
	rc = l->always ? pending(l, &target, 0, err, n) : 0;  /* another's fsync may cover it */
	if (rc > 0)
		rc = sync_to(l, err, n);
	if (rc == 0 && too_long(l)) {
		gd_store_lock(s);
		rc = compact(s, err, n);
		gd_store_unlock(s);
	}
	pthread_mutex_unlock(&l->sync_mu);
	return rc < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- open, close */

/* --fsync second: once a second, an fsync of what was written since the last one. A
 * failure is the log's (l->failed): every later change is answered 500. */
static void *
syncer(void *arg)
{
	struct gd_log *l = arg;
	struct timespec t;
	char err[4400];
	int due;

	pthread_mutex_lock(&l->mu);
	while (!l->stopping) {
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += 1;
		pthread_cond_timedwait(&l->wake, &l->mu, &t);
		due = !l->stopping && !l->failed && l->lsn > l->durable;
		pthread_mutex_unlock(&l->mu);
		if (due) {
			pthread_mutex_lock(&l->sync_mu);
			if (sync_to(l, err, sizeof err) < 0)
				mbx_err("%s", err);
			pthread_mutex_unlock(&l->sync_mu);
		}
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static void
syncer_stop(struct gd_log *l)
{
	if (!l->has_syncer)
		return;
	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->syncer, NULL);
	l->has_syncer = 0;
}

int
gd_log_open(struct gd_store *s, const char *dir, uint64_t lsn, int current, int always,
	    char *err, size_t n)
{
	struct gd_log *l = mbx_xcalloc(1, sizeof *l);
	struct stat st;
	long long bytes = 0;
	int fd;

	snprintf(l->dir, sizeof l->dir, "%s", dir);
	snprintf(l->path, sizeof l->path, "%s/store.log", dir);
	pthread_mutex_init(&l->mu, NULL);
	pthread_mutex_init(&l->sync_mu, NULL);
	pthread_cond_init(&l->wake, NULL);
	l->always = always;
	l->lsn = l->durable = lsn;
	snprintf(l->why, sizeof l->why, "%s/store.ndjson", dir);
	if (current && stat(l->why, &st) == 0)
		bytes = (long long)st.st_size;
	else if (gd_state_snapshot(s, dir, lsn, &bytes, err, n) < 0) {
		free(l);
		return -1;
	}
	*l->why = '\0';
	l->snap_bytes = bytes;
	fd = open(l->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(l->f = fdopen(fd, "r+")) || fsync(fd) < 0 || gd_fsync_dir(dir) < 0) {
		snprintf(err, n, "cannot write '%s': %s", l->path, strerror(errno));
		if (fd >= 0 && !l->f)
			close(fd);
		if (l->f)
			fclose(l->f);
		free(l);
		return -1;
	}
	s->log = l;
	if (!always && pthread_create(&l->syncer, NULL, syncer, l) != 0)
		mbx_die(MBX_EXIT_SOFTWARE, "cannot start the change log's fsync thread");
	l->has_syncer = !always;
	return 0;
}

int
gd_log_close(struct gd_store *s, char *err, size_t n)
{
	struct gd_log *l = s->log;
	int rc;

	if (!l)
		return 0;
	syncer_stop(l);
	pthread_mutex_lock(&l->sync_mu);
	gd_store_lock(s);
	/* nothing logged since the last snapshot: it holds everything already */
	rc = l->failed ? (snprintf(err, n, "%s", l->why), -1) : l->bytes ? compact(s, err, n) : 0;
	s->log = NULL;
	gd_store_unlock(s);
	pthread_mutex_unlock(&l->sync_mu);
	if (fclose(l->f) != 0 && rc == 0) {
		snprintf(err, n, "cannot write '%s': %s", l->path, strerror(errno));
		rc = -1;
	}
	free(l->dirty);
	free(l);
	return rc;
}
