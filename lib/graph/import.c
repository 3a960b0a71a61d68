/* import.c: the import engine of mbx-import(1) (graph-api.md 3.14-3.17): items placed in
 * folders made on demand like mbx-mkfolder, uploaded through an import session per
 * mailbox with --jobs in flight, paced to the upload quota (quota.c), re-queued after a
 * renewal, a gone update or an archive redirect, and journalled (journal.c): an intent
 * before each create, so that a create whose answer was lost is looked for in its folder
 * on the next run instead of being made twice (recover()). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "fx.h"
#include "mbx.h"

#define MAX_TRIES 3            /* per item: session renewals and update->create */
#define MAX_SESSIONS 16        /* the target and its auxiliary archive mailboxes */
/* An intent's time is ours, an item's createdDateTime the service's: the lookup starts
 * this much earlier, for the clocks' skew (and the second the service rounds to, 3.9). */
#define SKEW_MARGIN 300

struct job {
	struct mbx_import *im;
	yajl_val hdr;              /* the frame's header: the source item record */
	struct mbx_buf payload;
	const char *src_mailbox, *src_id, *src_ck;
	char *folder_id, *folder_path;
	char *upd_id, *upd_ck;     /* Mode update over an earlier copy */
	struct mbx_jentry *lost;   /* an intent of an earlier run without its done line */
	int unverified;            /* sent again although the lookup could not tell */
	int recovered;             /* an update over the copy that the lookup found */
	int tries;
	unsigned long gen;         /* the session generation it was sent with */
	struct sess *sess;         /* the import session it goes through */
	struct mbx_quota_slot *win;
	struct job *next;          /* the queue it waits in: pending or retry */
};

/* One import session per mailbox: the target, and the auxiliary archive mailboxes its
 * expanded folders live in (3.17). */
struct sess {
	struct mbx_isession s;
	int renew;
};

struct fcache {                /* target folders by path: id, or why it cannot be had */
	char *path, *id, *err;
	struct fcache *next;
};

struct mbx_import {
	struct mbx_graph *g;
	char target[192];
	char *folder, *under;      /* --folder (or NULL), --under */
	int jobs, dry_run;
	struct sess sess[MAX_SESSIONS];
	int nsess;
	struct mbx_journal *journal;
	struct fcache *folders;
	struct job *pending, **pending_tail;   /* new jobs, in input order */
	struct job *retryq;
	int inflight;
	int warned;                /* the one warning of a run about lookups that cannot tell */
	struct mbx_quota *quota;
	struct mbx_import_stats st;
	mbx_import_cb cb;
	void *ctx;
	struct mbx_err err;        /* the failure that ended it; kind NONE while it runs */
};

/* ---------------------------------------------------------------- outcomes */

static void stop(struct mbx_import *im, enum mbx_err_kind kind, const char *code,
		 const char *fmt, ...) MBX_ATTR_PRINTF(4, 5);

/* A failure that ends the import: the first one is the one reported. code: the error
 * record's code for the job that met it, when the failure is of one record's kind
 * (halted()). */
static void
stop(struct mbx_import *im, enum mbx_err_kind kind, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (im->err.kind)
		return;
	im->err.kind = kind;
	mbx_strlcpy(im->err.code, code ? code : "", sizeof im->err.code);
	va_start(ap, fmt);
	vsnprintf(im->err.msg, sizeof im->err.msg, fmt, ap);
	va_end(ap);
}

/* What every call of the API answers: 0, or -1 with the failure that ended the import. */
static int
outcome(const struct mbx_import *im, struct mbx_err *e)
{
	*e = im->err;
	return im->err.kind ? -1 : 0;
}

/* j's lost upload: looked for once, or j ends. */
static void
lost_forget(struct job *j)
{
	free(j->lost->src_ck);
	free(j->lost->mailbox);
	free(j->lost->folder_id);
	free(j->lost->key_id);
	free(j->lost->key_value);
	free(j->lost);
	j->lost = NULL;
}

static void
job_free(struct job *j)
{
	yajl_tree_free(j->hdr);
	mbx_buf_free(&j->payload);
	free(j->folder_id);
	free(j->folder_path);
	free(j->upd_id);
	free(j->upd_ck);
	if (j->lost)
		lost_forget(j);
	free(j);
}

static void
fail_job(struct job *j, const char *code, const char *why)
{
	struct mbx_import *im = j->im;
	struct mbx_import_rec r = { 0 };
	char msg[1024];

	snprintf(msg, sizeof msg, "cannot import '%s': %s", j->src_id ? j->src_id : "?", why);
	r.mailbox = j->src_mailbox;
	r.subject = j->src_id;
	r.source = j->hdr;
	r.code = code;
	r.message = msg;
	im->cb(im->ctx, &r);
	im->st.failed++;
	im->st.worst = mbx_exit_worst(im->st.worst, MBX_EXIT_PARTIAL);
	job_free(j);
}

/* j cannot go on: the import has ended. A failure of one record's kind (exit 1, which
 * says the records tell what failed: an import session refused with 400, 404 or 409) is
 * told by the record of the job that met it; any other is told by the exit status and
 * stderr alone, as before. */
static void
halted(struct job *j)
{
	const struct mbx_err *e = &j->im->err;

	if (e->kind == MBX_ERR_RECORD && *e->code)
		fail_job(j, e->code, e->msg);
	else
		job_free(j);
}

static void
emit(const struct job *j, const char *status, const char *id, const char *ck)
{
	struct mbx_import_rec r = { 0 };

	r.status = status;
	r.mailbox = j->im->target;
	r.id = id;
	r.change_key = ck;
	r.folder_id = j->folder_id;
	r.folder_path = j->folder_path;
	r.source = j->hdr;
	j->im->cb(j->im->ctx, &r);
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
under_path(const struct mbx_import *im, const char *src)
{
	struct mbx_buf b;

	if (!src || *src != '/')
		return NULL;
	mbx_buf_init(&b, 0);
	mbx_buf_puts(&b, im->under);
	while (b.len > 1 && b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	if (strcmp(src, "/") != 0)
		mbx_buf_puts(&b, b.len == 1 ? src + 1 : src);
	return mbx_buf_steal(&b);
}

static struct fcache *
cache_add(struct mbx_import *im, const char *path)
{
	struct fcache *c = mbx_xcalloc(1, sizeof *c);

	c->path = mbx_strdup(path);
	c->next = im->folders;
	im->folders = c;
	return c;
}

/* mkpath once per path; an existing folder of another kind is refused for items that
 * came from folders of the kind wanted (Calendar items do not go into a mail folder).
 * NULL after a failure that ends the import. */
static struct fcache *
folder_make(struct mbx_import *im, const char *path, const char *cls, int check_class)
{
	struct fcache *c;
	struct mbx_folder f;
	struct mbx_err e;
	char msg[1024];
	int created, rc;

	rc = mbx_graph_mkpath(im->g, im->target, path, cls, im->dry_run, &f, &created, &e);
	if (rc && mbx_exit_of(e.kind) != MBX_EXIT_PARTIAL) {
		stop(im, e.kind, NULL, "cannot create folder '%s': %s", path, e.msg);
		return NULL;
	}
	c = cache_add(im, path);
	if (rc)
		c->err = mbx_strdup(e.msg);
	else if (check_class && !created && f.cls && strncasecmp(f.cls, cls, strlen(cls)) != 0) {
		snprintf(msg, sizeof msg, "'%s' is a folder of type '%s', not '%s'", path, f.cls, cls);
		c->err = mbx_strdup(msg);
	} else
		c->id = mbx_strdup(f.id ? f.id : "");
	if (!rc) {
		mbx_debug("folder '%s' %s", path, created ? "created" : "exists");
		mbx_folder_clear(&f);
	}
	return c;
}

static const struct fcache *
folder_for(struct mbx_import *im, const char *path, const char *cls, int check_class)
{
	struct fcache *c;

	for (c = im->folders; c; c = c->next)
		if (strcasecmp(c->path, path) == 0)
			return c;
	return folder_make(im, path, cls, check_class);
}

/* --folder ID: used as given, after one GET to learn its path. */
static void
fixed_folder(struct mbx_import *im)
{
	const struct fcache *c;
	struct mbx_folder f;
	struct mbx_err e;

	if (*im->folder == '/') {
		if ((c = folder_make(im, im->folder, "IPF.Note", 0)) != NULL && c->err)
			stop(im, MBX_ERR_RECORD, NULL, "cannot create folder '%s': %s", im->folder,
			     c->err);
		return;
	}
	if (mbx_graph_folder(im->g, im->target, im->folder, &f, &e) < 0) {
		stop(im, e.kind, NULL, "cannot find folder '%s': %s", im->folder, e.msg);
		return;
	}
	cache_add(im, im->folder)->id = mbx_strdup(f.id);
	mbx_folder_clear(&f);
}

/* Fill j's target folder: 0, or -1 after failing (or, when the import ends, freeing) j. */
static int
place(struct job *j)
{
	struct mbx_import *im = j->im;
	const struct fcache *c;
	char *path;

	if (im->folder) {
		c = im->folders;
	} else if (!(path = under_path(im, mbx_json_str(j->hdr, "folderPath")))) {
		fail_job(j, "NoFolderPath", "the record has no folderPath; use --folder");
		return -1;
	} else {
		c = folder_for(im, path, folder_class(mbx_json_str(j->hdr, "class")), 1);
		free(path);
	}
	if (!c) {
		job_free(j);
		return -1;
	}
	if (c->err) {
		fail_job(j, "FolderUnavailable", c->err);
		return -1;
	}
	j->folder_id = mbx_strdup(c->id);
	j->folder_path = mbx_strdup(*c->path == '/' ? c->path : NULL);
	return 0;
}

/* ---------------------------------------------------------------- sessions */

static struct sess *
session_for(struct mbx_import *im, const char *mailbox)
{
	int i;

	for (i = 0; i < im->nsess; i++)
		if (strcmp(im->sess[i].s.mailbox, mailbox) == 0)
			return &im->sess[i];
	if (im->nsess == MAX_SESSIONS)
		return NULL;
	mbx_strlcpy(im->sess[im->nsess].s.mailbox, mailbox, sizeof im->sess[0].s.mailbox);
	return &im->sess[im->nsess++];
}

/* 3.17: {"Message":"Invalid import session. The target session is expected in mailbox
 * MBX:..."}: the folder lives in that auxiliary mailbox; NULL when it is not that. */
static struct sess *
archive_redirect(struct mbx_import *im, const struct mbx_req *r)
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
	return *id ? session_for(im, id) : NULL;
}

/* 0, or -1 when the session cannot be had and the import ends (SessionUnavailable for
 * the job that needed it, when the refusal is of one record's kind). */
static int
ensure_session(struct mbx_import *im, struct sess *s)
{
	struct mbx_err e;

	if (!s->renew && !mbx_isession_due(&s->s))
		return 0;
	if (mbx_isession_open(im->g, &s->s, s->s.mailbox, &e) < 0) {
		stop(im, e.kind, "SessionUnavailable", "cannot create import session for '%s': %s",
		     s->s.mailbox, e.msg);
		return -1;
	}
	s->renew = 0;
	mbx_debug("import session for '%s' opened (renewal %lu)", s->s.mailbox, s->s.gen);
	return 0;
}

/* ---------------------------------------------------------------- uploads */

static void
done_ok(struct job *j, struct mbx_req *r)
{
	struct mbx_import *im = j->im;
	struct mbx_jentry e;
	char *id, *ck;

	if (mbx_import_result(r, &id, &ck) < 0) {
		fail_job(j, "MalformedResponse", "the response has no itemId");
		return;
	}
	memset(&e, 0, sizeof e);
	e.src_mailbox = (char *)j->src_mailbox;
	e.src_id = (char *)j->src_id;
	e.src_ck = (char *)j->src_ck;
	e.id = id;
	e.ck = ck;
	e.folder_id = j->folder_id;
	if (im->journal && mbx_journal_add(im->journal, &e) < 0)
		stop(im, MBX_ERR_IO, NULL, "cannot write the journal: %s", strerror(errno));
	else {
		emit(j, j->upd_id ? "updated" : "created", id, ck);
		im->st.ok++;
		im->st.updated += j->upd_id != NULL;
		im->st.unverified += j->unverified;
		im->st.recovered += j->recovered;
		im->st.bytes += j->payload.len;
	}
	free(id);
	free(ck);
	job_free(j);
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
	} else if (r->status == 409 && (aux = archive_redirect(j->im, r)) != NULL &&
		   aux != j->sess) {
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
	j->next = j->im->retryq;
	j->im->retryq = j;
	return 1;
}

static void
on_done(struct mbx_req *r)
{
	struct job *j = r->ctx;
	struct mbx_import *im = j->im;
	struct mbx_err e;
	char code[128];
	int failed = mbx_graph_failed(r, &e) < 0;

	im->inflight--;
	mbx_quota_done(j->win);
	j->win = NULL;
	if (im->err.kind) {
		job_free(j);                     /* the import has ended: nothing more to say */
	} else if (!failed) {
		done_ok(j, r);
	} else if (!requeue(j, r)) {
		mbx_graph_errcode(r, code, sizeof code);
		if (e.kind != MBX_ERR_RECORD && e.kind != MBX_ERR_AUTH)
			im->st.worst = mbx_exit_worst(im->st.worst, mbx_exit_of(e.kind));
		fail_job(j, code, e.msg);
	}
	mbx_req_free(r);
}

/* Wait until bytes fit the upload quota. */
static void
pace(struct mbx_import *im, size_t bytes)
{
	double w;

	while (!im->err.kind && (w = mbx_quota_wait(im->quota, bytes)) != 0) {
		mbx_http_step(im->g->http, w < 0 || w > 1 ? 1000 : (int)ceil(w * 1000));
		mbx_progress_tick();
	}
}

/* ---------------------------------------------------------------- lost answers */

/* One warning a run: more would say the same. */
static void
cannot_tell(struct job *j, const char *why)
{
	j->unverified = 1;
	if (j->im->warned++)
		return;
	mbx_warn("cannot tell whether '%s' reached '%s' before its answer was lost (%s): "
		 "sending it again, so it may exist twice (--stats: unverified)",
		 j->src_id, j->lost->mailbox, why);
}

struct seek {
	const struct mbx_import *im;
	const char *key_id, *key_value;
	unsigned long items, with_props;
	char *id, *ck;             /* the copy found */
};

/* An item of the listing: is it a copy of the lost upload (its key, and no other source
 * item's copy by the journal)? */
static int
seek_item(void *ctx, yajl_val it)
{
	struct seek *s = ctx;
	yajl_val props = mbx_json_get(it, "singleValueExtendedProperties"), p;
	const char *id = mbx_json_str(it, "id"), *pid, *val;
	size_t i;

	s->items++;
	if (!props || !YAJL_IS_ARRAY(props))
		return 0;
	s->with_props++;
	for (i = 0; !s->id && id && i < props->u.array.len; i++) {
		p = props->u.array.values[i];
		pid = mbx_json_str(p, "id");
		val = mbx_json_str(p, "value");
		if (pid && val && strcasecmp(pid, s->key_id) == 0 &&
		    strcmp(val, s->key_value) == 0 && !mbx_journal_has_copy(s->im->journal, id)) {
			s->id = mbx_strdup(id);
			s->ck = mbx_strdup(mbx_json_str(it, "changeKey"));
		}
	}
	return 0;
}

/* An earlier run wrote j's intent and never heard how the upload ended: look in its
 * folder for items created since (createdDateTime, documented for $filter, 3.9) with the
 * intent's key ($expand of singleValueExtendedProperties, observed, 3.9). Found: that is
 * the copy, journalled as done, and 1 (j is freed). Not found: 0, j is sent. A lookup
 * that cannot tell (refused, no key, the properties not in the answer): 0, j is sent
 * and counted as unverified, with one warning a run: the duplicate stays within the
 * bound of mbx-import(1) "Resuming", and the import goes on. */
static int
recover(struct job *j)
{
	struct mbx_import *im = j->im;
	struct mbx_jentry *l = j->lost, e;
	struct seek s = { 0 };
	struct mbx_buf f, sel;
	struct mbx_err err;
	char when[32];
	time_t t = (time_t)l->time - SKEW_MARGIN;
	struct tm tm;
	char *url;
	int rc;

	if (!l->key_id || !l->key_value) {
		cannot_tell(j, "its stream has no search key or message id");
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	mbx_buf_init(&f, 0);
	mbx_buf_printf(&f, "createdDateTime ge %s", when);
	mbx_buf_init(&sel, 0);
	mbx_buf_printf(&sel, "singleValueExtendedProperties($filter=id eq '%s')", l->key_id);
	url = mbx_graph_url(im->g, "admin/exchange/mailboxes/%s/folders/%s/items?$top=250"
			    "&$filter=%s&$expand=%s", l->mailbox, l->folder_id, f.data, sel.data);
	mbx_buf_free(&f);
	mbx_buf_free(&sel);
	s.im = im;
	s.key_id = l->key_id;
	s.key_value = l->key_value;
	rc = mbx_graph_list(im->g, url, l->mailbox, seek_item, &s, &err);
	free(url);
	if (rc == 0 && s.id) {
		memset(&e, 0, sizeof e);
		e.src_mailbox = (char *)j->src_mailbox;
		e.src_id = (char *)j->src_id;
		e.src_ck = l->src_ck;                   /* the version that was sent */
		e.id = s.id;
		e.ck = s.ck;
		e.folder_id = l->folder_id;
		if (!j->folder_id || strcmp(j->folder_id, l->folder_id) != 0) {
			free(j->folder_id);                  /* another --under then: its path */
			free(j->folder_path);                /* is not known here */
			j->folder_id = mbx_strdup(l->folder_id);
			j->folder_path = NULL;
		}
		mbx_debug("'%s': found in '%s' as '%s' (its answer was lost)", j->src_id,
			  l->folder_id, s.id);
		if (mbx_journal_add(im->journal, &e) < 0) {
			stop(im, MBX_ERR_IO, NULL, "cannot write the journal: %s", strerror(errno));
		} else if (j->src_ck && l->src_ck && strcmp(j->src_ck, l->src_ck) != 0) {
			/* the source changed since: the copy found is updated, as journal_says
			 * would have it had the answer come */
			j->recovered = 1;                /* counted when the update is done */
			j->upd_id = s.id;
			j->upd_ck = s.ck;
			return 0;
		} else {
			emit(j, "created", s.id, s.ck);
			im->st.ok++;
			im->st.recovered++;
		}
		free(s.id);
		free(s.ck);
		job_free(j);
		return 1;
	}
	free(s.id);
	free(s.ck);
	if (rc != 0)
		cannot_tell(j, err.msg);
	else if (s.items > 0 && s.with_props == 0)
		cannot_tell(j, "the listing did not expand singleValueExtendedProperties");
	return 0;
}

/* The intent of a create, before it is sent: where it goes, when, and its content's key
 * (fx_content_key). 0, or -1 when the journal cannot be written (the import ends). */
static int
intend(struct job *j)
{
	struct mbx_import *im = j->im;
	struct mbx_jentry e;
	struct fx_item it;
	char kid[32];
	int rc;

	memset(&e, 0, sizeof e);
	memset(&it, 0, sizeof it);
	e.src_mailbox = (char *)j->src_mailbox;
	e.src_id = (char *)j->src_id;
	e.src_ck = (char *)j->src_ck;
	e.mailbox = j->sess->s.mailbox;
	e.folder_id = j->folder_id;
	e.time = (double)time(NULL);
	fx_parse(&it, j->payload.data ? j->payload.data : "", j->payload.len);
	if (fx_content_key(&it.root, kid, sizeof kid, &e.key_value) == 0)
		e.key_id = kid;
	fx_item_free(&it);
	rc = mbx_journal_intent(im->journal, &e);
	free(e.key_value);
	if (rc < 0)
		stop(im, MBX_ERR_IO, NULL, "cannot write the journal: %s", strerror(errno));
	return rc;
}

/* Everything j's upload needs, before it is queued: its folder (made on demand), the
 * lookup of an upload whose answer was lost, room in the upload quota, its import
 * session, the intent. Called from drain() only, at the top level of the API, never
 * from an on_done: the calls here that drive the engine (mkpath, the session, the
 * lookup, pacing) do not re-enter it from inside its callbacks (http.c checks), though
 * they run the callbacks of the uploads in flight. 0: ready; -1: j is gone (failed,
 * found, or ended with the import). */
static int
prepare(struct job *j)
{
	struct mbx_import *im = j->im;

	if (!j->folder_id && place(j) < 0)
		return -1;
	if (j->lost && !im->err.kind) {
		if (recover(j))
			return -1;
		lost_forget(j);
	}
	pace(im, mbx_b64_encoded_len(j->payload.len) + 256);
	if (!j->sess)
		j->sess = &im->sess[0];
	if (!im->err.kind)
		ensure_session(im, j->sess);
	if (!im->err.kind && im->journal && !j->upd_id)
		intend(j);                       /* a failure ends the import: im->err */
	if (im->err.kind) {
		halted(j);
		return -1;
	}
	return 0;
}

/* Queue j's upload, all it needs resolved (prepare). Drives nothing. */
static void
submit(struct job *j)
{
	struct mbx_import *im = j->im;
	struct mbx_req *r;

	r = mbx_import_req(&j->sess->s, j->folder_id, j->payload.data, j->payload.len, j->upd_id,
			   j->upd_ck);
	if (!r) {
		fail_job(j, "TooLarge", "the item is too large to send");
		return;
	}
	j->gen = j->sess->s.gen;
	j->win = mbx_quota_take(im->quota, r->body.len);
	r->on_done = on_done;
	r->ctx = j;
	im->inflight++;
	mbx_http_submit(im->g->http, r);
}

/* The next job to send: a retry first (it came before the new ones), else the oldest
 * new one; NULL when none waits. */
static struct job *
next_job(struct mbx_import *im)
{
	struct job *j;

	if ((j = im->retryq) != NULL) {
		im->retryq = j->next;
	} else if ((j = im->pending) != NULL) {
		if (!(im->pending = j->next))
			im->pending_tail = &im->pending;
	}
	if (j)
		j->next = NULL;
	return j;
}

/* Keep --jobs uploads in flight and no more frames in memory than that: jobs are
 * prepared and submitted here, then the engine is stepped until fewer than room are in
 * flight and none waits. */
static void
drain(struct mbx_import *im, int room)
{
	struct job *j;

	while (!im->err.kind) {
		while (im->inflight < im->jobs && !im->err.kind && (j = next_job(im)) != NULL)
			if (prepare(j) == 0)
				submit(j);
		if (im->err.kind || (im->inflight < room && !im->retryq && !im->pending))
			return;
		mbx_http_step(im->g->http, 1000);
		mbx_progress_tick();
	}
}

/* ---------------------------------------------------------------- the API */

int
mbx_import_new(struct mbx_graph *g, const char *target, const struct mbx_import_opts *o,
	       mbx_import_cb on_record, void *ctx, struct mbx_import **out, struct mbx_err *e)
{
	struct mbx_import *im = mbx_xcalloc(1, sizeof *im);
	struct mbx_err je;

	*out = NULL;
	mbx_err_clear(e);
	im->g = g;
	im->pending_tail = &im->pending;
	mbx_strlcpy(im->target, target, sizeof im->target);
	im->folder = o->folder ? mbx_strdup(o->folder) : NULL;
	im->under = mbx_strdup(o->under ? o->under : "/");
	im->jobs = o->jobs > 0 ? o->jobs : 1;
	im->dry_run = o->dry_run;
	im->quota = mbx_quota_new(o->limit_bytes, o->limit_window);
	im->cb = on_record;
	im->ctx = ctx;
	session_for(im, im->target);             /* sess[0]: the target's */
	if (o->journal && mbx_journal_open(o->journal, im->target, &im->journal, &je) < 0)
		stop(im, je.kind, NULL, "cannot use journal '%s': %s", o->journal, je.msg);
	else if (im->folder)
		fixed_folder(im);
	if (im->err.kind) {
		int rc = outcome(im, e);

		mbx_import_free(im);
		return rc;
	}
	*out = im;
	return 0;
}

/* Journal: done and unchanged is skipped; done at another changeKey is an update. */
static int
journal_says(struct job *j)
{
	struct mbx_import *im = j->im;
	const struct mbx_jentry *e = im->journal ? mbx_journal_find(im->journal, j->src_mailbox,
								    j->src_id) : NULL;
	const struct mbx_jentry *p;

	if (!e) {
		p = im->journal ? mbx_journal_pending(im->journal, j->src_mailbox, j->src_id) : NULL;
		if (p) {                             /* recover() looks for it */
			j->lost = mbx_xcalloc(1, sizeof *j->lost);
			j->lost->mailbox = mbx_strdup(p->mailbox);
			j->lost->folder_id = mbx_strdup(p->folder_id);
			j->lost->time = p->time;
			j->lost->src_ck = mbx_strdup(p->src_ck);
			j->lost->key_id = mbx_strdup(p->key_id);
			j->lost->key_value = mbx_strdup(p->key_value);
		}
		return 0;
	}
	j->folder_id = mbx_strdup(e->folder_id);
	if (!j->src_ck || !e->src_ck || strcmp(j->src_ck, e->src_ck) == 0) {
		emit(j, "skipped", e->id, e->ck);
		im->st.skipped++;
		job_free(j);
		return 1;
	}
	j->upd_id = mbx_strdup(e->id);
	j->upd_ck = mbx_strdup(e->ck);
	return 0;
}

/* An upload waits among the pending jobs for drain() to prepare and send it. */
static void
queue(struct job *j)
{
	*j->im->pending_tail = j;
	j->im->pending_tail = &j->next;
}

int
mbx_import_add(struct mbx_import *im, yajl_val hdr, struct mbx_buf *payload,
	       struct mbx_err *e)
{
	struct job *j = mbx_xcalloc(1, sizeof *j);

	j->im = im;
	j->hdr = hdr;
	j->payload = *payload;
	mbx_buf_init(payload, 0);
	if (im->err.kind) {
		job_free(j);
		return outcome(im, e);
	}
	j->src_mailbox = mbx_json_str(hdr, "mailbox");
	j->src_id = mbx_json_str(hdr, "id");
	j->src_ck = mbx_json_str(hdr, "changeKey");
	im->st.items++;
	if (!j->src_id || !j->src_mailbox)
		fail_job(j, "BadRecord", "the frame has no mailbox or id");
	else if (journal_says(j))
		;
	else if (!im->dry_run) {
		queue(j);
		drain(im, im->jobs);
	} else if (j->folder_id || place(j) == 0) {
		emit(j, j->upd_id ? "would-update" : "would-create", NULL, NULL);
		job_free(j);
	}
	return outcome(im, e);
}

/* A folder record (mbx-ls passes them on): the folder is made even if it stays empty,
 * so the target's tree is the source's. With --folder there is nothing to make. */
int
mbx_import_folder(struct mbx_import *im, yajl_val rec, struct mbx_err *e)
{
	const char *cls = mbx_json_str(rec, "class");
	const struct fcache *c;
	struct mbx_import_rec r = { 0 };
	char *path, why[1024];

	if (im->err.kind || im->folder || !(path = under_path(im, mbx_json_str(rec, "path"))))
		return outcome(im, e);
	c = folder_for(im, path, cls && strncmp(cls, "IPF", 3) == 0 ? cls : "IPF.Note", 1);
	if (c && c->err) {
		snprintf(why, sizeof why, "cannot create folder '%s': %s", path, c->err);
		r.mailbox = im->target;
		r.subject = path;
		r.code = "FolderUnavailable";
		r.message = why;
		im->cb(im->ctx, &r);
		im->st.worst = mbx_exit_worst(im->st.worst, MBX_EXIT_PARTIAL);
	}
	free(path);
	return outcome(im, e);
}

int
mbx_import_run(struct mbx_import *im, struct mbx_err *e)
{
	drain(im, im->jobs);
	return outcome(im, e);
}

int
mbx_import_finish(struct mbx_import *im, struct mbx_err *e)
{
	drain(im, 1);
	return outcome(im, e);
}

void
mbx_import_stats(const struct mbx_import *im, struct mbx_import_stats *out)
{
	int i;

	*out = im->st;
	out->sessions = 0;
	for (i = 0; i < im->nsess; i++)
		out->sessions += im->sess[i].s.gen;
}

/* Uploads still in flight are waited for: their requests point at the object. */
void
mbx_import_free(struct mbx_import *im)
{
	struct fcache *c;
	struct job *j;
	int i;

	if (!im)
		return;
	if (!im->err.kind && im->inflight)
		stop(im, MBX_ERR_SERVICE, NULL, "the import was ended with uploads in flight");
	while (im->inflight)
		mbx_http_step(im->g->http, 1000);
	while ((j = next_job(im)) != NULL)
		job_free(j);
	while ((c = im->folders) != NULL) {
		im->folders = c->next;
		free(c->path);
		free(c->id);
		free(c->err);
		free(c);
	}
	for (i = 0; i < im->nsess; i++)
		mbx_isession_clear(&im->sess[i].s);
	mbx_journal_close(im->journal);
	mbx_quota_free(im->quota);
	free(im->folder);
	free(im->under);
	free(im);
}
