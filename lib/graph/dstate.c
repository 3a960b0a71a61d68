/* dstate.c: the --delta STATE files of mbx-ls and mbx-folders (mbx(7) "DELTA STATE").
 * One JSON document: {"type": TOOL, "v": 1, "mailbox": ID, ...}; read whole (bounded),
 * written whole to a temporary file, synced and renamed over the old one, so a run that
 * fails or is killed leaves the previous state intact. Also mbx-folders --delta, whose
 * state is the folder tree itself. Bare section numbers are those of docs/graph-api.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "mbx.h"

#define STATE_MAX ((size_t)256 << 20)

static int
slurp(const char *path, struct mbx_buf *b, char *err, size_t n)
{
	char chunk[65536];
	size_t k;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, n, "%s", strerror(errno));
		return -1;
	}
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (mbx_buf_append(b, chunk, k) < 0) {
			fclose(f);
			snprintf(err, n, "larger than %zu MiB", STATE_MAX >> 20);
			return -1;
		}
	k = ferror(f);
	fclose(f);
	if (k)
		snprintf(err, n, "read error");
	return k ? -1 : 0;
}

int
mbx_dstate_load(const char *path, const char *tool, const char *mailbox, yajl_val *out,
		char *err, size_t n)
{
	struct mbx_buf b;
	const char *t, *m;
	long long v = 0;
	char e[200];

	*out = NULL;
	if (access(path, F_OK) != 0)
		return 0;                      /* a first run */
	mbx_buf_init(&b, STATE_MAX);
	if (slurp(path, &b, err, n) < 0) {
		mbx_buf_free(&b);
		return -1;
	}
	*out = mbx_json_parse(b.data ? b.data : "", b.len, e, sizeof e);
	mbx_buf_free(&b);
	t = mbx_json_str(*out, "type");
	m = mbx_json_str(*out, "mailbox");
	if (!*out || !YAJL_IS_OBJECT(*out))
		snprintf(err, n, "not a delta state file (not a JSON object)");
	else if (!t || strcmp(t, tool) != 0)
		snprintf(err, n, "a state file of '%s', not of %s", t ? t : "?", tool);
	else if (mbx_json_num(*out, "v", &v) < 0 || v != 1)
		snprintf(err, n, "state version %lld is not supported", v);
	else if (!m || (mailbox && strcasecmp(m, mailbox) != 0))
		snprintf(err, n, "the state of another mailbox ('%s')", m ? m : "?");
	else
		return 1;
	yajl_tree_free(*out);
	*out = NULL;
	return -1;
}

int
mbx_dstate_save(const char *path, const struct mbx_buf *doc, char *err, size_t n)
{
	struct mbx_buf tmp;
	FILE *f;
	int ok;

	mbx_buf_init(&tmp, 0);
	mbx_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (!(f = fopen(tmp.data, "w"))) {
		snprintf(err, n, "cannot write '%s': %s", tmp.data, strerror(errno));
		mbx_buf_free(&tmp);
		return -1;
	}
	ok = fwrite(doc->data, 1, doc->len, f) == doc->len && putc('\n', f) != EOF &&
	     fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok && rename(tmp.data, path) == 0;
	if (!ok) {
		snprintf(err, n, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.data);
	}
	mbx_buf_free(&tmp);
	return ok ? 0 : -1;
}

/* ------------------------------------------------------- mbx-folders --delta */

static struct mbx_graph *fg;

/* The folders a --delta state knows, with what it takes to make their paths. */
struct dnode {
	struct mbx_folder f;
	int changed, removed, seen;
};
static struct dnode *nodes;
static size_t nnodes;
static char *root_id;

static struct dnode *
node(const char *id, int add)
{
	size_t i;

	for (i = 0; i < nnodes; i++)
		if (strcmp(nodes[i].f.id, id) == 0)
			return &nodes[i];
	if (!add)
		return NULL;
	nodes = mbx_xrealloc(nodes, (nnodes + 1) * sizeof *nodes);
	memset(&nodes[nnodes], 0, sizeof *nodes);
	nodes[nnodes].f.id = mbx_strdup(id);
	return &nodes[nnodes++];
}

/* "/A/B" from the parent chain up to the root; depth in *depth. NULL if it breaks. */
static char *
path_of(const struct dnode *d, int *depth)
{
	const char *names[64];
	struct mbx_buf b, next;
	int n = 0, i;

	*depth = 0;
	for (;;) {
		if (n == 64 || !d->f.parent_id)
			return NULL;
		names[n++] = d->f.display_name ? d->f.display_name : "";
		if (root_id && strcmp(d->f.parent_id, root_id) == 0)
			break;
		if (!(d = node(d->f.parent_id, 0)))
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
	struct dnode *d;
	const char *id = mbx_json_str(e, "id");

	(void)ctx;
	if (!id)
		return 0;
	if (mbx_json_get(e, "@removed")) {
		if ((d = node(id, 0)) != NULL)
			d->removed = 1;
		return 0;
	}
	if (!mbx_json_str(e, "parentFolderId")) {     /* the root, empty name (8.11) */
		free(root_id);
		root_id = mbx_strdup(id);
		return 0;
	}
	d = node(id, 1);
	mbx_folder_clear(&d->f);
	mbx_folder_from_json(&d->f, e);
	d->changed = d->seen = 1;
	d->removed = 0;
	return 0;
}

/* Removals first (with the paths they had), then changes, parents before children. */
static void
delta_emit(const char *mailbox)
{
	int depth, d;
	size_t i;
	char *p;

	for (i = 0; i < nnodes; i++)
		if (nodes[i].removed) {
			p = path_of(&nodes[i], &depth);
			mbx_mark_emit("folder", mailbox, NULL, p, nodes[i].f.id, "removed");
			free(p);
		}
	for (d = 1; d < 64; d++)
		for (i = 0; i < nnodes; i++) {
			if (!nodes[i].changed || nodes[i].removed)
				continue;
			p = path_of(&nodes[i], &depth);
			if (depth == d && p) {
				free(nodes[i].f.path);
				nodes[i].f.path = p;
				mbx_folder_emit(mailbox, &nodes[i].f);
			} else
				free(p);
		}
}

static char *
delta_load(const char *path, const char *mailbox)
{
	char err[512], *link;
	yajl_val st, fs, v;
	struct dnode *d;
	size_t i;

	if (mbx_dstate_load(path, "mbx-folders", mailbox, &st, err, sizeof err) < 0)
		mbx_die(MBX_EXIT_BADINPUT, "cannot use --delta '%s': %s", path, err);
	if (!st)
		return NULL;
	fs = mbx_json_get(st, "folders");
	if (!mbx_json_str(st, "link") || !mbx_json_str(st, "root") || !fs || !YAJL_IS_OBJECT(fs))
		mbx_die(MBX_EXIT_BADINPUT, "cannot use --delta '%s': no link, root or folders", path);
	link = mbx_strdup(mbx_json_str(st, "link"));
	root_id = mbx_strdup(mbx_json_str(st, "root"));
	for (i = 0; i < fs->u.object.len; i++) {
		v = fs->u.object.values[i];
		d = node(fs->u.object.keys[i], 1);
		d->f.parent_id = mbx_strdup(mbx_json_str(v, "parent"));
		d->f.display_name = mbx_strdup(mbx_json_str(v, "name"));
		d->f.cls = mbx_strdup(mbx_json_str(v, "class"));
		d->f.well_known = mbx_strdup(mbx_json_str(v, "wellKnownName"));
	}
	yajl_tree_free(st);
	return link;
}

static void
delta_save(const char *path, const char *mailbox, const char *link)
{
	struct mbx_buf b;
	struct mbx_jw w;
	char err[512];
	size_t i;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "mbx-folders");
	mbx_jw_kint(&w, "v", 1);
	mbx_jw_kstr(&w, "mailbox", mailbox);
	mbx_jw_kstr(&w, "link", link);
	mbx_jw_kstr(&w, "root", root_id);
	mbx_jw_key(&w, "folders");
	mbx_jw_obj(&w);
	for (i = 0; i < nnodes; i++) {
		if (nodes[i].removed)
			continue;
		mbx_jw_key(&w, nodes[i].f.id);
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "parent", nodes[i].f.parent_id);
		mbx_jw_kstr(&w, "name", nodes[i].f.display_name);
		mbx_jw_kstr(&w, "class", nodes[i].f.cls);
		mbx_jw_kstr(&w, "wellKnownName", nodes[i].f.well_known);
		mbx_jw_end(&w);
	}
	mbx_jw_end(&w);
	mbx_jw_end(&w);
	if (mbx_dstate_save(path, &b, err, sizeof err) < 0)
		mbx_die(MBX_EXIT_IO, "%s", err);
	mbx_buf_free(&b);
}

static int
delta_round(const char *mailbox, const char *saved, char **link, char *msg, size_t n)
{
	char *url = saved ? mbx_strdup(saved)
		    : mbx_graph_url(fg, "admin/exchange/mailboxes/%s/folders/delta", mailbox);
	int rc = mbx_graph_delta(fg, url, mailbox, delta_elem, NULL, link, msg, n);

	free(url);
	return rc;
}

/* A first round without the root (3.8 only observes it there): the root is the parent
 * that is not itself listed (8.11), the one most folders hang from. */
static void
root_guess(void)
{
	size_t i, j, run, best = 0;

	for (i = 0; i < nnodes; i++) {
		const char *p = nodes[i].f.parent_id;
		if (!p || node(p, 0))
			continue;
		for (run = 0, j = 0; j < nnodes; j++)
			run += nodes[j].f.parent_id && strcmp(nodes[j].f.parent_id, p) == 0;
		if (run > best) {
			best = run;
			free(root_id);
			root_id = mbx_strdup(p);
		}
	}
}

/* --delta STATE: what changed since the state's round (all folders the first time). */
int
mbx_folders_delta(struct mbx_graph *g, const char *path, const char *mailbox)
{
	char *saved, *link = NULL, msg[1024];
	size_t i;
	int rc;

	fg = g;
	saved = delta_load(path, mailbox);
	rc = delta_round(mailbox, saved, &link, msg, sizeof msg);

	if (rc == MBX_DELTA_EXPIRED && saved) {
		mbx_warn("the delta state of '%s' has expired: listing every folder", mailbox);
		for (i = 0; i < nnodes; i++)
			nodes[i].seen = 0;
		rc = delta_round(mailbox, NULL, &link, msg, sizeof msg);
		for (i = 0; rc == 0 && i < nnodes; i++)
			nodes[i].removed = !nodes[i].seen;
	}
	free(saved);
	if (rc) {
		rc = rc == MBX_DELTA_EXPIRED ? MBX_EXIT_SERVICE : rc;
		mbx_report(rc, mailbox, NULL, "FolderDeltaFailed", "cannot list folder changes of "
			   "'%s': %s", mailbox, msg);
		return rc;
	}
	if (!root_id)
		root_guess();
	delta_emit(mailbox);
	delta_save(path, mailbox, link);
	free(link);
	return 0;
}

