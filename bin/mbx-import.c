/* mbx-import: import frames (mbx-frames(5)) into a mailbox through one import session
 * (graph-api.md 3.14-3.15): folders made on demand like mbx-mkfolder, --jobs uploads in
 * flight, uploads paced to the service's upload quota (7), and a journal that makes a
 * re-run skip what is done and update what changed. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mbx.h"

static const char usage[] =
	"mbx-import [options] [--folder PATH|ID | --under PATH] TARGET < frames";

#define MAX_TRIES 3            /* per item: session renewals and update->create */

enum { OPT_FOLDER = MBX_OPT_FIRST_LOCAL, OPT_UNDER, OPT_JOURNAL, OPT_UPLOAD_LIMIT };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "folder", 0, 1, "PATH|ID",
	  "import every item into this folder (created if missing)", OPT_FOLDER },
	{ "under", 0, 1, "PATH", "recreate the source folders under PATH (default /)", OPT_UNDER },
	{ "journal", 0, 1, "FILE",
	  "record what was imported; skip or update from it on a re-run", OPT_JOURNAL },
	{ "upload-limit", 0, 1, "BYTES/SECONDS",
	  "the upload quota to pace to (default 150M/300)", OPT_UPLOAD_LIMIT },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT | MBX_COMMON_DRYRUN };

struct sent {                  /* an upload in the pacing window */
	double t;                  /* when it finished; HUGE_VAL while in flight */
	size_t bytes;
};

struct job {
	yajl_val hdr;              /* the frame's header: the source item record */
	struct mbx_buf payload;
	const char *src_mailbox, *src_id, *src_ck;
	char *folder_id, *folder_path;
	char *upd_id, *upd_ck;     /* Mode update over an earlier copy */
	int tries;
	unsigned long gen;         /* the session generation it was sent with */
	struct sess *sess;         /* the import session it goes through */
	struct sent *win;
	struct job *next;          /* the retry queue */
};

/* One import session per mailbox: the target, and the auxiliary archive mailboxes its
 * expanded folders live in (graph-api.md 3.17). */
struct sess {
	struct mbx_isession s;
	int renew;
};

struct fcache {                /* target folders by path: id, or why it cannot be had */
	char *path, *id, *err;
	struct fcache *next;
};

static struct mbx_graph graph;
static struct mbx_mailbox target;
static struct sess sessions[16];
static int nsessions;
static struct mbx_journal *journal;
static struct fcache *folders;
static const char *folder_opt, *under = "/";
static int under_set;
static struct job *retryq;
static int inflight;
static long long limit_bytes = 150LL << 20;    /* graph-api.md 7: 150 MB per 5 minutes */
static double limit_window = 300;
static struct sent **window;
static size_t nwindow, capwindow;
static struct {
	unsigned long items, ok, updated, skipped, failed;
	unsigned long long bytes;
	int worst;
} st;
static struct mbx_progress prog;   /* mbx(7) PROGRESS */

/* ---------------------------------------------------------------- pacing */

/* Uploads finished more than a window ago no longer count. In-flight ones count until
 * they finish and then for a whole window: the service counts them from arrival, which
 * is earlier, so the client's view is never more generous than the service's. */
static long long
window_used(double t)
{
	long long used = 0;
	size_t i, k = 0;

	for (i = 0; i < nwindow; i++) {
		if (window[i]->t + limit_window <= t) {
			free(window[i]);
			continue;
		}
		used += (long long)window[i]->bytes;
		window[k++] = window[i];
	}
	nwindow = k;
	return used;
}

/* Seconds until bytes fit (0 now), or -1 when only a finishing upload can make room. */
static double
window_wait(size_t bytes)
{
	double t = mbx_mono(), soonest = HUGE_VAL;
	long long used = window_used(t);
	size_t i;

	if (used + (long long)bytes <= limit_bytes || nwindow == 0)
		return 0;
	for (i = 0; i < nwindow; i++)
		if (window[i]->t < soonest)
			soonest = window[i]->t;
	return soonest == HUGE_VAL ? -1 : soonest + limit_window - t;
}

static struct sent *
window_add(size_t bytes)
{
	struct sent *s = mbx_xcalloc(1, sizeof *s);

	s->t = HUGE_VAL;
	s->bytes = bytes;
	if (nwindow == capwindow) {
		capwindow = capwindow ? 2 * capwindow : 64;
		window = mbx_xrealloc(window, capwindow * sizeof *window);
	}
	window[nwindow++] = s;
	return s;
}

static void
pace(size_t bytes)
{
	double w;

	while ((w = window_wait(bytes)) != 0) {
		mbx_http_step(graph.http, w < 0 || w > 1 ? 1000 : (int)ceil(w * 1000));
		mbx_progress_tick();
	}
}

/* ---------------------------------------------------------------- records */

static void
job_free(struct job *j)
{
	yajl_tree_free(j->hdr);
	mbx_buf_free(&j->payload);
	free(j->folder_id);
	free(j->folder_path);
	free(j->upd_id);
	free(j->upd_ck);
	free(j);
}

static void
fail_job(struct job *j, const char *code, const char *why)
{
	mbx_record_error(j->src_mailbox, j->src_id, code, "cannot import '%s': %s",
			 j->src_id ? j->src_id : "?", why);
	st.failed++;
	st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
	job_free(j);
}

/* {"type":"imported", the target copy, "status", "source":{...}} (mbx-import(1)). */
static void
emit(const struct job *j, const char *status, const char *id, const char *ck)
{
	struct mbx_buf b;
	struct mbx_jw w;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "imported");
	mbx_jw_kstr(&w, "status", status);
	mbx_jw_kstr(&w, "mailbox", target.id);
	mbx_jw_kstr(&w, "id", id);
	mbx_jw_kstr(&w, "changeKey", ck);
	mbx_jw_kstr(&w, "folderId", j->folder_id);
	mbx_jw_kstr(&w, "folderPath", j->folder_path);
	mbx_jw_key(&w, "source");
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "mailbox", j->src_mailbox);
	mbx_jw_kstr(&w, "id", j->src_id);
	mbx_jw_kstr(&w, "changeKey", j->src_ck);
	mbx_jw_kstr(&w, "folderId", mbx_json_str(j->hdr, "folderId"));
	mbx_jw_kstr(&w, "folderPath", mbx_json_str(j->hdr, "folderPath"));
	mbx_jw_end(&w);
	mbx_jw_end(&w);
	mbx_record_emit(&b);
	mbx_buf_free(&b);
}

/* ---------------------------------------------------------------- folders */

/* The class of folder an item belongs in, from its message class. */
static const char *
folder_class(const char *msgclass)
{
	static const struct { const char *msg, *folder; } map[] = {
		{ "IPM.Appointment", "IPF.Appointment" }, { "IPM.Schedule", "IPF.Appointment" },
		{ "IPM.Contact", "IPF.Contact" }, { "IPM.DistList", "IPF.Contact" },
		{ "IPM.Task", "IPF.Task" }, { "IPM.StickyNote", "IPF.StickyNote" },
		{ "IPM.Activity", "IPF.Journal" },
	};
	size_t i;

	for (i = 0; msgclass && i < sizeof map / sizeof map[0]; i++)
		if (strncasecmp(msgclass, map[i].msg, strlen(map[i].msg)) == 0)
			return map[i].folder;
	return "IPF.Note";
}

/* The target path of a source path: under --under. NULL for a missing path. */
static char *
under_path(const char *src)
{
	struct mbx_buf b;

	if (!src || *src != '/')
		return NULL;
	mbx_buf_init(&b, 0);
	mbx_buf_puts(&b, under);
	while (b.len > 1 && b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	if (strcmp(src, "/") != 0)
		mbx_buf_puts(&b, b.len == 1 ? src + 1 : src);
	return mbx_buf_steal(&b);
}

static char *
target_path(const struct job *j)
{
	return under_path(mbx_json_str(j->hdr, "folderPath"));
}

/* mkpath once per path; an existing folder of another kind is refused for items that
 * came from folders of the kind wanted (Calendar items do not go into a mail folder). */
static struct fcache *
folder_make(const char *path, const char *cls, int check_class)
{
	struct fcache *c = mbx_xcalloc(1, sizeof *c);
	struct mbx_folder f;
	char msg[1024];
	int created, rc;

	c->path = mbx_strdup(path);
	rc = mbx_graph_mkpath(&graph, target.id, path, cls, mbx_opt.dry_run, &f, &created, msg,
			      sizeof msg);
	if (rc && rc != MBX_EXIT_PARTIAL)
		mbx_die(rc, "cannot create folder '%s': %s", path, msg);
	if (rc)
		c->err = mbx_strdup(msg);
	else if (check_class && !created && f.cls && strncasecmp(f.cls, cls, strlen(cls)) != 0) {
		snprintf(msg, sizeof msg, "'%s' is a folder of type '%s', not '%s'", path, f.cls, cls);
		c->err = mbx_strdup(msg);
	} else
		c->id = mbx_strdup(f.id ? f.id : "");
	if (!rc) {
		mbx_debug("folder '%s' %s", path, created ? "created" : "exists");
		mbx_folder_clear(&f);
	}
	c->next = folders;
	folders = c;
	return c;
}

static const struct fcache *
folder_for(const char *path, const char *cls, int check_class)
{
	struct fcache *c;

	for (c = folders; c; c = c->next)
		if (strcasecmp(c->path, path) == 0)
			return c;
	return folder_make(path, cls, check_class);
}

/* --folder ID: used as given, after one GET to learn its path. */
static void
fixed_folder(void)
{
	struct fcache *c;
	struct mbx_folder f;
	char msg[1024];
	int rc;

	if (*folder_opt == '/') {
		c = folder_make(folder_opt, "IPF.Note", 0);
		if (c->err)
			mbx_die(MBX_EXIT_PARTIAL, "cannot create folder '%s': %s", folder_opt, c->err);
		return;
	}
	if ((rc = mbx_graph_folder(&graph, target.id, folder_opt, &f, msg, sizeof msg)) != 0)
		mbx_die(rc, "cannot find folder '%s': %s", folder_opt, msg);
	c = mbx_xcalloc(1, sizeof *c);
	c->path = mbx_strdup(folder_opt);
	c->id = mbx_strdup(f.id);
	c->next = folders;
	folders = c;
	mbx_folder_clear(&f);
}

/* Fill j's target folder: 0, or -1 after failing j. */
static int
place(struct job *j)
{
	const struct fcache *c;
	char *path;

	if (folder_opt) {
		c = folders;
	} else if (!(path = target_path(j))) {
		fail_job(j, "NoFolderPath", "the record has no folderPath; "
			 "use --folder");
		return -1;
	} else {
		c = folder_for(path, folder_class(mbx_json_str(j->hdr, "class")), 1);
		free(path);
	}
	if (c->err) {
		fail_job(j, "FolderUnavailable", c->err);
		return -1;
	}
	j->folder_id = mbx_strdup(c->id);
	j->folder_path = mbx_strdup(*c->path == '/' ? c->path : NULL);
	return 0;
}

/* ---------------------------------------------------------------- uploads */

static void submit(struct job *j);

static void
done_ok(struct job *j, struct mbx_req *r)
{
	struct mbx_jentry e;
	char *id, *ck;

	if (mbx_import_result(r, &id, &ck) < 0) {
		fail_job(j, "MalformedResponse", "the response has no itemId");
		return;
	}
	e.src_mailbox = (char *)j->src_mailbox;
	e.src_id = (char *)j->src_id;
	e.src_ck = (char *)j->src_ck;
	e.id = id;
	e.ck = ck;
	e.folder_id = j->folder_id;
	if (journal && mbx_journal_add(journal, &e) < 0)
		mbx_die(MBX_EXIT_IO, "cannot write the journal: %s", strerror(errno));
	emit(j, j->upd_id ? "updated" : "created", id, ck);
	st.ok++;
	st.updated += j->upd_id != NULL;
	st.bytes += j->payload.len;
	free(id);
	free(ck);
	job_free(j);
}

static struct sess *
session_for(const char *mailbox)
{
	int i;

	for (i = 0; i < nsessions; i++)
		if (strcmp(sessions[i].s.mailbox, mailbox) == 0)
			return &sessions[i];
	if (nsessions == (int)(sizeof sessions / sizeof *sessions))
		return NULL;
	mbx_strlcpy(sessions[nsessions].s.mailbox, mailbox, sizeof sessions[nsessions].s.mailbox);
	return &sessions[nsessions++];
}

/* 3.17: {"Message":"Invalid import session. The target session is expected in mailbox
 * MBX:..."}: the folder lives in that auxiliary mailbox; NULL when it is not that. */
static struct sess *
archive_redirect(const struct mbx_req *r)
{
	yajl_val v = mbx_json_parse(r->resp.data ? r->resp.data : "", r->resp.len, NULL, 0);
	const char *m = mbx_json_str(v, "Message"), *p = m ? strstr(m, "mailbox MBX:") : NULL;
	char id[192];
	size_t k;

	id[0] = '\0';
	if (p) {
		k = strcspn(p + 8, " \"");
		while (k > 0 && p[8 + k - 1] == '.')
			k--;
		if (k < sizeof id) {
			memcpy(id, p + 8, k);
			id[k] = '\0';
		}
	}
	yajl_tree_free(v);
	return *id ? session_for(id) : NULL;
}

/* 401/403 from the import URL: the session expired or was revoked (3.14); a 404 on
 * update: the earlier copy is gone, so it is created anew; a 409 naming an auxiliary
 * archive: its own session (3.17). All go round again. */
static int
requeue(struct job *j, struct mbx_req *r)
{
	struct sess *aux;

	if (++j->tries >= MAX_TRIES)
		return 0;
	if (r->status == 401 || r->status == 403) {
		/* a URL that was renewed meanwhile, or is near its end (a long Retry-After
		 * outlived it), was expected to be refused: that is not a try */
		if (j->gen != j->sess->s.gen || mbx_isession_due(&j->sess->s))
			j->tries--;
		if (j->gen == j->sess->s.gen)
			j->sess->renew = 1;
	} else if (r->status == 409 && (aux = archive_redirect(r)) != NULL && aux != j->sess) {
		j->sess = aux;
	} else if (r->status == 404 && j->upd_id) {
		free(j->upd_id);
		free(j->upd_ck);
		j->upd_id = j->upd_ck = NULL;
		free(j->folder_id);
		j->folder_id = NULL;
	} else {
		return 0;
	}
	j->next = retryq;
	retryq = j;
	return 1;
}

static void
on_done(struct mbx_req *r)
{
	struct job *j = r->ctx;
	char msg[1024], code[128];
	int rc = mbx_http_exit_code(r);

	inflight--;
	j->win->t = mbx_mono();
	j->win = NULL;
	if (rc == 0 && r->status >= 200 && r->status < 300) {
		done_ok(j, r);
	} else if (!requeue(j, r)) {
		mbx_graph_errmsg(r, msg, sizeof msg);
		mbx_graph_errcode(r, code, sizeof code);
		if (rc && rc != MBX_EXIT_PARTIAL && rc != MBX_EXIT_AUTH)
			st.worst = mbx_exit_worst(st.worst, rc);
		fail_job(j, code, msg);
	}
	mbx_req_free(r);
}

static void
ensure_session(struct sess *s)
{
	char msg[1024];
	int rc;

	if (!s->renew && !mbx_isession_due(&s->s))
		return;
	if ((rc = mbx_isession_open(&graph, &s->s, s->s.mailbox, msg, sizeof msg)) != 0)
		mbx_die(rc, "cannot create import session for '%s': %s", s->s.mailbox, msg);
	s->renew = 0;
	mbx_debug("import session for '%s' opened (renewal %lu)", s->s.mailbox, s->s.gen);
}

static void
submit(struct job *j)
{
	struct mbx_req *r;

	if (!j->folder_id && place(j) < 0)
		return;
	pace(mbx_b64_encoded_len(j->payload.len) + 256);
	if (!j->sess)
		j->sess = &sessions[0];
	ensure_session(j->sess);
	r = mbx_import_req(&j->sess->s, j->folder_id, j->payload.data, j->payload.len, j->upd_id,
			   j->upd_ck);
	if (!r) {
		fail_job(j, "TooLarge", "the item is too large to send");
		return;
	}
	j->gen = j->sess->s.gen;
	j->win = window_add(r->body.len);
	r->on_done = on_done;
	r->ctx = j;
	inflight++;
	mbx_http_submit(graph.http, r);
}

/* Keep --jobs uploads in flight and no more frames in memory than that. */
static void
drain(int room)
{
	struct job *j;

	for (;;) {
		while (retryq && inflight < mbx_opt.jobs) {
			j = retryq;
			retryq = j->next;
			submit(j);
		}
		if (inflight < room && !retryq)
			return;
		mbx_http_step(graph.http, 1000);
		mbx_progress_tick();
	}
}

/* ---------------------------------------------------------------- input */

/* Journal: done and unchanged is skipped; done at another changeKey is an update. */
static int
journal_says(struct job *j)
{
	const struct mbx_jentry *e = journal ? mbx_journal_find(journal, j->src_mailbox, j->src_id)
				     : NULL;

	if (!e)
		return 0;
	j->folder_id = mbx_strdup(e->folder_id);
	if (!j->src_ck || !e->src_ck || strcmp(j->src_ck, e->src_ck) == 0) {
		emit(j, "skipped", e->id, e->ck);
		st.skipped++;
		job_free(j);
		return 1;
	}
	j->upd_id = mbx_strdup(e->id);
	j->upd_ck = mbx_strdup(e->ck);
	return 0;
}

static void
take_item(struct mbx_frame *fr)
{
	struct job *j = mbx_xcalloc(1, sizeof *j);

	j->hdr = fr->hdr;
	j->payload = fr->payload;
	fr->hdr = NULL;
	mbx_buf_init(&fr->payload, 0);
	j->src_mailbox = mbx_json_str(j->hdr, "mailbox");
	j->src_id = mbx_json_str(j->hdr, "id");
	j->src_ck = mbx_json_str(j->hdr, "changeKey");
	st.items++;
	if (!j->src_id || !j->src_mailbox) {
		fail_job(j, "BadRecord", "the frame has no mailbox or id");
		return;
	}
	if (journal_says(j))
		return;
	if (mbx_opt.dry_run) {
		if (j->folder_id || place(j) == 0) {
			emit(j, j->upd_id ? "would-update" : "would-create", NULL, NULL);
			job_free(j);
		}
		return;
	}
	submit(j);
}

/* A folder record (mbx-ls passes them on): the folder is made even if it stays empty,
 * so the target's tree is the source's. With --folder there is nothing to make. */
static void
take_folder(yajl_val rec)
{
	const char *cls = mbx_json_str(rec, "class");
	const struct fcache *c;
	char *path;

	if (folder_opt || !(path = under_path(mbx_json_str(rec, "path"))))
		return;
	c = folder_for(path, cls && strncmp(cls, "IPF", 3) == 0 ? cls : "IPF.Note", 1);
	if (c->err)
		mbx_report(MBX_EXIT_PARTIAL, target.id, path, "FolderUnavailable",
			   "cannot create folder '%s': %s", path, c->err);
	st.worst = mbx_exit_worst(st.worst, c->err ? MBX_EXIT_PARTIAL : 0);
	free(path);
}

static void
take_frame(struct mbx_frame *fr)
{
	if (!fr->has_payload && mbx_json_bool(fr->hdr, "removed")) {
		mbx_debug("frame %lu: a removal, nothing to import", fr->index);
	} else if (fr->type && strcmp(fr->type, "folder") == 0 && !fr->has_payload) {
		take_folder(fr->hdr);
		mbx_progress_folder(&prog, fr->hdr);
	} else if (fr->type && strcmp(fr->type, "error") == 0) {
		mbx_record_write(fr->hdr);           /* upstream failures travel on */
		st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
	} else if (!fr->has_payload || !fr->type || strcmp(fr->type, "item") != 0) {
		mbx_record_error(mbx_json_str(fr->hdr, "mailbox"), mbx_json_str(fr->hdr, "id"),
				 "BadRecord", "frame %lu at byte %llu is not an item with a payload",
				 fr->index, fr->offset);
		st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
	} else {
		take_item(fr);
	}
}

static void
read_frames(void)
{
	struct mbx_frame_reader rd;
	struct mbx_frame fr;
	char err[1024];
	int rc;

	mbx_frame_reader_init(&rd, stdin, "stdin", 0);
	while ((rc = mbx_frame_read(&rd, &fr, err, sizeof err)) != 0) {
		if (rc < 0) {
			mbx_record_error(fr.hdr ? mbx_json_str(fr.hdr, "mailbox") : NULL,
					 fr.hdr ? mbx_json_str(fr.hdr, "id") : NULL, "BadFrame", "%s",
					 err);
			st.worst = mbx_exit_worst(st.worst, MBX_EXIT_BADINPUT);
		} else {
			take_frame(&fr);
		}
		mbx_frame_clear(&fr);
		drain(mbx_opt.jobs);
		mbx_progress_tick();
	}
	prog.total = st.items;                   /* the input is over: exactly these */
	mbx_frame_reader_free(&rd);
}

/* ---------------------------------------------------------------- main */

static unsigned long
sessions_opened(void)
{
	unsigned long n = 0;
	int i;

	for (i = 0; i < nsessions; i++)
		n += sessions[i].s.gen;
	return n;
}

static void
progress_fill(struct mbx_progress *p)
{
	const struct mbx_http_stats *h = mbx_http_stats(graph.http);

	p->done = st.ok + st.skipped + st.failed;
	p->failed = st.failed;
	p->bytes = st.bytes;
	p->waits = h->throttled;
	p->waited = h->waited;
}

static void
stats_fields(struct mbx_jw *w, void *ctx)
{
	(void)ctx;
	mbx_jw_kint(w, "items", (long long)st.items);
	mbx_jw_kint(w, "ok", (long long)st.ok);
	mbx_jw_kint(w, "updated", (long long)st.updated);
	mbx_jw_kint(w, "skipped", (long long)st.skipped);
	mbx_jw_kint(w, "failed", (long long)st.failed);
	mbx_jw_kint(w, "bytes", (long long)st.bytes);
	mbx_jw_kint(w, "sessions", (long long)sessions_opened());
}

static void
setup(const char *spec, const char *journal_path)
{
	char msg[1024];

	mbx_graph_init(&graph);
	mbx_graph_target(&graph, spec, mbx_opt.archive, &target);
	session_for(target.id);                  /* sessions[0]: the target's */
	if (journal_path && mbx_journal_open(journal_path, target.id, &journal, msg, sizeof msg) < 0)
		mbx_die(MBX_EXIT_BADINPUT, "cannot use journal '%s': %s", journal_path, msg);
	if (folder_opt)
		fixed_folder();
}

static void
parse_args(int argc, char **argv, const char **journal_path)
{
	int c;

	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1) {
		if (c == OPT_FOLDER)
			folder_opt = optarg;
		else if (c == OPT_UNDER)
			under = optarg, under_set = 1;
		else if (c == OPT_JOURNAL)
			*journal_path = optarg;
		else if (mbx_parse_rate(optarg, &limit_bytes, &limit_window) < 0)
			mbx_die(MBX_EXIT_USAGE, "invalid --upload-limit '%s': expected BYTES/SECONDS "
				"such as 150M/300", optarg);
	}
	if (optind + 1 != argc)
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	if (folder_opt && under_set)
		mbx_die(MBX_EXIT_USAGE, "--folder and --under exclude each other");
	if (*under != '/')
		mbx_die(MBX_EXIT_USAGE, "invalid --under '%s': a folder path starts with '/'", under);
}

int
main(int argc, char **argv)
{
	const char *journal_path = NULL;
	int c;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	parse_args(argc, argv, &journal_path);
	setup(argv[optind], journal_path);
	prog.fill = progress_fill;
	mbx_progress_start(&prog);
	read_frames();
	drain(1);
	mbx_progress_end();
	mbx_stats_write(&graph, stats_fields, NULL);
	mbx_debug("%lu imported (%lu updates), %lu skipped, %lu failed", st.ok, st.updated,
		  st.skipped, st.failed);
	mbx_journal_close(journal);
	for (c = 0; c < nsessions; c++)
		mbx_isession_clear(&sessions[c].s);
	mbx_graph_free(&graph);
	return st.worst;
}
