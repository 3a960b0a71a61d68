/* routes.h: what the Graph route files share (routes.c reads, folderops.c writes
 * folders, import.c the import sessions): the parsed path and the common checks.
 * Bare section numbers are those of docs/graph-api.md. */
#ifndef GRAPHD_ROUTES_H
#define GRAPHD_ROUTES_H
#include "server.h"

#define MAX_SEGS 16

struct gd_path {
	char *seg[MAX_SEGS];
	size_t n;
	const char *ver;           /* "beta" or "v1.0" */
};

/* Split the raw path and decode each segment; "folders('id')" becomes two. */
int gd_path_split(const char *url, struct gd_path *p);
void gd_path_free(struct gd_path *p);
/* Segment i is name (case-insensitive). */
int gd_is(const struct gd_path *p, size_t i, const char *name);
/* Authenticate and authorise: 0, or the error is in r. role2 is the higher one. */
int gd_authorise(struct gd_server *sv, struct gd_req *r, const char *role, const char *role2,
		 struct gd_oauth_principal *pr);
/* A 200 JSON answer with its @odata.context; the caller ends the object. */
void gd_out_start(struct gd_req *r, struct mbx_jw *w, const char *context);
/* 400 unless every query option is in allowed. */
int gd_no_options(struct gd_req *r, const char *const *allowed);
void gd_folder_json(struct gd_req *r, struct mbx_jw *w, const struct gd_folder *f);
void gd_item_json(struct gd_req *r, struct mbx_jw *w, const struct gd_item *it);
/* 308 to the same request on an auxiliary archive mailbox (3.17). */
void gd_redirect_aux(struct gd_req *r, const struct gd_path *p, const struct gd_mailbox *aux);
/* delta.c: GET folders/delta (f NULL), childFolders/delta, items/delta (3.8, 3.11, 5). */
void gd_delta(struct gd_server *sv, struct gd_req *r, struct gd_mailbox *m,
	      struct gd_folder *f, int items);
/* folderops.c: DELETE .../items/{id}?disposalType= (3.12). */
void gd_item_delete(struct gd_server *sv, struct gd_req *r, struct gd_folder *f,
		    const char *id);
int gd_id_wellformed(const char *id);
/* The folder by id or well-known name, or NULL with a 400/404 in r. */
struct gd_folder *gd_folder_or_error(struct gd_req *r, struct gd_mailbox *m, const char *id);
/* The mailbox exists and the principal may use it with this API version: 0, or -1. */
int gd_mailbox_checks(struct gd_req *r, struct gd_mailbox *m,
		      const struct gd_oauth_principal *pr, const struct gd_path *p);

/* folderops.c: POST folders/childFolders, PATCH, DELETE (graph-api.md 3.5-3.7). Called
 * with the store locked and m checked. */
void gd_folder_write(struct gd_server *sv, struct gd_req *r, const struct gd_path *p,
		     struct gd_mailbox *m);
/* import.c: createImportSession (3.14) and POST {importUrl} (3.15). */
void gd_import_session(struct gd_server *sv, struct gd_req *r, const struct gd_path *p);
void gd_import_item(struct gd_server *sv, struct gd_req *r, const struct gd_path *p);
#endif
