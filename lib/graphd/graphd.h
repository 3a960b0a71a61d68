/* graphd.h: the emulator's own code (mbx-graphd(1)).
 * Bare section numbers are those of docs/graph-api.md. */
#ifndef GRAPHD_H
#define GRAPHD_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "base.h"
#include "fx.h"
#include "oauth.h"

/* Bytes given to the emulator (an import, a seed file's "data"): shared by an item, its
 * copies (a move, a soft delete) and the exports sending it, freed with its last
 * reference. Never changed once made; id names it in --state files. */
struct gd_blob {
	unsigned long refs;        /* changed atomically: exports drop theirs unlocked */
	unsigned long id;          /* 0 until saved */
	unsigned long gen;         /* the --state generation whose files hold its bytes */
	size_t len;
	unsigned char *bytes;
	char sha256[65];
};

struct gd_item {
	char *id, *change_key, *cls, *created, *modified;
	char **cats;
	size_t ncats;
	struct gd_folder *folder;
	/* content: generated on demand from (seed, size), or bytes given (blob) */
	uint64_t gen_seed;
	size_t gen_size;
	struct gd_blob *blob;
	size_t len;                /* stream bytes: blob->len, or once made for the admin */
	char sha256[65];
	uint64_t seq;              /* change sequence of its last change (delta, 5) */
	size_t dirty;              /* 1 + its place in the change log's list; 0 */
};

struct gd_folder {
	char *id, *name, *wk, *cls;
	struct gd_folder *parent;
	struct gd_folder **kids;
	size_t nkids, capkids;
	struct gd_item **items;
	size_t nitems, capitems;
	struct gd_mailbox *mbx;
	int hidden;                /* root, recoverable items: not in /folders */
	uint64_t seq;              /* change sequence of its last change */
	struct gd_mailbox *aux;    /* an expanded archive folder: its items live there (3.17) */
};

/* A removal, remembered for delta rounds: a folder (parent: its parent's id) or an item
 * (parent: the folder it left). */
struct gd_tomb {
	char *id, *parent;
	int item;
	uint64_t seq;
};

struct gd_mailbox {
	struct gd_store *store;
	char *id, *user, *kind;
	struct gd_folder *root;
	struct gd_folder **all;    /* every folder, creation order */
	size_t nall, capall;
	int inflight;              /* requests in flight now (quota 4) */
	struct gd_tomb *tombs;
	size_t ntombs, captombs;
	struct gd_mailbox *main;   /* an auxiliary archive: the archive it belongs to */
	struct gd_upload *uploads; /* import bytes in the quota window, oldest first */
	size_t nuploads, capuploads;
	struct gd_item **index;    /* items by id, open addressing, kept up to date */
	size_t index_cap, index_n;
};

struct gd_user {
	char *upn, *id, *name, *mail;      /* mail NULL: no Exchange Online mailbox */
	struct gd_mailbox *primary, *archive;      /* primary NULL: none (graph-api.md 3.1) */
};

struct gd_app {
	struct gd_oauth_app pub;   /* what oauth.c sees */
	char **roles;
};

enum { GD_PROPS_SERVE, GD_PROPS_REFUSE, GD_PROPS_IGNORE };
struct gd_fault;
struct gd_upload { double t; size_t bytes; };

struct gd_store {
	pthread_mutex_t mu;
	char *tenant_id, *domain;
	struct gd_app **apps;
	size_t napps;
	struct gd_user **users;
	size_t nusers;
	struct gd_mailbox **mbxs;
	size_t nmbxs;
	uint64_t idseq;            /* deterministic ids */
	int concurrency;           /* requests in flight per mailbox (4) */
	int page_size;             /* default $top (10) */
	long long upload_bytes;    /* import quota: bytes per window (graph-api.md 7) */
	double upload_window;      /* seconds */
	long import_lifetime;      /* import session (importUrl) lifetime, seconds */
	uint64_t cseq;             /* change sequence: every create, change and removal */
	long delta_epoch;          /* delta tokens from an older epoch are expired (410) */
	unsigned long blobseq;     /* blob ids */
	unsigned long save_gen;    /* --state: snapshots written (gd_blob.gen) */
	long long item_max;        /* the largest stream an import takes (graph-api.md 8.9) */
	/* the other readings of graph-api.md 8.10 and 8.23 (mbx-graphd(1) CHOICES) */
	int folders_top;           /* GET .../folders: the root's children only */
	int item_props;            /* $expand=singleValueExtendedProperties on item listings
				    * (3.9): GD_PROPS_SERVE, _REFUSE (400) or _IGNORE */
	char **wk_names;           /* well-known names accepted in paths; NULL: all */
	size_t nwk_names;
	struct gd_log *log;        /* --state: the change log (changelog.c), or NULL */
};

/* store.c */
void gd_store_init(struct gd_store *s);
/* The store's lock. gd_store_unlock also commits what changed under it to the change
 * log (--state): every path that changes the store unlocks with it. */
void gd_store_lock(struct gd_store *s);
void gd_store_unlock(struct gd_store *s);
struct gd_user *gd_user_find(struct gd_store *s, const char *key);   /* upn or id */
struct gd_mailbox *gd_mailbox_find(struct gd_store *s, const char *id);
/* By id or any well-known name (the emulator's own lookups). */
struct gd_folder *gd_folder_find(struct gd_mailbox *m, const char *id_or_wk);
/* By id or a well-known name that --well-known-names accepts (what a request names). */
struct gd_folder *gd_folder_lookup(struct gd_mailbox *m, const char *id_or_wk);
int gd_wk_allowed(const struct gd_store *s, const char *name);
struct gd_item *gd_item_find(struct gd_folder *f, const char *id);
/* Any item of the mailbox by id (exportItems has no folder in the request). */
struct gd_item *gd_mailbox_item(struct gd_mailbox *m, const char *id);
/* A user without mailboxes; mail NULL unless given (gd_user_mailboxes sets it). */
struct gd_user *gd_user_add(struct gd_store *s, const char *upn, const char *id,
			    const char *name, const char *mail);
/* Give u a primary mailbox (and an archive) with the standard folders. */
void gd_user_mailboxes(struct gd_store *s, struct gd_user *u, const char *primary,
		       const char *archive, int with_archive);
/* A mailbox; bare: not even a root (a saved state makes its folders). */
struct gd_mailbox *gd_mailbox_add(struct gd_store *s, const char *id, const char *user,
				  const char *kind, int bare);
struct gd_folder *gd_folder_add(struct gd_mailbox *m, struct gd_folder *parent,
				const char *name, const char *wk, const char *cls);
struct gd_folder *gd_folder_path(struct gd_mailbox *m, const char *path, const char *cls);
void gd_folder_rename(struct gd_folder *f, const char *name);
struct gd_item *gd_item_add(struct gd_store *s, struct gd_folder *f, const char *cls,
			    const char *created, const char *modified);
void gd_item_set_id(struct gd_item *it, const char *id);
struct gd_item *gd_item_copy(struct gd_store *s, const struct gd_item *it,
			     struct gd_folder *f, const char *modified);
/* it changed (a new version): the next change sequence number, and logged. */
void gd_item_changed(struct gd_store *s, struct gd_item *it);
/* it moves to folder f (of any mailbox), keeping its id (a saved state only). */
void gd_item_move(struct gd_item *it, struct gd_folder *f);
struct gd_app *gd_app_add(struct gd_store *s, const char *client, const char *secret,
			  const char *cert, const char *const *roles, size_t nroles, int pub);
void gd_item_path(const struct gd_folder *f, struct mbx_buf *out);
/* The largest stream the emulator makes or keeps (the import limit, graph-api.md 8.9,
 * is at most this): buffers of streams are bounded by it. */
#define GD_STREAM_MAX ((size_t)256 << 20)
/* The item's stream (generated or stored) into out: 0, or -1 (its bound reached). */
int gd_item_stream(const struct gd_item *it, struct mbx_buf *out);
/* Blobs: gd_blob_new takes bytes (malloc'd; its id comes when it is first saved); new,
 * ref and unref may run unlocked. */
struct gd_blob *gd_blob_new(void *bytes, size_t len);
struct gd_blob *gd_blob_ref(struct gd_blob *b);
void gd_blob_unref(struct gd_blob *b);
/* The item's content becomes b (a reference taken), and its sha256 b's. */
void gd_item_set_blob(struct gd_item *it, struct gd_blob *b);
struct gd_mailbox *gd_aux_add(struct gd_store *s, struct gd_mailbox *main);
void gd_folder_expand(struct gd_folder *f, struct gd_mailbox *aux);
/* Remove f and its subtree (items too) from its mailbox; tombstones for delta. */
void gd_folder_remove(struct gd_folder *f);
/* Remove an item (a tombstone in its folder for delta) and free it. */
void gd_item_remove(struct gd_item *it);
/* The same without tombstones or change numbers (replaying a saved state). */
void gd_folder_drop(struct gd_folder *f);
void gd_item_drop(struct gd_item *it);
/* Record a change: the next change sequence number. */
uint64_t gd_touch(struct gd_store *s);
void gd_tomb_add(struct gd_mailbox *m, const char *id, const char *parent, int item,
		 uint64_t seq);
char *gd_next_id(struct gd_store *s, const char *prefix);
int gd_generate(struct gd_store *s, const char *spec, char *err, size_t n);
/* Change a mailbox like a user's day: adds, edits, moves, deletes (churn.c). */
int gd_churn(struct gd_store *s, struct gd_mailbox *m, yajl_val spec, struct mbx_buf *out);
int gd_seed(struct gd_store *s, const char *file, char *err, size_t n);
/* seed.c: an app record (seed files and saved states): 0, or -1 with why. */
int gd_seed_app(struct gd_store *s, yajl_val v, char *why, size_t n);

/* state.c: --state DIR. Load the snapshot and replay the change log after it: 1 loaded
 * (*lsn: the last change log record in it; *current: the snapshot held it all), 0 no
 * saved state, -1 a saved state that does not load (err). */
int gd_state_load(struct gd_store *s, const char *dir, uint64_t *lsn, int *current,
		  char *err, size_t n);
/* Write the snapshot atomically (temporary file, fsync, rename, fsync of dir), as of
 * change log record lsn; *bytes its size. Store locked. 0, or -1 with err. */
int gd_state_snapshot(struct gd_store *s, const char *dir, uint64_t lsn, long long *bytes,
		      char *err, size_t n);
/* An item record, streamed to f: its blob's bytes as base64 the first time the current
 * generation of state files has them, its blob's id after. 0, or -1 (errno). */
int gd_state_item(FILE *f, struct gd_item *it);

/* changelog.c: the append-only change log of --state (mbx-graphd(1) FILES). */
/* After the store was loaded (up to change log record lsn) or made: write a snapshot
 * (unless current: the one there holds it all), empty the log and log every change
 * from then on; always: gd_log_sync fsyncs (--fsync always), else a thread does,
 * once a second (--fsync second). 0, or -1 with err. */
int gd_log_open(struct gd_store *s, const char *dir, uint64_t lsn, int current, int always,
		char *err, size_t n);
/* Make every change committed so far survive a SIGKILL (written to the kernel) and,
 * with always, a crash of the machine (fsync); compact the log when it has grown past
 * a multiple of the snapshot. 0, or -1 with err (the change log failed: no later
 * change can be made durable either). */
int gd_log_sync(struct gd_store *s, char *err, size_t n);
/* Write a last snapshot and close the log (a clean stop). */
int gd_log_close(struct gd_store *s, char *err, size_t n);
/* Hooks of store.c: what a change did, under the store lock; no-ops without a log. */
void gd_log_item(struct gd_store *s, struct gd_item *it);      /* made or changed */
void gd_log_forget(struct gd_store *s, struct gd_item *it);    /* about to be freed */
void gd_log_rmitem(struct gd_store *s, const struct gd_item *it);
void gd_log_folder(struct gd_store *s, const struct gd_folder *f);
void gd_log_rmfolder(struct gd_store *s, const struct gd_folder *f);
void gd_log_tomb(struct gd_store *s, const struct gd_mailbox *m, const struct gd_tomb *t);
void gd_log_counters(struct gd_store *s);                      /* only counters changed */
void gd_log_commit(struct gd_store *s);                        /* gd_store_unlock's part */

/* server.c */
struct gd_req {
	const char *method, *url;  /* url: path without the query */
	char **qk, **qv;           /* decoded query options */
	size_t nq;
	struct mbx_buf body;
	const char *authorization, *host, *client_request_id, *content_type, *prefer;
	char self[256];            /* scheme://host of this server as the client sees it */
	/* response */
	int status;
	struct mbx_buf out;
	char retry_after[32], location[4096];
	int malformed, truncated;  /* faults */
	int reset;                 /* fault: the connection closed, no answer */
	int answered;              /* queued already (a body refused by its length) */
	int over;                  /* the body passed its bound: dropped */
	size_t received;           /* body bytes received */
	char inflight[192];        /* the mailbox whose concurrency count it holds */
	/* A streamed answer (exportItems): read fills buf with up to max bytes and returns
	 * how many, 0 at the end, -1 to drop the connection; done runs once, at the end or
	 * when the connection goes. Status and headers are r's. */
	struct gd_stream {
		long (*read)(void *cls, char *buf, size_t max);
		void (*done)(void *cls);
		void *cls;
	} stream;
	int omit;                  /* exportItems: leave out this many entries */
	int latency_ms;            /* answer no sooner than this after arrival */
	char itemerror[64];        /* exportItems: this per-item error for the first entry */
	/* log */
	char mailbox[192], app[64];
	const char *fault;
	int violation;
};
void gd_json_error(struct gd_req *r, int status, const char *code, const char *fmt, ...)
	MBX_ATTR_PRINTF(4, 5);
const char *gd_query(const struct gd_req *r, const char *key);
/* Split the query off r->url (which it cuts) into decoded r->qk/qv: 0, or -1. */
int gd_parse_query(struct gd_req *r);
/* Answer with Retry-After secs and hold the client to it (an early return is a
 * violation, like an injected 429's). */
struct gd_server;
void gd_throttle(struct gd_server *sv, struct gd_req *r, double secs);
double gd_now(void);            /* wall clock, seconds */

/* routes.c */
struct gd_server;
void gd_route(struct gd_server *sv, struct gd_req *r);
/* A Graph error answer whose body cannot be built (a writer's bound reached): 500. */
void gd_too_large(struct gd_req *r);

#endif
