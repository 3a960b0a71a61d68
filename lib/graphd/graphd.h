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

struct gd_item {
	char *id, *change_key, *cls, *created, *modified;
	char **cats;
	size_t ncats;
	struct gd_folder *folder;
	/* content: generated on demand from (seed, size), or bytes given in a seed file */
	uint64_t gen_seed;
	size_t gen_size;
	unsigned char *data;
	size_t len;                /* stream bytes */
	char sha256[65];
	uint64_t seq;              /* change sequence of its last change (delta, 5) */
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
	struct gd_item **index;    /* items by id, open addressing; rebuilt when stale */
	size_t index_cap, index_items;
	unsigned long index_gen;
};

struct gd_user {
	char *upn, *id;
	struct gd_mailbox *primary, *archive;
};

struct gd_app {
	struct gd_oauth_app pub;   /* what oauth.c sees */
	char **roles;
};

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
	unsigned long idx_gen;     /* bumped when items are removed: the id index is stale */
	uint64_t cseq;             /* change sequence: every create, change and removal */
	long delta_epoch;          /* delta tokens from an older epoch are expired (410) */
};

/* store.c */
void gd_store_init(struct gd_store *s);
struct gd_user *gd_user_find(struct gd_store *s, const char *key);   /* upn or id */
struct gd_mailbox *gd_mailbox_find(struct gd_store *s, const char *id);
struct gd_folder *gd_folder_find(struct gd_mailbox *m, const char *id_or_wk);
struct gd_item *gd_item_find(struct gd_folder *f, const char *id);
/* Any item of the mailbox by id (exportItems has no folder in the request). */
struct gd_item *gd_mailbox_item(struct gd_mailbox *m, const char *id);
struct gd_user *gd_user_add(struct gd_store *s, const char *upn, const char *id,
			    const char *primary, const char *archive, int with_archive);
struct gd_folder *gd_folder_add(struct gd_mailbox *m, struct gd_folder *parent,
				const char *name, const char *wk, const char *cls);
struct gd_folder *gd_folder_path(struct gd_mailbox *m, const char *path, const char *cls);
struct gd_item *gd_item_add(struct gd_store *s, struct gd_folder *f, const char *cls,
			    const char *created, const char *modified);
struct gd_app *gd_app_add(struct gd_store *s, const char *client, const char *secret,
			  const char *cert, const char *const *roles, size_t nroles, int pub);
void gd_item_path(const struct gd_folder *f, struct mbx_buf *out);
/* The item's stream (generated or stored) into out. */
int gd_item_stream(const struct gd_item *it, struct mbx_buf *out);
int gd_item_set_data(struct gd_item *it, const void *p, size_t n);
struct gd_mailbox *gd_aux_add(struct gd_store *s, struct gd_mailbox *main);
void gd_folder_expand(struct gd_folder *f, struct gd_mailbox *aux);
/* Remove f and its subtree (items too) from its mailbox; tombstones for delta. */
void gd_folder_remove(struct gd_folder *f);
/* Remove an item (a tombstone in its folder for delta) and free it. */
void gd_item_remove(struct gd_item *it);
/* Record a change: the next change sequence number. */
uint64_t gd_touch(struct gd_store *s);
void gd_tomb_add(struct gd_mailbox *m, const char *id, const char *parent, int item,
		 uint64_t seq);
char *gd_next_id(struct gd_store *s, const char *prefix);
int gd_generate(struct gd_store *s, const char *spec, char *err, size_t n);
/* Change a mailbox like a user's day: adds, edits, moves, deletes (churn.c). */
int gd_churn(struct gd_store *s, struct gd_mailbox *m, yajl_val spec, struct mbx_buf *out);
int gd_seed(struct gd_store *s, const char *file, char *err, size_t n);
int gd_state_save(struct gd_store *s, const char *dir, char *err, size_t n);
int gd_state_load(struct gd_store *s, const char *dir, char *err, size_t n);

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
	char retry_after[32], location[1024];
	int malformed, truncated;  /* faults */
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

#endif
