/* mbx-folders: print a mailbox's folder tree as folder records, depth-first. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

static const char usage[] =
	"mbx-folders [-hnqv] [--archive] [options] [MAILBOX [PATH]]\n"
	"       mailbox records on stdin when no MAILBOX is given";

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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { MBX_COMMON_LONGOPTS, { 0, 0, 0, 0 } };
	static const char *const types[] = { "mailbox", NULL };
	int c, rc;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = getopt_long(argc, argv, MBX_COMMON_SHORTOPTS, longopts, NULL)) != -1)
		mbx_opts_common(c, optarg, usage);
	argc -= optind;
	argv += optind;
	if (argc > 2)
		mbx_usage(usage, MBX_EXIT_USAGE);
	mbx_graph_init(&graph);
	if (argc > 0)
		rc = from_args(argv[0], argc > 1 ? argv[1] : NULL);
	else
		rc = mbx_records_run(types, from_record, NULL);
	mbx_graph_free(&graph);
	return rc;
}
