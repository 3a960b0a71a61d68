/* mbx.h: the Graph client (lib/graph): what the programs may call. Mailboxes,
 * folders, listings and delta rounds, exportItems, import sessions, the journal and
 * --stats, over the HTTP engine of http.h.
 * Bare section numbers are those of docs/graph-api.md. */
#ifndef MBX_H
#define MBX_H

#include "base.h"
#include "http.h"

/* -------------------------------------------------------- exportitems.c */

/* The exportItems response (graph-api.md 3.13) read as it streams: each element of
 * "value" is handed out when it closes, its base64 "data" already decoded (data NULL for
 * an element without it). Strings are "" when absent. */
struct mbx_xitem {
	const char *item_id, *change_key, *err_code, *err_message;
	struct mbx_buf *data;
};
typedef int (*mbx_xitem_cb)(void *ctx, const struct mbx_xitem *it);  /* non-zero stops */
struct mbx_xparse;
struct mbx_xparse *mbx_xparse_new(mbx_xitem_cb cb, void *ctx, size_t max_data);
int mbx_xparse_feed(struct mbx_xparse *x, const char *p, size_t n);   /* 0, or -1 */
int mbx_xparse_finish(struct mbx_xparse *x);                          /* 0, or -1 */
const char *mbx_xparse_error(const struct mbx_xparse *x);
void mbx_xparse_free(struct mbx_xparse *x);

/* -------------------------------------------------------------- graph.c */

struct mbx_graph {
	struct mbx_http *http;
	struct mbx_auth *auth;
	char base[512];            /* MBX_GRAPH_URL */
	double started;            /* monotonic seconds at mbx_graph_init */
};
/* Set up engine, auth and base URL from mbx_opt and the environment; dies on failure. */
void mbx_graph_init(struct mbx_graph *g);
void mbx_graph_free(struct mbx_graph *g);
/* Build base + "/" + path where each %s argument is percent-encoded as one segment;
 * fmt may contain only %s. Returns a malloc'd URL. */
char *mbx_graph_url(const struct mbx_graph *g, const char *fmt, ...);
/* One-line message for a failed request: "404 Not Found: ErrorItemNotFound: text". */
void mbx_graph_errmsg(const struct mbx_req *r, char *out, size_t n);
/* Graph error code of a failed request ("ErrorItemNotFound"), or the status text. */
void mbx_graph_errcode(const struct mbx_req *r, char *out, size_t n);
/* The requests below answer 0, or -1 with e (set on entry, whatever the result): its
 * kind from the engine's verdict (AUTH, SERVICE, ...; RECORD for a refusal of this one
 * call, such as a 400 or 404), its message "404 Not Found: ErrorItemNotFound: text". */
/* Whether r (done) failed: 0 for a 2xx, else -1 with e as above. */
int mbx_graph_failed(const struct mbx_req *r, struct mbx_err *e);
/* The same for a GET of one object: a 404 says it does not exist (NOTFOUND). */
int mbx_graph_failed_one(const struct mbx_req *r, struct mbx_err *e);
/* Whether r failed as every call of the run would (no token, a 401 after a fresh one),
 * which stops the run; a 403 is one mailbox's refusal. */
int mbx_req_fails_all(const struct mbx_req *r);
/* GET url and parse the JSON object into *out (NULL on failure). A 404 is NOTFOUND: the
 * one object asked for does not exist; a body that is not an object is SERVICE. */
int mbx_graph_get(struct mbx_graph *g, const char *url, const char *lane, yajl_val *out,
		  struct mbx_err *e);
/* GET url and every @odata.nextLink after it, one page at a time, streaming each
 * element of "value" to each(). A 404 stays RECORD: a listing that failed never says
 * "there is none" (NOTFOUND). A broken page or a nextLink to another host is SERVICE. */
int mbx_graph_list(struct mbx_graph *g, const char *url, const char *lane,
		   mbx_jstream_cb each, void *ctx, struct mbx_err *e);

/* A delta round (graph-api.md 5) from url (the first request, or a saved deltaLink, which
 * must be on the Graph host): every changed object and every {"id","@removed"} to each(),
 * the new deltaLink in *link (malloc'd, NULL on failure). 0; MBX_DELTA_EXPIRED (a
 * positive return) when the service says the state is gone (410, syncStateNotFound,
 * resyncRequired): start a new round; e is then set too, kind SERVICE with the service's
 * message, which is what it is to a caller that cannot start over; else -1 with e. */
#define MBX_DELTA_EXPIRED 1
int mbx_graph_delta(struct mbx_graph *g, const char *url, const char *lane,
		    mbx_jstream_cb each, void *ctx, char **link, struct mbx_err *e);

/* Mailbox resolution (mbx(7)): "MBX:..." as is; otherwise a user resolved through
 * /users/{user}/settings/exchange to its primary (or, with archive, archive) id. 0, or
 * -1 with e (and *out zeroed), both set on entry: NOTFOUND for a user the service does
 * not know (404) or one without an archive. */
struct mbx_mailbox {
	char id[192];
	char user[256];            /* "" when given by id */
	char kind[16];             /* "primary" or "archive" */
};
int mbx_graph_mailbox(struct mbx_graph *g, const char *spec, int archive,
		      struct mbx_mailbox *out, struct mbx_err *e);
/* As mbx_graph_mailbox, but a failure is reported and ends the program. */
void mbx_graph_target(struct mbx_graph *g, const char *spec, int archive,
		      struct mbx_mailbox *out);
/* Exchange settings: primary and (may be "") archive id, both "" on failure; 0, or -1
 * with e (as mbx_graph_get; SERVICE when the answer has no primaryMailboxId). */
int mbx_graph_settings(struct mbx_graph *g, const char *user, char *primary, size_t np,
		       char *archive, size_t na, struct mbx_err *e);

struct mbx_folder {
	char *id, *parent_id, *display_name, *well_known, *cls, *path;
	long long child_count, total_count;
};
void mbx_folder_clear(struct mbx_folder *f);
/* Folder from a Graph mailboxFolder object (path left NULL). */
int mbx_folder_from_json(struct mbx_folder *f, yajl_val v);
/* The folder calls below answer 0, or -1 with e (DESIGN-NOTES "Errors"): kind NOTFOUND
 * when the service said there is no such folder, another kind when a call failed; *out
 * and e are set on entry, whatever the result. */
/* Resolve spec (path or id) in mailbox to a folder with its path filled. */
int mbx_graph_folder(struct mbx_graph *g, const char *mailbox, const char *spec,
		     struct mbx_folder *out, struct mbx_err *e);
/* The folder at path, created with its missing parents (graph-api.md 3.5; existing folders
 * are reused, so it is idempotent). cls is the class of folders it creates. dry: create
 * nothing, the missing ones come back without an id. *created says whether the last one
 * was (or would be) created. A folder is created only where the lookup said NOTFOUND,
 * never after a listing that failed. */
int mbx_graph_mkpath(struct mbx_graph *g, const char *mailbox, const char *path,
		     const char *cls, int dry, struct mbx_folder *out, int *created,
		     struct mbx_err *e);

/* A request on mailbox's lane; url (malloc'd) is taken over; json: a JSON body. */
struct mbx_req *mbx_graph_req(const char *method, const char *mailbox, char *url, int json);
/* Seconds since mbx_graph_init: a run's elapsed time. */
double mbx_graph_elapsed(const struct mbx_graph *g);
/* --stats FILE, if given: the program's counts (fields; NULL for a program without its
 * own: the records it wrote on stdout and the error records among them), the HTTP
 * engine's, and the elapsed time. */
void mbx_stats_write(const struct mbx_graph *g,
		     void (*fields)(struct mbx_jw *w, void *ctx), void *ctx);
/* Run r to its end: 0 on 2xx; else -1 with e (mbx_graph_failed). r stays the caller's. */
int mbx_graph_run(struct mbx_graph *g, struct mbx_req *r, struct mbx_err *e);
/* Rename a folder (3.6) or delete it with its subtree (3.7): 0, or -1 with e. */
int mbx_graph_rename(struct mbx_graph *g, const char *mailbox, const char *id,
		     const char *name, struct mbx_err *e);
int mbx_graph_rmfolder(struct mbx_graph *g, const char *mailbox, const char *id,
		       struct mbx_err *e);
/* mbx_graph_folder for mbx-ls and the folder writers: a failure reported (a FolderNotFound record,
 * or one line for a failure of every call, mbx_report); 0 or the exit code. */
int mbx_folder_find(struct mbx_graph *g, const char *mailbox, const char *spec,
		    struct mbx_folder *out);

/* ------------------------------------------------------------- export.c */

/* The export engine: item records in, each item's FastTransfer stream out (exportItems,
 * graph-api.md 3.13), many mailboxes at once, each on its own lane. on_item gets the
 * record (changeKey set to the exported version) and the stream; on_fail an item that
 * failed for good. Both run from inside mbx_export_add/_poll/_finish; the record and the
 * bytes are the engine's. Zero in opts means the default. */
#define MBX_EXPORT_MAILBOXES 16          /* --mailboxes: mailboxes with calls in flight */
#define MBX_EXPORT_READ_AHEAD 8192       /* records in memory before spilling to a file */
struct mbx_export_opts {
	int jobs;                  /* calls in flight per mailbox (0: mbx_opt.jobs) */
	int mailboxes;             /* mailboxes in flight at once */
	size_t read_ahead;         /* records kept in memory, all mailboxes */
};
struct mbx_export_stats {
	unsigned long ok, failed, calls, spilled;
	unsigned long long bytes;
};
typedef void (*mbx_export_item_cb)(void *ctx, yajl_val rec, const void *data, size_t len);
typedef void (*mbx_export_fail_cb)(void *ctx, const char *mailbox, const char *id,
				   const char *code, const char *msg);
struct mbx_export;
struct mbx_export *mbx_export_new(struct mbx_graph *g, const struct mbx_export_opts *o,
				  mbx_export_item_cb on_item, mbx_export_fail_cb on_fail,
				  void *ctx);
/* Queue an item record (type item, mailbox, id), taken over: 0, or -1 with e (set on
 * entry, whatever the result) when a failure stopped the run (no token, 401, which the
 * engine has reported): stop reading then. */
int mbx_export_add(struct mbx_export *x, yajl_val rec, struct mbx_err *e);
/* Whether reading more input would help now; when not, poll until it would (or until
 * nothing is in flight, and read anyway). */
int mbx_export_hungry(const struct mbx_export *x);
/* One round of the HTTP engine, waiting up to wait_ms: calls still queued or in flight. */
int mbx_export_poll(struct mbx_export *x, int wait_ms);
/* Poll until reading more would help (mbx_export_hungry) or nothing is in flight. */
void mbx_export_wait(struct mbx_export *x);
/* The input loop: records from in, each to take (rec taken over: it goes to
 * mbx_export_add unchanged, or is freed: a record the engine spills is written as its
 * line was read), a bad line as rec NULL with err naming it. The input is
 * read only while the engine can use it, and the engine runs while a read would block.
 * Ends at the end of the input or when the run stopped; returns the lines read. */
typedef void (*mbx_export_take_cb)(void *ctx, yajl_val rec, unsigned long line,
				   const char *err);
unsigned long mbx_export_read(struct mbx_export *x, FILE *in, mbx_export_take_cb take,
			      void *ctx);
/* The input is over: send what is left and run to the end. 0, or -1 with e (set on
 * entry): the failure that stopped the run, else the worst kind of the calls that
 * failed (their items went to on_fail; per-item failures alone leave e clear). */
int mbx_export_finish(struct mbx_export *x, struct mbx_err *e);
/* The failure that stopped the run, or NULL. */
const struct mbx_err *mbx_export_stopped(const struct mbx_export *x);
const struct mbx_export_stats *mbx_export_stats(const struct mbx_export *x);
void mbx_export_free(struct mbx_export *x);

/* ----------------------------------------------------------- importer.c */

/* An import session (graph-api.md 3.14): the pre-authenticated URL is a secret. */
struct mbx_isession {
	char mailbox[192];
	char *url;
	double opened, expires;    /* Unix seconds */
	unsigned long gen;         /* renewals so far: uploads remember which URL they used */
};
/* Open or renew s for mailbox: 0, or -1 with e (set on entry, whatever the result; as
 * mbx_graph_run, SERVICE for an answer without the URL or its expiry), s keeping the URL
 * it had. */
int mbx_isession_open(struct mbx_graph *g, struct mbx_isession *s, const char *mailbox,
		      struct mbx_err *e);
/* Time to renew: less than a fifth of its lifetime (at most 5 minutes) left. */
int mbx_isession_due(const struct mbx_isession *s);
void mbx_isession_clear(struct mbx_isession *s);
/* The upload of one stream (3.15): Mode create, or update of item_id at ck. */
struct mbx_req *mbx_import_req(const struct mbx_isession *s, const char *folder_id,
			       const void *payload, size_t len, const char *item_id,
			       const char *ck);
/* The new itemId and changeKey of a successful upload (malloc'd): 0, or -1. */
int mbx_import_result(const struct mbx_req *r, char **id, char **ck);

/* -------------------------------------------------------------- quota.c */

/* The upload quota (graph-api.md 7) as a sliding window: an upload counts from the moment
 * it is taken until a window after it is done. */
struct mbx_quota;
struct mbx_quota_slot;
struct mbx_quota *mbx_quota_new(long long bytes, double window);
void mbx_quota_free(struct mbx_quota *q);       /* with the slots still in flight */
/* Seconds until bytes more fit (0: now), or -1 when only a finishing upload makes room. */
double mbx_quota_wait(struct mbx_quota *q, size_t bytes);
/* Count an upload of bytes from now on; mbx_quota_done when its answer is in. */
struct mbx_quota_slot *mbx_quota_take(struct mbx_quota *q, size_t bytes);
void mbx_quota_done(struct mbx_quota_slot *s);

/* ------------------------------------------------------------- import.c */

/* mbx-import(1) as an object: the items of frames go into one target mailbox through an
 * import session per mailbox (the target and its auxiliary archives, 3.14, 3.17), paced
 * to the upload quota, into folders made on demand, with a journal. All its state is in
 * the object, so several can run at once on one engine. */
struct mbx_import_opts {
	const char *folder;        /* --folder PATH|ID: every item goes there; or NULL */
	const char *under;         /* --under PATH: where source paths go (NULL: "/") */
	const char *journal;       /* --journal FILE, or NULL */
	long long limit_bytes;     /* --upload-limit: bytes per window seconds */
	double limit_window;
	int jobs;                  /* uploads in flight at most */
	int dry_run;               /* place items, upload nothing */
};
/* One outcome, in order: status "created", "updated", "skipped", "would-create" or
 * "would-update" for an item (id and change_key of its copy NULL when dry), or NULL for a
 * failure: code and message, and the mailbox and subject it concerns. */
struct mbx_import_rec {
	const char *status;
	const char *mailbox, *id, *change_key, *folder_id, *folder_path;
	yajl_val source;           /* the source item record; NULL for a folder's failure */
	const char *subject, *code, *message;
};
typedef void (*mbx_import_cb)(void *ctx, const struct mbx_import_rec *r);
struct mbx_import_stats {
	unsigned long items, ok, updated, skipped, failed, sessions;
	unsigned long recovered;   /* of ok: an earlier run's upload found in its folder */
	unsigned long unverified;  /* of ok: sent again, since the lookup could not tell */
	unsigned long long bytes;
	int worst;                 /* the exit status of the failures so far */
};
struct mbx_import;
/* An import into target (a mailbox id): opens the journal and resolves --folder. 0 and
 * *out; else -1 with e, and *out NULL (both set on entry, whatever the result). */
int mbx_import_new(struct mbx_graph *g, const char *target, const struct mbx_import_opts *o,
		   mbx_import_cb on_record, void *ctx, struct mbx_import **out,
		   struct mbx_err *e);
/* An item: hdr (its record) and *payload are taken over, *payload left empty whatever
 * the result; its folder and session are resolved and its upload sent once fewer than
 * jobs are in flight. A folder record: its folder made. Both return 0, or -1 with e
 * (set whatever the result): the failure that ends the import (mbx_exit_of(e->kind) is
 * the exit status); one item's failure is a record. */
int mbx_import_add(struct mbx_import *im, yajl_val hdr, struct mbx_buf *payload,
		   struct mbx_err *e);
int mbx_import_folder(struct mbx_import *im, yajl_val rec, struct mbx_err *e);
/* Let uploads run until fewer than jobs are in flight (run: between records) or none
 * (finish: the input is over). 0, or -1 with e as mbx_import_add. */
int mbx_import_run(struct mbx_import *im, struct mbx_err *e);
int mbx_import_finish(struct mbx_import *im, struct mbx_err *e);
void mbx_import_stats(const struct mbx_import *im, struct mbx_import_stats *out);
void mbx_import_free(struct mbx_import *im);
/* Write r (an item's outcome, status not NULL) as an imported record (mbx-import(1));
 * in emit.c with the other shapes. */
void mbx_imported_emit(const struct mbx_import_rec *r);

/* -------------------------------------------------------------- users.c */

/* Every user of the tenant (Graph "List users": id, userPrincipalName, mail), each to
 * each(), page after page. Needs User.Read.All (or Directory.Read.All): a 403 is
 * MBX_EXIT_AUTH. 0 ok; else -1 with e (as mbx_graph_list). */
int mbx_graph_users(struct mbx_graph *g, mbx_jstream_cb each, void *ctx, struct mbx_err *e);
/* The exchange settings (3.1) of one user of a batch: ids, or e (kind NONE when the ids
 * are there). */
struct mbx_usettings {
	const char *user;
	struct mbx_err e;          /* as mbx_graph_settings */
	char primary[192], archive[192];  /* archive "" when the user has none */
};
typedef int (*mbx_usettings_cb)(void *ctx, const struct mbx_usettings *s);  /* non-zero stops */
/* The settings of users[0..nusers), up to window calls in flight, handed to each() in
 * the order of users (the read-ahead is the window: memory stays bounded). Returns the
 * worst exit status (mbx_exit_of) of those handed out: they are many outcomes, each
 * already given to each(), not one error. */
int mbx_graph_settings_many(struct mbx_graph *g, const char *const *users, size_t nusers,
			    size_t window, mbx_usettings_cb each, void *ctx);

/* --------------------------------------------------------------- task.c */

/* Many mailboxes at once for the sequential listers (DESIGN-NOTES "Many mailboxes in the
 * listers"): the records of stdin, each to each() on the task of its mailbox (key()),
 * a mailbox's records in input order; up to mailboxes tasks at once, queue_max records
 * in memory. Inside a task mbx_graph_run waits for its request while the other tasks and
 * the engine run. Returns the worst exit code of each() and of the input's bad lines. */
#define MBX_TASKS_MAILBOXES 16      /* --mailboxes: the default */
#define MBX_TASKS_QUEUE 1024        /* records read ahead, all mailboxes */
struct mbx_tasks_opts {
	const char *const *types;   /* accepted record types */
	const char *(*key)(yajl_val rec, const char *type);   /* its mailbox, never NULL */
	mbx_record_cb each;
	void *ctx;
	int mailboxes;
	size_t queue_max;
};
int mbx_tasks_run(struct mbx_graph *g, const struct mbx_tasks_opts *o);
/* The task running the caller, or NULL outside tasks. */
struct mbx_task;
struct mbx_task *mbx_task_self(void);
/* In a task: submit r (its on_done and ctx are the task's) and wait until it is done. */
void mbx_task_perform(struct mbx_http *h, struct mbx_req *r);
/* Requests a task has in flight on its own on_done (mbx-rm): hold one when it is
 * submitted, release it in its on_done (which resumes the task); drain waits until at
 * most max are held. A task ends only when it holds none. */
void mbx_task_hold(struct mbx_task *t);
void mbx_task_release(struct mbx_task *t);
void mbx_task_drain(long max);
/* Such a failure, seen by a request of t's: the run reads and starts no more. */
void mbx_task_stop_run(struct mbx_task *t);
/* --mailboxes N: N, or a usage error that ends the program. */
int mbx_parse_mailboxes(const char *arg);

/* --------------------------------------------------------------- list.c */

/* The listings of mbx-ls(1) over g, one object per run: its options and, with --delta,
 * the state of its one mailbox (loaded by mbx_list_new, which dies when the state cannot
 * be used). */
#define MBX_LIST_PAGE_SIZE 250     /* $top: fewer round trips than the service's 10 */
struct mbx_list_opts {
	long page_size;            /* --page-size: $top */
	char since[32], until[32]; /* --since/--until normalised (mbx_parse_time), or "" */
	const char *delta;         /* --delta STATE, or NULL */
};
struct mbx_list;
struct mbx_list *mbx_list_new(struct mbx_graph *g, const struct mbx_list_opts *o);
/* --delta: save the state after a complete run (rc 0), with the folders a whole-mailbox
 * listing no longer saw reported removed; nothing without --delta. */
void mbx_list_save(struct mbx_list *l, int rc);
void mbx_list_free(struct mbx_list *l);
/* The items of the folder at spec (path or id) and below it (spec NULL: the mailbox), or
 * of that one folder (mbx_list_in): item records, failures reported; the exit code. */
int mbx_list_under(struct mbx_list *l, const char *mailbox, const char *spec);
int mbx_list_in(struct mbx_list *l, const char *mailbox, const char *spec);
/* A folder or mailbox record of the input (an mbx_record_cb, ctx: the list), and the
 * mailbox it is of (for mbx_tasks_run). With --delta, a record of a second mailbox ends
 * the program with a usage error: a state file is of one mailbox. */
int mbx_list_record(void *ctx, yajl_val rec, const char *type, unsigned long line);
const char *mbx_list_key(yajl_val rec, const char *type);
/* The mailbox records of users (-M USER...: one settings call each, 3.1, many at once,
 * in the order given), or of every user of the tenant (-M --all: users a page at a
 * time, their settings many at once): the exit code. */
int mbx_list_users(struct mbx_list *l, char *const *users, int n);
int mbx_list_tenant(struct mbx_list *l);
/* mbx-folders(1): the folder tree of mailbox (from the folder at path; NULL: all) as
 * folder records; the same for a mailbox record of the input (ctx: the graph), and its
 * key; failures reported, the exit code. */
int mbx_folders_of(struct mbx_graph *g, const char *mailbox, const char *path);
int mbx_folders_record(void *ctx, yajl_val rec, const char *type, unsigned long line);
const char *mbx_folders_key(yajl_val rec, const char *type);

/* ------------------------------------------------------------- dstate.c */

/* --delta STATE files: 1 and *out (the document) when it loads; 0 when there is none
 * yet; -1 with e, kind INPUT, when it cannot be read, is corrupt, another tool's (type !=
 * tool) or another mailbox's (mailbox NULL: any). *out and e are set on entry. Saved
 * atomically (temporary file, fsync, rename): 0, or -1 with e, kind IO. */
int mbx_dstate_load(const char *path, const char *tool, const char *mailbox, yajl_val *out,
		    struct mbx_err *e);
int mbx_dstate_save(const char *path, const struct mbx_buf *doc, struct mbx_err *e);
/* mbx-ls --delta STATE: per folder id, its path and the deltaLink of its last round; the
 * mailbox of the state ("" until known). Load: 0, also when there is no state yet (*s
 * empty), or -1 with e, kind INPUT, when it cannot be used; *s set on entry. Save: the
 * folders with a link, atomically; 0, or -1 with e, kind IO. */
struct mbx_ilink {
	char *id, *path, *link;    /* link NULL: not listed yet */
	int seen;                  /* listed in this run */
};
struct mbx_ilinks {
	char mailbox[192];
	struct mbx_ilink *v;
	size_t n;
};
int mbx_ilinks_load(const char *path, struct mbx_ilinks *s, struct mbx_err *e);
int mbx_ilinks_save(const char *path, const struct mbx_ilinks *s, struct mbx_err *e);
/* The entry of folder id, added (no path, no link) when the state has none. */
struct mbx_ilink *mbx_ilinks_get(struct mbx_ilinks *s, const char *id);
void mbx_ilink_clear(struct mbx_ilink *d);
void mbx_ilinks_free(struct mbx_ilinks *s);
/* mbx-folders --delta STATE: the folders of mailbox that changed since the state's round
 * (all the first time), removals first, then parents before children; the state saved
 * when the round is complete. Dies when the state cannot be used; the exit code. */
int mbx_folders_delta(struct mbx_graph *g, const char *path, const char *mailbox);

/* ------------------------------------------------------------ journal.c */

/* mbx-import's --journal: what was imported, by source item, durable per item; and what
 * was about to be (an intent), so that a lost answer can be looked for. */
struct mbx_jentry {
	char *src_mailbox, *src_id, *src_ck;   /* the source item and its version */
	char *id, *ck, *folder_id;             /* its copy in the target (an intent: folder) */
	int pending;                           /* an intent without its done line */
	char *mailbox;                         /* an intent: the mailbox of the upload */
	double time;                           /* an intent: Unix seconds before the upload */
	char *key_id, *key_value;              /* an intent: fx_content_key, or NULL */
};
struct mbx_journal;
/* Open (or create) the journal of target: 0 and *out; -1 with e, kind INPUT (and *out
 * NULL; both set on entry) when it is corrupt, belongs to another target or cannot be
 * written. A torn last line is dropped with a warning. */
int mbx_journal_open(const char *path, const char *target, struct mbx_journal **out,
		     struct mbx_err *e);
/* The done entry of a source item, or NULL (also when only an intent is there). */
const struct mbx_jentry *mbx_journal_find(const struct mbx_journal *j, const char *mailbox,
					  const char *id);
/* The intent of a source item that has no done line after it, or NULL. */
const struct mbx_jentry *mbx_journal_pending(const struct mbx_journal *j,
					     const char *mailbox, const char *id);
/* Whether a done entry names this copy (an item of the target). */
int mbx_journal_has_copy(const struct mbx_journal *j, const char *id);
/* Append e as a done line (add) or an intent (intent: mailbox, folder_id, time, key),
 * and fsync: 0, or -1 (errno). */
int mbx_journal_add(struct mbx_journal *j, const struct mbx_jentry *e);
int mbx_journal_intent(struct mbx_journal *j, const struct mbx_jentry *e);
void mbx_journal_close(struct mbx_journal *j);

/* --------------------------------------------------------------- tree.c */

/* Walk the folder tree of mailbox depth-first from the folder named by spec (a path or id;
 * NULL or "/" = the root, which is not itself reported), calling each() for every folder
 * with its path filled. The tree is the flat /folders list (graph-api.md 3.2), with
 * childFolders (3.4) only for folders whose childFolderCount exceeds the children the list
 * showed, so either scope of /folders (8.10) gives the whole tree; no well-known name is
 * needed (8.23).
 * each() returns 0 or an exit code, which ends the walk.
 * 0 ok; else -1 with e (cleared on entry): its message says what failed, or e->reported
 * is set (and the message "") when the failures were already reported (error records of
 * the folders below the top that could not be listed, or each()'s: then e's kind is that
 * of each()'s exit code). */
typedef int (*mbx_folder_cb)(void *ctx, const char *mailbox, const struct mbx_folder *f);
int mbx_folder_walk(struct mbx_graph *g, const char *mailbox, const char *spec,
		    mbx_folder_cb each, void *ctx, struct mbx_err *e);
/* ------------------------------------------------------------------ emit.c */

/* The Graph record shapes of mbx(7) RECORD FORMAT, each written to stdout (through
 * mbx_rec_begin/_end of base.h; error and mail records are there). */
void mbx_mailbox_emit(const struct mbx_mailbox *m);
/* A folder record of a listing: every member of f. */
void mbx_folder_emit(const char *mailbox, const struct mbx_folder *f);
/* The change records of mbx-mkfolder ("created"), mbx-mvfolder (the new path and name,
 * "oldPath") and mbx-rmfolder/mbx-rm ("removed"); "dryRun": true under -n. */
void mbx_folder_made_emit(const char *mailbox, const struct mbx_folder *f, int created,
			  int dry_run);
void mbx_folder_moved_emit(const char *mailbox, const struct mbx_folder *f, const char *path,
			   const char *name, int dry_run);
void mbx_folder_removed_emit(const char *mailbox, const struct mbx_folder *f, int dry_run);
void mbx_item_removed_emit(const char *mailbox, const char *folder_id, const char *id,
			   const char *disposal, int dry_run);
/* An item record from a Graph message of the listing of folder_id (its "type" as class). */
void mbx_item_emit(const char *mailbox, const char *folder_id, const char *folder_path,
		   yajl_val item);
/* {"type": item|folder, mailbox, [folderId], folderPath|path, id, FLAG: true}: a
 * removal ("removed") or a listing in full again ("resync"), mbx(7). */
void mbx_mark_emit(const char *type, const char *mailbox, const char *folder_id,
		   const char *path, const char *id, const char *flag);

#endif
