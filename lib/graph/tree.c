/* tree.c: depth-first walks of a mailbox's folder tree, and the folder and mailbox
 * records (mbx(7) RECORD FORMAT). */
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

#define MAX_DEPTH 256          /* deeper than Exchange allows; stops a cycle */
#define CHILD_PAGE "250"       /* $top for childFolders: few requests, small pages */

struct kids {
	struct mbx_folder *v;
	size_t n, cap;
};

static int
collect(void *ctx, yajl_val v)
{
	struct kids *k = ctx;

	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 16;
		k->v = mbx_xrealloc(k->v, k->cap * sizeof *k->v);
	}
	memset(&k->v[k->n], 0, sizeof k->v[k->n]);
	if (mbx_folder_from_json(&k->v[k->n], v) == 0)
		k->n++;
	return 0;
}

static void
kids_free(struct kids *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		mbx_folder_clear(&k->v[i]);
	free(k->v);
}

struct walk {
	struct mbx_graph *g;
	const char *mailbox;
	mbx_folder_cb each;
	void *ctx;
	int partial;
};

/* List the children of parent; a failure here is reported and the walk goes on,
 * unless it is one that will fail every other call too (auth, service). */
static int
list_children(struct walk *w, const struct mbx_folder *parent, struct kids *k)
{
	char msg[1024];
	char *url;
	int rc;

	url = mbx_graph_url(w->g, "admin/exchange/mailboxes/%s/folders/%s/childFolders?$top="
			    CHILD_PAGE, w->mailbox, parent->id);
	rc = mbx_graph_list(w->g, url, w->mailbox, collect, k, msg, sizeof msg);
	free(url);
	if (rc == 0)
		return 0;
	mbx_report(rc, w->mailbox, parent->path, "FolderListFailed",
			 "cannot list folders under '%s': %s",
			 parent->path, msg);
	w->partial = 1;
	return rc == MBX_EXIT_PARTIAL ? 0 : rc;
}

static int
walk(struct walk *w, const struct mbx_folder *parent, int depth)
{
	struct kids k = { 0 };
	struct mbx_buf path;
	size_t i;
	int rc;

	if (parent->child_count == 0 || depth >= MAX_DEPTH)
		return 0;
	if ((rc = list_children(w, parent, &k)) != 0 || k.n == 0) {
		kids_free(&k);
		return rc;
	}
	for (i = 0; i < k.n && rc == 0; i++) {
		mbx_buf_init(&path, 0);
		mbx_path_append(&path, parent->path, k.v[i].display_name ? k.v[i].display_name : "");
		free(k.v[i].path);
		k.v[i].path = mbx_buf_steal(&path);
		rc = w->each(w->ctx, w->mailbox, &k.v[i]);
		if (rc == 0)
			rc = walk(w, &k.v[i], depth + 1);
	}
	kids_free(&k);
	return rc;
}

int
mbx_folder_walk(struct mbx_graph *g, const char *mailbox, const char *spec,
		mbx_folder_cb each, void *ctx, char *msg, size_t n)
{
	struct walk w = { g, mailbox, each, ctx, 0 };
	struct mbx_folder top = { 0 };
	int is_root = !spec || strcmp(spec, "/") == 0;
	int rc;

	rc = mbx_graph_folder(g, mailbox, is_root ? "/" : spec, &top, msg, n);
	if (rc != 0)
		return rc;
	if (!is_root)
		rc = each(ctx, mailbox, &top);
	if (rc == 0)
		rc = walk(&w, &top, 0);
	mbx_folder_clear(&top);
	if (rc == 0 && w.partial) {
		/* already reported, one error record per failed listing */
		if (n)
			*msg = '\0';
		rc = MBX_EXIT_PARTIAL;
	}
	return rc;
}

void
mbx_folder_emit(const char *mailbox, const struct mbx_folder *f)
{
	struct mbx_buf b;
	struct mbx_jw w;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "folder");
	mbx_jw_kstr(&w, "mailbox", mailbox);
	mbx_jw_kstr(&w, "id", f->id);
	mbx_jw_kstr(&w, "parentFolderId", f->parent_id);
	mbx_jw_kstr(&w, "path", f->path);
	mbx_jw_kstr(&w, "displayName", f->display_name);
	mbx_jw_kstr(&w, "class", f->cls);
	mbx_jw_kstr(&w, "wellKnownName", f->well_known);
	mbx_jw_kint(&w, "childFolderCount", f->child_count);
	mbx_jw_kint(&w, "totalItemCount", f->total_count);
	mbx_jw_end(&w);
	mbx_record_emit(&b);
	mbx_buf_free(&b);
}

void
mbx_mailbox_emit(const struct mbx_mailbox *m)
{
	struct mbx_buf b;
	struct mbx_jw w;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "mailbox");
	mbx_jw_kstr(&w, "mailbox", m->id);
	mbx_jw_kstr(&w, "id", m->id);
	if (*m->user)
		mbx_jw_kstr(&w, "user", m->user);
	mbx_jw_kstr(&w, "kind", m->kind);
	mbx_jw_end(&w);
	mbx_record_emit(&b);
	mbx_buf_free(&b);
}

/* {"type":"item"|"folder", mailbox, ids, path, and the flag} for removals and resyncs. */
void
mbx_mark_emit(const char *type, const char *mailbox, const char *folder_id, const char *path,
	      const char *id, const char *flag)
{
	struct mbx_buf b;
	struct mbx_jw w;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", type);
	mbx_jw_kstr(&w, "mailbox", mailbox);
	if (folder_id)
		mbx_jw_kstr(&w, "folderId", folder_id);
	mbx_jw_kstr(&w, strcmp(type, "item") == 0 ? "folderPath" : "path", path);
	mbx_jw_kstr(&w, "id", id);
	mbx_jw_key(&w, flag);
	mbx_jw_bool(&w, 1);
	mbx_jw_end(&w);
	mbx_record_emit(&b);
	mbx_buf_free(&b);
}
