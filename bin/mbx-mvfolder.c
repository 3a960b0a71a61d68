/* mbx-mvfolder: rename a folder (graph-api.md 3.6). The API renames in place; it cannot
 * move a folder to another parent, and neither can this program. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

static const char usage[] =
	"mbx-mvfolder [options] TARGET PATH NEWNAME\n"
	"       mbx-mvfolder [options] [--name NEWNAME] < folder-records";

enum { OPT_NAME = MBX_OPT_FIRST_LOCAL };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "name", 0, 1, "NEWNAME",
	  "the new name of folders whose record has no newName", OPT_NAME },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT | MBX_COMMON_DRYRUN };

static struct mbx_graph graph;
static const char *name_opt;

/* The parent's path (the old path without its last name) plus the new name. */
static void
new_path(const char *old, const char *name, struct mbx_buf *out)
{
	struct mbx_buf parent;
	char **segs;
	size_t n, i;

	mbx_buf_init(&parent, 0);
	mbx_buf_puts(&parent, "/");
	if (mbx_path_split(old, &segs, &n) == 0) {
		for (i = 0; i + 1 < n; i++) {
			struct mbx_buf next;
			mbx_buf_init(&next, 0);
			mbx_path_append(&next, parent.data, segs[i]);
			mbx_buf_free(&parent);
			parent = next;
		}
		mbx_path_free(segs, n);
	}
	mbx_buf_init(out, 0);
	mbx_path_append(out, parent.data, name);
	mbx_buf_free(&parent);
}

static void
emit(const char *mailbox, const struct mbx_folder *f, const char *name)
{
	struct mbx_buf path;

	new_path(f->path, name, &path);
	mbx_folder_moved_emit(mailbox, f, path.data, name, mbx_opt.dry_run);
	mbx_buf_free(&path);
}

static int
mv(const char *mailbox, const char *spec, const char *name)
{
	struct mbx_folder f;
	struct mbx_err e;
	int rc;

	if ((rc = mbx_folder_find(&graph, mailbox, spec, &f)) != 0)
		return rc;
	mbx_err_clear(&e);
	if (!f.parent_id || strcmp(f.path, "/") == 0)
		mbx_err_set(&e, MBX_ERR_RECORD, NULL, "the root cannot be renamed");
	else if (!*name || strchr(name, '/'))   /* a '/' would read as a path: say what happens */
		mbx_err_set(&e, MBX_ERR_RECORD, NULL, "the new name must be one non-empty name "
			    "without '/' (the API renames, it does not move)");
	else if (!mbx_opt.dry_run)
		mbx_graph_rename(&graph, mailbox, f.id, name, &e);
	if ((rc = mbx_exit_of(e.kind)) != 0)
		mbx_report(rc, mailbox, f.path, "FolderRenameFailed", "cannot rename '%s' to '%s': %s",
			   f.path, name, e.msg);
	else
		emit(mailbox, &f, name);
	mbx_folder_clear(&f);
	return rc;
}

static int
from_record(void *ctx, yajl_val rec, const char *type, unsigned long line)
{
	const char *mailbox = mbx_json_str(rec, "mailbox"), *id = mbx_json_str(rec, "id");
	const char *name = mbx_json_str(rec, "newName");

	(void)ctx;
	(void)type;
	if (!name)
		name = name_opt;
	if (!mailbox || !id || !name) {
		mbx_record_error(mailbox, id, "BadRecord", "stdin:%lu: %s", line, !name
				 ? "no \"newName\" in the record and no --name"
				 : "folder record without mailbox or id");
		return MBX_EXIT_PARTIAL;
	}
	return mv(mailbox, id, name);
}

int
main(int argc, char **argv)
{
	static const char *const types[] = { "folder", NULL };
	struct mbx_mailbox target;
	int c, rc;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1)
		if (c == OPT_NAME)
			name_opt = optarg;
	argc -= optind;
	argv += optind;
	if ((argc != 0 && argc != 3) || (argc == 3 && name_opt))
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	mbx_graph_init(&graph);
	if (argc == 0) {
		rc = mbx_records_run(types, from_record, NULL);
	} else {
		mbx_graph_target(&graph, argv[0], mbx_opt.archive, &target);
		rc = mv(target.id, argv[1], argv[2]);
	}
	mbx_stats_write(&graph, NULL, NULL);
	mbx_graph_free(&graph);
	return rc;
}
