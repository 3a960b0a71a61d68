/* dstate.c: the --delta STATE files of mbx-ls and mbx-folders (mbx(7) "DELTA STATE").
 * One JSON document: {"type": TOOL, "v": 1, "mailbox": ID, ...}; read whole (bounded),
 * written whole to a temporary file, synced and renamed over the old one, so a run that
 * fails or is killed leaves the previous state intact. Its two formats, each with its one
 * reader and writer: mbx-ls's folder links, and mbx-folders' folder tree (with the
 * folder delta round that uses it). Bare section numbers are those of docs/graph-api.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "mbx.h"

#define STATE_MAX ((size_t)256 << 20)

/* A state that cannot be read is one that cannot be used: INPUT (exit 5, mbx(7)). */
static int
slurp(const char *path, struct mbx_buf *b, struct mbx_err *e)
{
	char chunk[65536];
	size_t k;
	FILE *f = fopen(path, "r");

	if (!f) {
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "%s", strerror(errno));
		return -1;
	}
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (mbx_buf_append(b, chunk, k) < 0) {
			fclose(f);
			mbx_err_set(e, MBX_ERR_INPUT, NULL, "larger than %zu MiB", STATE_MAX >> 20);
			return -1;
		}
	k = ferror(f);
	fclose(f);
	if (k)
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "read error");
	return k ? -1 : 0;
}

int
mbx_dstate_load(const char *path, const char *tool, const char *mailbox, yajl_val *out,
		struct mbx_err *e)
{
	struct mbx_buf b;
	const char *t, *m;
	long long v = 0;
	char why[200];

	*out = NULL;
	mbx_err_clear(e);
	if (access(path, F_OK) != 0)
		return 0;                      /* a first run */
	mbx_buf_init(&b, STATE_MAX);
	if (slurp(path, &b, e) < 0) {
		mbx_buf_free(&b);
		return -1;
	}
	*out = mbx_json_parse(b.data ? b.data : "", b.len, why, sizeof why);
	mbx_buf_free(&b);
	t = mbx_json_str(*out, "type");
	m = mbx_json_str(*out, "mailbox");
	if (!*out || !YAJL_IS_OBJECT(*out))
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "not a delta state file (not a JSON object)");
	else if (!t || strcmp(t, tool) != 0)
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "a state file of '%s', not of %s",
			    t ? t : "?", tool);
	else if (mbx_json_num(*out, "v", &v) < 0 || v != 1)
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "state version %lld is not supported", v);
	else if (!m || (mailbox && strcasecmp(m, mailbox) != 0))
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "the state of another mailbox ('%s')",
			    m ? m : "?");
	else
		return 1;
	yajl_tree_free(*out);
	*out = NULL;
	return -1;
}

int
mbx_dstate_save(const char *path, const struct mbx_buf *doc, struct mbx_err *e)
{
	struct mbx_buf tmp;
	FILE *f;
	int ok;

	mbx_err_clear(e);
	mbx_buf_init(&tmp, 0);
	mbx_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (!(f = fopen(tmp.data, "w"))) {
		mbx_err_set(e, MBX_ERR_IO, NULL, "cannot write '%s': %s", tmp.data,
			    strerror(errno));
		mbx_buf_free(&tmp);
		return -1;
	}
	ok = fwrite(doc->data, 1, doc->len, f) == doc->len && putc('\n', f) != EOF &&
	     fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok && rename(tmp.data, path) == 0;
	if (!ok) {
		mbx_err_set(e, MBX_ERR_IO, NULL, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.data);
	}
	mbx_buf_free(&tmp);
	return ok ? 0 : -1;
}

/* ----------------------------------------------------------- mbx-ls --delta */

/* {"type":"mbx-ls","v":1,"mailbox":ID,"folders":{ID:{"path":P,"link":L},...}} */
struct mbx_ilink *
mbx_ilinks_get(struct mbx_ilinks *s, const char *id)
{
	struct mbx_ilink *d;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].id, id) == 0)
			return &s->v[i];
	s->v = mbx_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	d = &s->v[s->n++];
	memset(d, 0, sizeof *d);
	d->id = mbx_strdup(id);
	return d;
}

void
mbx_ilink_clear(struct mbx_ilink *d)
{
	free(d->id);
	free(d->path);
	free(d->link);
	memset(d, 0, sizeof *d);
}

void
mbx_ilinks_free(struct mbx_ilinks *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		mbx_ilink_clear(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int
ilinks_from(yajl_val st, struct mbx_ilinks *s, struct mbx_err *e)
{
	yajl_val fs = mbx_json_get(st, "folders"), v;
	struct mbx_ilink *d;
	size_t i;

	mbx_strlcpy(s->mailbox, mbx_json_str(st, "mailbox"), sizeof s->mailbox);
	if (!fs || !YAJL_IS_OBJECT(fs)) {
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "no \"folders\"");
		return -1;
	}
	for (i = 0; i < fs->u.object.len; i++) {
		v = fs->u.object.values[i];
		if (!mbx_json_str(v, "link") || !mbx_json_str(v, "path")) {
			mbx_err_set(e, MBX_ERR_INPUT, NULL, "folder %zu has no link or path", i + 1);
			return -1;
		}
		d = mbx_ilinks_get(s, fs->u.object.keys[i]);
		free(d->link);
		free(d->path);
		d->link = mbx_strdup(mbx_json_str(v, "link"));
		d->path = mbx_strdup(mbx_json_str(v, "path"));
	}
	return 0;
}

int
mbx_ilinks_load(const char *path, struct mbx_ilinks *s, struct mbx_err *e)
{
	yajl_val st;
	int rc;

	memset(s, 0, sizeof *s);
	if (mbx_dstate_load(path, "mbx-ls", NULL, &st, e) < 0)
		return -1;
	if (!st)
		return 0;
	rc = ilinks_from(st, s, e);
	yajl_tree_free(st);
	if (rc < 0)
		mbx_ilinks_free(s);
	return rc;
}

int
mbx_ilinks_save(const char *path, const struct mbx_ilinks *s, struct mbx_err *e)
{
	struct mbx_buf b;
	struct mbx_jw w;
	size_t i;
	int rc;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "mbx-ls");
	mbx_jw_kint(&w, "v", 1);
	mbx_jw_kstr(&w, "mailbox", s->mailbox);
	mbx_jw_key(&w, "folders");
	mbx_jw_obj(&w);
	for (i = 0; i < s->n; i++) {
		if (!s->v[i].link)
			continue;
		mbx_jw_key(&w, s->v[i].id);
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "path", s->v[i].path);
		mbx_jw_kstr(&w, "link", s->v[i].link);
		mbx_jw_end(&w);
	}
	mbx_jw_end(&w);
	mbx_jw_end(&w);
	rc = mbx_dstate_save(path, &b, e);
	mbx_buf_free(&b);
	return rc;
}

/* ------------------------------------------------------- mbx-folders --delta */

/* The folders a --delta state knows, with what it takes to make their paths. */
struct dnode {
	struct mbx_folder f;
	int changed, removed, seen;
};

/* One mbx-folders --delta run: the tree of its state, updated by the round. */
struct ftree {
	struct mbx_graph *g;
	struct dnode *nodes;
	size_t nnodes;
	char *root_id;
};

static struct dnode *
node(struct ftree *t, const char *id, int add)
{
	struct dnode *d;
	size_t i;

	for (i = 0; i < t->nnodes; i++)
		if (strcmp(t->nodes[i].f.id, id) == 0)
			return &t->nodes[i];
	if (!add)
		return NULL;
	t->nodes = mbx_xrealloc(t->nodes, (t->nnodes + 1) * sizeof *t->nodes);
	d = &t->nodes[t->nnodes++];
	memset(d, 0, sizeof *d);
	d->f.id = mbx_strdup(id);
	return d;
}

static void
ftree_free(struct ftree *t)
{
	size_t i;

	for (i = 0; i < t->nnodes; i++)
		mbx_folder_clear(&t->nodes[i].f);
	free(t->nodes);
	free(t->root_id);
}

/* "/A/B" from the parent chain up to the root; depth in *depth. NULL if it breaks. */
static char *
path_of(struct ftree *t, const struct dnode *d, int *depth)
{
	const char *names[64];
	struct mbx_buf b, next;
	int n = 0, i;

	*depth = 0;
	for (;;) {
		if (n == 64 || !d->f.parent_id)
			return NULL;
		names[n++] = d->f.display_name ? d->f.display_name : "";
		if (t->root_id && strcmp(d->f.parent_id, t->root_id) == 0)
			break;
		if (!(d = node(t, d->f.parent_id, 0)))
			return NULL;
	}
	*depth = n;
	mbx_buf_init(&b, 0);
	mbx_buf_puts(&b, "/");
	for (i = n - 1; i >= 0; i--) {
		mbx_buf_init(&next, 0);
		mbx_path_append(&next, b.data, names[i]);
		mbx_buf_free(&b);
		b = next;
	}
	return mbx_buf_steal(&b);
}

static int
delta_elem(void *ctx, yajl_val e)
{
	struct ftree *t = ctx;
	struct dnode *d;
	const char *id = mbx_json_str(e, "id");

	if (!id)
		return 0;
	if (mbx_json_get(e, "@removed")) {
		if ((d = node(t, id, 0)) != NULL)
			d->removed = 1;
		return 0;
	}
	if (!mbx_json_str(e, "parentFolderId")) {     /* the root, empty name (8.11) */
		free(t->root_id);
		t->root_id = mbx_strdup(id);
		return 0;
	}
	d = node(t, id, 1);
	mbx_folder_clear(&d->f);
	mbx_folder_from_json(&d->f, e);
	d->changed = d->seen = 1;
	d->removed = 0;
	return 0;
}

/* Removals first (with the paths they had), then changes, parents before children. */
static void
delta_emit(struct ftree *t, const char *mailbox)
{
	struct dnode *n;
	int depth, d;
	size_t i;
	char *p;

	for (i = 0; i < t->nnodes; i++)
		if (t->nodes[i].removed) {
			p = path_of(t, &t->nodes[i], &depth);
			mbx_mark_emit("folder", mailbox, NULL, p, t->nodes[i].f.id, "removed");
			free(p);
		}
	for (d = 1; d < 64; d++)
		for (i = 0; i < t->nnodes; i++) {
			n = &t->nodes[i];
			if (!n->changed || n->removed)
				continue;
			p = path_of(t, n, &depth);
			if (depth == d && p) {
				free(n->f.path);
				n->f.path = p;
				mbx_folder_emit(mailbox, &n->f);
			} else
				free(p);
		}
}

static char *
delta_load(struct ftree *t, const char *path, const char *mailbox)
{
	struct mbx_err e;
	yajl_val st, fs, v;
	struct dnode *d;
	char *link;
	size_t i;

	if (mbx_dstate_load(path, "mbx-folders", mailbox, &st, &e) < 0)
		mbx_die(mbx_exit_of(e.kind), "cannot use --delta '%s': %s", path, e.msg);
	if (!st)
		return NULL;
	fs = mbx_json_get(st, "folders");
	if (!mbx_json_str(st, "link") || !mbx_json_str(st, "root") || !fs || !YAJL_IS_OBJECT(fs)) {
		yajl_tree_free(st);     /* nothing left for the leak checker at exit */
		mbx_die(MBX_EXIT_BADINPUT, "cannot use --delta '%s': no link, root or folders", path);
	}
	link = mbx_strdup(mbx_json_str(st, "link"));
	t->root_id = mbx_strdup(mbx_json_str(st, "root"));
	for (i = 0; i < fs->u.object.len; i++) {
		v = fs->u.object.values[i];
		d = node(t, fs->u.object.keys[i], 1);
		d->f.parent_id = mbx_strdup(mbx_json_str(v, "parent"));
		d->f.display_name = mbx_strdup(mbx_json_str(v, "name"));
		d->f.cls = mbx_strdup(mbx_json_str(v, "class"));
		d->f.well_known = mbx_strdup(mbx_json_str(v, "wellKnownName"));
	}
	yajl_tree_free(st);
	return link;
}

static void
delta_save(const struct ftree *t, const char *path, const char *mailbox, const char *link)
{
	struct mbx_buf b;
	struct mbx_jw w;
	struct mbx_err e;
	size_t i;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "mbx-folders");
	mbx_jw_kint(&w, "v", 1);
	mbx_jw_kstr(&w, "mailbox", mailbox);
	mbx_jw_kstr(&w, "link", link);
	mbx_jw_kstr(&w, "root", t->root_id);
	mbx_jw_key(&w, "folders");
	mbx_jw_obj(&w);
	for (i = 0; i < t->nnodes; i++) {
		const struct mbx_folder *f = &t->nodes[i].f;

		if (t->nodes[i].removed)
			continue;
		mbx_jw_key(&w, f->id);
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "parent", f->parent_id);
		mbx_jw_kstr(&w, "name", f->display_name);
		mbx_jw_kstr(&w, "class", f->cls);
		mbx_jw_kstr(&w, "wellKnownName", f->well_known);
		mbx_jw_end(&w);
	}
	mbx_jw_end(&w);
	mbx_jw_end(&w);
	if (mbx_dstate_save(path, &b, &e) < 0)
		mbx_die(mbx_exit_of(e.kind), "%s", e.msg);
	mbx_buf_free(&b);
}

/* 0, MBX_DELTA_EXPIRED or -1, with e (mbx_graph_delta). */
static int
delta_round(struct ftree *t, const char *mailbox, const char *saved, char **link,
	    struct mbx_err *e)
{
	char *url = saved ? mbx_strdup(saved)
		    : mbx_graph_url(t->g, "admin/exchange/mailboxes/%s/folders/delta", mailbox);
	int rc = mbx_graph_delta(t->g, url, mailbox, delta_elem, t, link, e);

	free(url);
	return rc;
}

/* A first round without the root (3.8 only observes it there): the root is the parent
 * that is not itself listed (8.11), the one most folders hang from. */
static void
root_guess(struct ftree *t)
{
	size_t i, j, run, best = 0;

	for (i = 0; i < t->nnodes; i++) {
		const char *p = t->nodes[i].f.parent_id;
		if (!p || node(t, p, 0))
			continue;
		for (run = 0, j = 0; j < t->nnodes; j++)
			run += t->nodes[j].f.parent_id && strcmp(t->nodes[j].f.parent_id, p) == 0;
		if (run > best) {
			best = run;
			free(t->root_id);
			t->root_id = mbx_strdup(p);
		}
	}
}

/* --delta STATE: what changed since the state's round (all folders the first time). */
int
mbx_folders_delta(struct mbx_graph *g, const char *path, const char *mailbox)
{
	struct ftree t = { g, NULL, 0, NULL };
	struct mbx_err e;
	char *saved, *link = NULL;
	size_t i;
	int rc;

	saved = delta_load(&t, path, mailbox);
	rc = delta_round(&t, mailbox, saved, &link, &e);
	if (rc == MBX_DELTA_EXPIRED && saved) {
		mbx_warn("the delta state of '%s' has expired: listing every folder", mailbox);
		for (i = 0; i < t.nnodes; i++)
			t.nodes[i].seen = 0;
		rc = delta_round(&t, mailbox, NULL, &link, &e);
		for (i = 0; rc == 0 && i < t.nnodes; i++)
			t.nodes[i].removed = !t.nodes[i].seen;
	}
	free(saved);
	if (rc) {
		rc = mbx_exit_of(e.kind);      /* an expiry here is SERVICE (mbx_graph_delta) */
		mbx_report(rc, mailbox, NULL, "FolderDeltaFailed", "cannot list folder changes of "
			   "'%s': %s", mailbox, e.msg);
	} else {
		if (!t.root_id)
			root_guess(&t);
		delta_emit(&t, mailbox);
		delta_save(&t, path, mailbox, link);
	}
	free(link);
	ftree_free(&t);
	return rc;
}

