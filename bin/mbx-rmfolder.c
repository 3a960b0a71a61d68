/* mbx-rmfolder: delete folders with everything in them (graph-api.md 3.7). Well-known
 * folders (Inbox, Sent Items, ...) are refused unless --force: deleting one by mistake
 * loses a user's mail, and Exchange recreates an empty one. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mbx.h"

static const char usage[] =
	"mbx-rmfolder [options] [--force] TARGET PATH...\n"
	"       mbx-rmfolder [options] [--force] < folder-records";

enum { OPT_FORCE = MBX_OPT_FIRST_LOCAL };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "force", 0, 0, NULL, "delete well-known folders too", OPT_FORCE },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT | MBX_COMMON_DRYRUN };

static struct mbx_graph graph;
static int force;
static char **gone;            /* "mailbox\npath/" of deleted folders: their subtrees */
static size_t ngone;

/* A folder inside one deleted before went with it (mbx-folders lists parents first). */
static int
already_gone(const char *mailbox, const char *path)
{
	size_t i, k;

	for (i = 0; path && i < ngone; i++) {
		k = strlen(gone[i]);
		if (strncmp(gone[i], mailbox, strlen(mailbox)) == 0 &&
		    gone[i][strlen(mailbox)] == '\n' &&
		    strncasecmp(gone[i] + strlen(mailbox) + 1, path, k - strlen(mailbox) - 1) == 0)
			return 1;
	}
	return 0;
}

static void
remember(const char *mailbox, const char *path)
{
	struct mbx_buf b;

	mbx_buf_init(&b, 0);
	mbx_buf_printf(&b, "%s\n%s/", mailbox, path);
	gone = mbx_xrealloc(gone, (ngone + 1) * sizeof *gone);
	gone[ngone++] = mbx_buf_steal(&b);
}

static int
rm(const char *mailbox, const char *spec)
{
	struct mbx_folder f;
	struct mbx_err e;
	int rc;

	if ((rc = mbx_folder_find(&graph, mailbox, spec, &f)) != 0)
		return rc;
	mbx_err_clear(&e);
	if (!f.parent_id || strcmp(f.path, "/") == 0)
		mbx_err_set(&e, MBX_ERR_RECORD, NULL, "the root cannot be deleted");
	else if (f.well_known && !force)
		mbx_err_set(&e, MBX_ERR_RECORD, NULL, "a well-known folder ('%s'); use --force to "
			    "delete it", f.well_known);
	else if (!mbx_opt.dry_run)
		mbx_graph_rmfolder(&graph, mailbox, f.id, &e);
	if ((rc = mbx_exit_of(e.kind)) != 0)
		mbx_report(rc, mailbox, f.path, "FolderDeleteFailed", "cannot delete '%s': %s", f.path,
			   e.msg);
	else {
		mbx_folder_removed_emit(mailbox, &f, mbx_opt.dry_run);
		remember(mailbox, f.path);
	}
	mbx_folder_clear(&f);
	return rc;
}

static int
from_record(void *ctx, yajl_val rec, const char *type, unsigned long line)
{
	const char *mailbox = mbx_json_str(rec, "mailbox"), *id = mbx_json_str(rec, "id");

	(void)ctx;
	(void)type;
	if (!mailbox || !id) {
		mbx_record_error(mailbox, NULL, "BadRecord", "stdin:%lu: folder record without "
				 "mailbox or id", line);
		return MBX_EXIT_PARTIAL;
	}
	if (already_gone(mailbox, mbx_json_str(rec, "path"))) {
		struct mbx_folder f = { 0 };
		f.id = (char *)id;
		f.path = (char *)mbx_json_str(rec, "path");
		f.display_name = (char *)mbx_json_str(rec, "displayName");
		mbx_folder_removed_emit(mailbox, &f, mbx_opt.dry_run);             /* it went with its parent */
		return 0;
	}
	return rm(mailbox, id);
}

int
main(int argc, char **argv)
{
	static const char *const types[] = { "folder", NULL };
	struct mbx_mailbox target;
	int c, i, rc = 0;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1)
		if (c == OPT_FORCE)
			force = 1;
	argc -= optind;
	argv += optind;
	if (argc == 1)
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	mbx_graph_init(&graph);
	if (argc == 0) {
		rc = mbx_records_run(types, from_record, NULL);
	} else {
		mbx_graph_target(&graph, argv[0], mbx_opt.archive, &target);
		for (i = 1; i < argc && (rc == 0 || rc == MBX_EXIT_PARTIAL); i++)
			rc = mbx_exit_worst(rc, rm(target.id, argv[i]));
	}
	for (i = 0; i < (int)ngone; i++)
		free(gone[i]);
	free(gone);
	mbx_stats_write(&graph, NULL, NULL);
	mbx_graph_free(&graph);
	return rc;
}
