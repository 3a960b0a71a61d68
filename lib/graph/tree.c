/* tree.c: a mailbox's folder tree from the flat folder list (graph-api.md 3.2, 3.4, 8.10,
 * 8.11): path and id resolution, mkpath, depth-first walks, and the folder and mailbox
 * records (mbx(7) RECORD FORMAT). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mbx.h"

#define MAX_DEPTH 256          /* deeper than Exchange allows; stops a cycle */
#define PAGE "250"             /* $top of folder listings: few requests (graph-api.md 8.12) */
#define NONE ((size_t)-1)

/* A mailbox's folders as far as they are known: from the flat /folders list (3.2), and
 * childFolders (3.4) of the folders whose childFolderCount exceeds the children the list
 * showed, so that either reading of 8.10 gives the whole tree. Node 0 is the root: the
 * parent that is not itself listed (8.11); nothing asks for it by a well-known name. */
struct fnode {
	struct mbx_folder f;
	size_t *kids, nkids, capkids;
	int listed;                /* kids are childFolders' answer, in its order */
};

struct ftree {
	struct mbx_graph *g;
	const char *mailbox;
	struct fnode *v;
	size_t n, cap;
	size_t *slot, nslot;       /* open addressing on id: index + 1, 0 empty */
};

static size_t
hash(const char *s)
{
	size_t h = 2166136261u;    /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static size_t
tree_find(const struct ftree *t, const char *id)
{
	size_t h;

	if (!id || !t->nslot)
		return NONE;
	for (h = hash(id) & (t->nslot - 1); t->slot[h]; h = (h + 1) & (t->nslot - 1))
		if (t->v[t->slot[h] - 1].f.id && strcmp(t->v[t->slot[h] - 1].f.id, id) == 0)
			return t->slot[h] - 1;
	return NONE;
}

static void
slot_put(struct ftree *t, size_t i)
{
	size_t h = hash(t->v[i].f.id) & (t->nslot - 1);

	while (t->slot[h])
		h = (h + 1) & (t->nslot - 1);
	t->slot[h] = i + 1;
}

/* Node for f (taken over), or the one already there with its id (f cleared). */
static size_t
tree_add(struct ftree *t, struct mbx_folder *f)
{
	size_t i;

	if ((i = tree_find(t, f->id)) != NONE) {
		mbx_folder_clear(f);
		return i;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->v = mbx_xrealloc(t->v, t->cap * sizeof *t->v);
	}
	if (2 * (t->n + 1) > t->nslot) {
		free(t->slot);
		t->nslot = t->nslot ? 2 * t->nslot : 128;
		t->slot = mbx_xcalloc(t->nslot, sizeof *t->slot);
		for (i = 0; i < t->n; i++)
			if (t->v[i].f.id)
				slot_put(t, i);
	}
	i = t->n++;
	memset(&t->v[i], 0, sizeof t->v[i]);
	t->v[i].f = *f;
	memset(f, 0, sizeof *f);
	if (t->v[i].f.id)
		slot_put(t, i);
	return i;
}

static void
kid_add(struct fnode *p, size_t k)
{
	if (p->nkids == p->capkids) {
		p->capkids = p->capkids ? 2 * p->capkids : 8;
		p->kids = mbx_xrealloc(p->kids, p->capkids * sizeof *p->kids);
	}
	p->kids[p->nkids++] = k;
}

static void
tree_free(struct ftree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		mbx_folder_clear(&t->v[i].f);
		free(t->v[i].kids);
	}
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof *t);
}

static int
collect(void *ctx, yajl_val v)
{
	struct ftree *t = ctx;
	struct mbx_folder f;

	if (mbx_folder_from_json(&f, v) == 0)
		tree_add(t, &f);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The root: a listed folder without a parent, else the parent id that is not listed
 * (8.11); when the list shows several such parents (folders under hidden ones), the one
 * most folders hang from. NULL for an empty list. */
static const char *
root_of(const struct ftree *t)
{
	const char **cand = mbx_xcalloc(t->n + 1, sizeof *cand), *best = NULL;
	size_t i, nc = 0, run, best_run = 0;

	for (i = 1; i < t->n; i++) {
		if (!t->v[i].f.parent_id) {
			best = t->v[i].f.id;
			goto out;
		}
		if (tree_find(t, t->v[i].f.parent_id) == NONE)
			cand[nc++] = t->v[i].f.parent_id;
	}
	qsort(cand, nc, sizeof *cand, cmp_str);
	for (i = 0; i < nc; i += run) {
		for (run = 1; i + run < nc && strcmp(cand[i], cand[i + run]) == 0; run++)
			;
		if (run > best_run)
			best = cand[i], best_run = run;
	}
out:
	free(cand);
	return best;
}

/* Load the flat list and link every folder to its parent, in the list's order. */
static int
tree_load(struct ftree *t, struct mbx_graph *g, const char *mailbox, struct mbx_err *e)
{
	struct mbx_folder root = { 0 };
	const char *rid;
	char *url;
	size_t i, p;
	int rc;

	memset(t, 0, sizeof *t);
	t->g = g;
	t->mailbox = mailbox;
	tree_add(t, &root);                /* node 0, its id set below */
	t->v[0].f.path = mbx_strdup("/");
	t->v[0].f.child_count = -1;
	url = mbx_graph_url(g, "admin/exchange/mailboxes/%s/folders?$top=" PAGE, mailbox);
	rc = mbx_graph_list(g, url, mailbox, collect, t, e);   /* a 404 is RECORD: no name */
	free(url);
	if (rc < 0)
		return -1;
	if ((rid = root_of(t)) != NULL) {
		i = tree_find(t, rid);
		if (i != NONE) {           /* the root was listed: node 0 takes its place */
			mbx_folder_clear(&t->v[0].f);
			t->v[0].f = t->v[i].f;
			memset(&t->v[i].f, 0, sizeof t->v[i].f);
			free(t->v[0].f.path);
			t->v[0].f.path = mbx_strdup("/");
		} else {
			t->v[0].f.id = mbx_strdup(rid);
		}
		free(t->slot);
		t->slot = mbx_xcalloc(t->nslot, sizeof *t->slot);
		for (i = 0; i < t->n; i++)
			if (t->v[i].f.id)
				slot_put(t, i);
	}
	for (i = 1; i < t->n; i++)
		if (t->v[i].f.id && (p = tree_find(t, t->v[i].f.parent_id)) != NONE)
			kid_add(&t->v[p], i);
	return 0;
}

/* Whether k's children must be asked for: the list may have left some out (8.10). */
static int
incomplete(const struct ftree *t, size_t k)
{
	const struct fnode *d = &t->v[k];

	if (d->listed || !d->f.id)
		return 0;
	if (k == 0)                    /* /folders lists the root's children in either reading */
		return d->f.child_count >= 0 && (long long)d->nkids < d->f.child_count;
	return d->f.child_count < 0 || (long long)d->nkids < d->f.child_count;
}

struct kids {
	struct ftree *t;
	size_t parent, *v, n, cap;
};

static int
collect_kid(void *ctx, yajl_val v)
{
	struct kids *k = ctx;
	struct mbx_folder f;

	if (mbx_folder_from_json(&f, v) < 0)
		return 0;
	if (!f.parent_id)
		f.parent_id = mbx_strdup(k->t->v[k->parent].f.id);
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 16;
		k->v = mbx_xrealloc(k->v, k->cap * sizeof *k->v);
	}
	k->v[k->n++] = tree_add(k->t, &f);
	return 0;
}

/* Ask childFolders of node i: its children become that answer. */
static int
expand(struct ftree *t, size_t i, struct mbx_err *e)
{
	struct kids k = { t, i, NULL, 0, 0 };
	char *url;
	int rc;

	url = mbx_graph_url(t->g, "admin/exchange/mailboxes/%s/folders/%s/childFolders?$top="
			    PAGE, t->mailbox, t->v[i].f.id);
	/* a listing that failed (404 too) is never NOTFOUND: mkpath must not create then */
	rc = mbx_graph_list(t->g, url, t->mailbox, collect_kid, &k, e);
	free(url);
	if (rc < 0) {
		free(k.v);
		return -1;
	}
	free(t->v[i].kids);
	t->v[i].kids = k.v;
	t->v[i].nkids = t->v[i].capkids = k.n;
	t->v[i].listed = 1;
	return 0;
}

static void
set_path(struct ftree *t, size_t parent, size_t k)
{
	struct mbx_buf path;

	mbx_buf_init(&path, 0);
	mbx_path_append(&path, t->v[parent].f.path,
			t->v[k].f.display_name ? t->v[k].f.display_name : "");
	free(t->v[k].f.path);
	t->v[k].f.path = mbx_buf_steal(&path);
}

/* The child of node p named name (Exchange names are unique without regard to case):
 * 0, or -1 with e: NOTFOUND only when p's children are known and none has the name. */
static int
child_named(struct ftree *t, size_t p, const char *name, size_t *out, struct mbx_err *e)
{
	size_t i, k;

	*out = NONE;
	if (incomplete(t, p) && expand(t, p, e) < 0)
		return -1;
	for (i = 0; i < t->v[p].nkids; i++) {
		k = t->v[p].kids[i];
		if (t->v[k].f.display_name && strcasecmp(t->v[k].f.display_name, name) == 0) {
			set_path(t, p, k);
			*out = k;
			return 0;
		}
	}
	mbx_err_set(e, MBX_ERR_NOTFOUND, NULL, "no folder '%s' under '%s'", name, t->v[p].f.path);
	return -1;
}

static void
folder_copy(struct mbx_folder *dst, const struct mbx_folder *src)
{
	*dst = *src;
	dst->id = mbx_strdup(src->id);
	dst->parent_id = mbx_strdup(src->parent_id);
	dst->display_name = mbx_strdup(src->display_name);
	dst->well_known = mbx_strdup(src->well_known);
	dst->cls = mbx_strdup(src->cls);
	dst->path = mbx_strdup(src->path);
}

/* One folder by id or well-known name: a 404 is NOTFOUND (mbx_graph_get). */
static int
get_folder(struct mbx_graph *g, const char *mailbox, const char *id, struct mbx_folder *f,
	   struct mbx_err *e)
{
	char *url = mbx_graph_url(g, "admin/exchange/mailboxes/%s/folders/%s", mailbox, id);
	yajl_val v;
	int rc;

	memset(f, 0, sizeof *f);
	rc = mbx_graph_get(g, url, mailbox, &v, e);
	free(url);
	if (rc == 0 && mbx_folder_from_json(f, v) < 0) {
		mbx_err_set(e, MBX_ERR_SERVICE, NULL, "folder '%s' without an id in the response",
			    id);
		rc = -1;
	}
	yajl_tree_free(v);
	return rc;
}

/* The root as a whole folder, for "/" itself: the list gave its id only. */
static int
root_full(struct ftree *t, struct mbx_err *e)
{
	struct mbx_folder f;

	if (t->v[0].f.display_name)
		return 0;
	/* an empty mailbox lists nothing: then the well-known name is the only way */
	if (get_folder(t->g, t->mailbox, t->v[0].f.id ? t->v[0].f.id : "msgfolderroot", &f,
		       e) < 0)
		return -1;
	free(f.path);
	f.path = mbx_strdup("/");
	if (!t->v[0].f.id) {
		t->v[0].f.id = mbx_strdup(f.id);
		slot_put(t, 0);
	}
	free(f.id);
	f.id = t->v[0].f.id;
	t->v[0].f.id = NULL;
	mbx_folder_clear(&t->v[0].f);
	t->v[0].f = f;
	return 0;
}

/* "/A/B" -> its node, one level at a time from the root. */
static int
node_by_path(struct ftree *t, const char *spec, size_t *out, struct mbx_err *e)
{
	char **segs;
	size_t nseg, i, cur = 0;
	int rc = 0;

	*out = NONE;
	if (mbx_path_split(spec, &segs, &nseg) < 0) {
		mbx_err_set(e, MBX_ERR_RECORD, NULL,
			    "bad folder path '%s' (write '/' in a name as '\\/')", spec);
		return -1;
	}
	if (nseg == 0)
		rc = root_full(t, e);
	for (i = 0; rc == 0 && i < nseg; i++)
		rc = child_named(t, cur, segs[i], &cur, e);
	mbx_path_free(segs, nseg);
	if (rc == 0)
		*out = cur;
	return rc;
}

/* "/A/B" for node k from the parents known, NULL when the chain breaks. */
static char *
path_up(const struct ftree *t, size_t k)
{
	const char *names[MAX_DEPTH];
	struct mbx_buf b, next;
	int d = 0;

	while (k != 0) {
		if (d == MAX_DEPTH)
			return NULL;
		names[d++] = t->v[k].f.display_name ? t->v[k].f.display_name : "";
		if ((k = tree_find(t, t->v[k].f.parent_id)) == NONE)
			return NULL;
	}
	mbx_buf_init(&b, 0);
	mbx_buf_puts(&b, "/");
	while (d > 0) {
		mbx_buf_init(&next, 0);
		mbx_path_append(&next, b.data, names[--d]);
		mbx_buf_free(&b);
		b = next;
	}
	return mbx_buf_steal(&b);
}

/* An id or well-known name -> its node; the parents that the list did not show (a
 * folder below the top under the other reading of 8.10) are asked one by one. */
static int
node_by_id(struct ftree *t, const char *spec, size_t *out, struct mbx_err *e)
{
	struct mbx_folder f;
	size_t k, i;
	const char *up;
	int depth = 0;

	*out = NONE;
	if (get_folder(t->g, t->mailbox, spec, &f, e) < 0)
		return -1;
	if (!f.parent_id || (t->v[0].f.id && strcmp(f.id, t->v[0].f.id) == 0)) {
		mbx_folder_clear(&f);
		if (root_full(t, e) < 0)
			return -1;
		*out = 0;
		return 0;
	}
	k = tree_add(t, &f);
	for (i = k; tree_find(t, up = t->v[i].f.parent_id) == NONE; ) {
		if (!t->v[0].f.id || ++depth > MAX_DEPTH)
			goto not_under;
		if (get_folder(t->g, t->mailbox, up, &f, e) < 0)
			return -1;
		if (!f.parent_id) {    /* the root: the list had none to show */
			mbx_folder_clear(&f);
			goto not_under;
		}
		i = tree_add(t, &f);
	}
	free(t->v[k].f.path);
	if (!(t->v[k].f.path = path_up(t, k))) {
		mbx_err_set(e, MBX_ERR_SERVICE, NULL,
			    "folder '%s' is nested too deep (a parent loop?)", spec);
		return -1;
	}
	*out = k;
	return 0;
not_under:
	mbx_err_set(e, MBX_ERR_SERVICE, NULL, "folder '%s' is not under the mailbox's root", spec);
	return -1;
}

static int
node_of(struct ftree *t, const char *spec, size_t *out, struct mbx_err *e)
{
	return *spec == '/' ? node_by_path(t, spec, out, e) : node_by_id(t, spec, out, e);
}

int
mbx_graph_folder(struct mbx_graph *g, const char *mailbox, const char *spec,
		 struct mbx_folder *out, struct mbx_err *e)
{
	struct ftree t;
	size_t k;
	int rc;

	memset(out, 0, sizeof *out);
	mbx_err_clear(e);
	if ((rc = tree_load(&t, g, mailbox, e)) == 0 && (rc = node_of(&t, spec, &k, e)) == 0)
		folder_copy(out, &t.v[k].f);
	tree_free(&t);
	return rc;
}

/* ---------------------------------------------------------------- the walk */

struct walk {
	struct ftree *t;
	mbx_folder_cb each;
	void *ctx;
	int partial;
};

/* A listing that failed is reported and the walk goes on, unless it is one that will
 * fail every other call too (auth, service). */
static int
walk(struct walk *w, size_t p, int depth)
{
	struct ftree *t = w->t;
	struct mbx_err e;
	size_t i, k;
	int rc = 0;

	if (t->v[p].f.child_count == 0 || depth >= MAX_DEPTH)
		return 0;
	if (incomplete(t, p) && expand(t, p, &e) < 0) {
		rc = mbx_exit_of(e.kind);
		mbx_report(rc, t->mailbox, t->v[p].f.path, "FolderListFailed",
			   "cannot list folders under '%s' in '%s': %s", t->v[p].f.path, t->mailbox,
			   e.msg);
		w->partial = 1;
		return rc == MBX_EXIT_PARTIAL ? 0 : rc;
	}
	for (i = 0; i < t->v[p].nkids && rc == 0; i++) {
		k = t->v[p].kids[i];
		set_path(t, p, k);
		rc = w->each(w->ctx, t->mailbox, &t->v[k].f);
		if (rc == 0)
			rc = walk(w, k, depth + 1);
	}
	return rc;
}

/* The failures of each() and of the listings below the top were reported where they
 * happened: e says their kind and that they were (reported), with no message. */
int
mbx_folder_walk(struct mbx_graph *g, const char *mailbox, const char *spec,
		mbx_folder_cb each, void *ctx, struct mbx_err *e)
{
	struct ftree t;
	struct walk w = { &t, each, ctx, 0 };
	int is_root = !spec || strcmp(spec, "/") == 0;
	size_t top = 0;
	int rc;

	mbx_err_clear(e);
	if (tree_load(&t, g, mailbox, e) < 0 || (!is_root && node_of(&t, spec, &top, e) < 0)) {
		tree_free(&t);
		return -1;
	}
	rc = top != 0 ? each(ctx, mailbox, &t.v[top].f) : 0;
	if (rc == 0)
		rc = walk(&w, top, 0);
	tree_free(&t);
	if (rc == 0 && w.partial)
		rc = MBX_EXIT_PARTIAL;
	if (rc) {
		e->kind = mbx_err_kind_of(rc);    /* each() answers an exit code */
		e->reported = 1;
	}
	return rc ? -1 : 0;
}

/* ---------------------------------------------------------------- creating folders */

/* POST a folder (graph-api.md 3.5) under node p, or a top-level one with POST .../folders
 * when the root is not known (a mailbox that lists no folder). 0 and *out; a 409 (made
 * by someone else meanwhile) is -1 with *exists. */
static int
create_child(struct ftree *t, size_t p, const char *name, const char *cls,
	     struct mbx_folder *out, int *exists, struct mbx_err *e)
{
	struct mbx_req *r = mbx_graph_req("POST", t->mailbox, t->v[p].f.id
		? mbx_graph_url(t->g, "admin/exchange/mailboxes/%s/folders/%s/childFolders",
				t->mailbox, t->v[p].f.id)
		: mbx_graph_url(t->g, "admin/exchange/mailboxes/%s/folders", t->mailbox), 1);
	struct mbx_jw w;
	yajl_val v;
	int rc;

	memset(out, 0, sizeof *out);
	mbx_jw_init(&w, &r->body);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "displayName", name);
	mbx_jw_kstr(&w, "type", cls ? cls : "IPF.Note");
	mbx_jw_end(&w);
	rc = mbx_graph_run(t->g, r, e);
	*exists = r->status == 409;
	if (rc == 0) {
		v = mbx_json_parse(r->resp.data ? r->resp.data : "", r->resp.len, NULL, 0);
		if (!v || mbx_folder_from_json(out, v) < 0) {
			mbx_err_set(e, MBX_ERR_SERVICE, NULL, "malformed JSON in response: no folder id");
			rc = -1;
		}
		yajl_tree_free(v);
	}
	mbx_req_free(r);
	return rc;
}

/* One level of mkpath: the child named name under node *cur, made when the lookup said
 * there is none (NOTFOUND), never after a lookup that failed. */
static int
mkpath_step(struct ftree *t, size_t *cur, const char *name, const char *cls, int *created,
	    struct mbx_err *e)
{
	struct mbx_folder f;
	size_t k;
	int rc, exists = 0;

	rc = child_named(t, *cur, name, &k, e);
	if (rc < 0 && e->kind == MBX_ERR_NOTFOUND) {
		rc = create_child(t, *cur, name, cls, &f, &exists, e);
		if (rc && exists && t->v[*cur].f.id) {    /* lost a race: it is there now */
			if ((rc = expand(t, *cur, e)) == 0)
				rc = child_named(t, *cur, name, &k, e);
		} else if (rc == 0) {
			if (!t->v[*cur].f.id && f.parent_id) {   /* now the root is known */
				t->v[*cur].f.id = mbx_strdup(f.parent_id);
				slot_put(t, *cur);
			}
			k = tree_add(t, &f);
			kid_add(&t->v[*cur], k);
			set_path(t, *cur, k);
			*created = 1;
		}
	}
	if (rc == 0)
		*cur = k;
	return rc;
}

int
mbx_graph_mkpath(struct mbx_graph *g, const char *mailbox, const char *path, const char *cls,
		 int dry, struct mbx_folder *out, int *created, struct mbx_err *e)
{
	struct ftree t;
	struct mbx_buf pb;
	char **segs;
	size_t nseg, i, cur = 0;
	int rc;

	*created = 0;
	memset(out, 0, sizeof *out);
	mbx_err_clear(e);
	if (mbx_path_split(path, &segs, &nseg) < 0) {
		mbx_err_set(e, MBX_ERR_RECORD, NULL,
			    "bad folder path '%s' (write '/' in a name as '\\/')", path);
		return -1;
	}
	rc = tree_load(&t, g, mailbox, e);
	if (rc == 0 && nseg == 0)
		rc = root_full(&t, e);
	for (i = 0; rc == 0 && i < nseg; i++) {
		int made = 0;
		if (dry) {
			size_t k;
			if ((rc = child_named(&t, cur, segs[i], &k, e)) < 0)
				break;
			cur = k;
		} else {
			rc = mkpath_step(&t, &cur, segs[i], cls, &made, e);
		}
		*created |= made && i + 1 == nseg;
	}
	if (rc < 0 && dry && i < nseg && e->kind == MBX_ERR_NOTFOUND) {
		/* a dry run pretends to make the rest: no ids, as under a folder not made
		 * (i < nseg: a name none has, never the root's own 404) */
		mbx_buf_init(&pb, 0);
		mbx_buf_puts(&pb, t.v[cur].f.path);
		for (; i < nseg; i++) {
			struct mbx_buf next;
			mbx_buf_init(&next, 0);
			mbx_path_append(&next, pb.data, segs[i]);
			mbx_buf_free(&pb);
			pb = next;
		}
		out->display_name = mbx_strdup(segs[nseg - 1]);
		out->cls = mbx_strdup(cls);
		out->path = mbx_buf_steal(&pb);
		*created = 1;
		mbx_err_clear(e);
		rc = 0;
	} else if (rc == 0) {
		folder_copy(out, &t.v[cur].f);
	}
	mbx_path_free(segs, nseg);
	tree_free(&t);
	return rc;
}

int
mbx_folder_find(struct mbx_graph *g, const char *mailbox, const char *spec,
		struct mbx_folder *out)
{
	struct mbx_err e;
	int rc;

	if (mbx_graph_folder(g, mailbox, spec, out, &e) == 0)
		return 0;
	rc = mbx_exit_of(e.kind);
	mbx_report(rc, mailbox, spec, "FolderNotFound", "cannot find folder '%s' in '%s': %s", spec,
		   mailbox, e.msg);
	return rc;
}
