/* mbx-folders: print a mailbox's folder tree as folder records, depth-first.
 * Bare section numbers are those of docs/graph-api.md. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

static const char usage[] =
	"mbx-folders [options] [MAILBOX [PATH]]\n"
	"       mbx-folders [options] --delta STATE MAILBOX\n"
	"       mbx-folders [options] [--mailboxes N] < mailbox-records";

enum { OPT_DELTA = MBX_OPT_FIRST_LOCAL, OPT_MAILBOXES };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "delta", 0, 1, "STATE", "print what changed since the run that wrote STATE", OPT_DELTA },
	{ "mailboxes", 0, 1, "N", "list at most N mailboxes at once (default 16)", OPT_MAILBOXES },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT };

static struct mbx_graph graph;

static int
emit_folder(void *ctx, const char *mailbox, const struct mbx_folder *f)
{
	(void)ctx;
	mbx_folder_emit(mailbox, f);
	return 0;
}

/* Walk one mailbox; report what failed. */
static int
folders_of(const char *mailbox, const char *path)
{
	char msg[1024] = "";
	int rc;

	rc = mbx_folder_walk(&graph, mailbox, path, emit_folder, NULL, msg, sizeof msg);
	if (rc && *msg)
		mbx_report(rc, mailbox, path, "FolderWalkFailed", "cannot list folders of '%s': %s",
				 mailbox, msg);
	return rc;
}

static int
from_record(void *ctx, yajl_val rec, const char *type, unsigned long line)
{
	const char *id = mbx_json_str(rec, "id");

	(void)ctx;
	(void)type;
	if (!id || strncmp(id, "MBX:", 4) != 0) {
		mbx_record_error(NULL, NULL, "BadRecord", "stdin:%lu: mailbox record without an id",
				 line);
		return MBX_EXIT_PARTIAL;
	}
	return folders_of(id, NULL);
}

static const char *
record_key(yajl_val rec, const char *type)
{
	const char *k = mbx_json_str(rec, "id");

	(void)type;
	return k ? k : "";
}

static int
from_args(const char *spec, const char *path)
{
	struct mbx_mailbox m;
	char msg[1024];
	int rc;

	rc = mbx_graph_mailbox(&graph, spec, mbx_opt.archive, &m, msg, sizeof msg);
	if (rc) {
		mbx_report(rc, NULL, spec, "MailboxNotFound", "cannot find mailbox of '%s': %s",
				 spec, msg);
		return rc;
	}
	return folders_of(m.id, path);
}

/* ---------------------------------------------------------------- --delta */

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
		    : mbx_graph_url(&graph, "admin/exchange/mailboxes/%s/folders/delta", mailbox);
	int rc = mbx_graph_delta(&graph, url, mailbox, delta_elem, NULL, link, msg, n);

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
static int
folders_delta(const char *path, const char *mailbox)
{
	char *saved = delta_load(path, mailbox), *link = NULL, msg[1024];
	size_t i;
	int rc = delta_round(mailbox, saved, &link, msg, sizeof msg);

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

int
main(int argc, char **argv)
{
	static const char *const types[] = { "mailbox", NULL };
	struct mbx_tasks_opts o = { types, record_key, from_record, NULL, MBX_TASKS_MAILBOXES,
				    MBX_TASKS_QUEUE };
	const char *delta = NULL;
	struct mbx_mailbox m;
	int c, rc;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1)
		if (c == OPT_DELTA)
			delta = optarg;
		else if (c == OPT_MAILBOXES)
			o.mailboxes = mbx_parse_mailboxes(optarg);
	argc -= optind;
	argv += optind;
	if (argc > 2 || (delta && argc != 1))
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	mbx_graph_init(&graph);
	if (delta) {
		mbx_graph_target(&graph, argv[0], mbx_opt.archive, &m);
		rc = folders_delta(delta, m.id);
	} else if (argc > 0)
		rc = from_args(argv[0], argc > 1 ? argv[1] : NULL);
	else
		rc = mbx_tasks_run(&graph, &o);
	mbx_stats_write(&graph, NULL, NULL);
	mbx_graph_free(&graph);
	return rc;
}
