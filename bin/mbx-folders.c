/* mbx-folders: print a mailbox's folder tree as folder records, depth-first.
 * Bare section numbers are those of docs/graph-api.md. */
#include <getopt.h>
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
from_args(const char *spec, const char *path)
{
	struct mbx_mailbox m;
	struct mbx_err e;
	int rc;

	if (mbx_graph_mailbox(&graph, spec, mbx_opt.archive, &m, &e) < 0) {
		rc = mbx_exit_of(e.kind);
		mbx_report(rc, NULL, spec, "MailboxNotFound", "cannot find mailbox of '%s': %s",
				 spec, e.msg);
		return rc;
	}
	return mbx_folders_of(&graph, m.id, path);
}

int
main(int argc, char **argv)
{
	static const char *const types[] = { "mailbox", NULL };
	struct mbx_tasks_opts o = { types, mbx_folders_key, mbx_folders_record, &graph, MBX_TASKS_MAILBOXES,
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
		rc = mbx_folders_delta(&graph, delta, m.id);
	} else if (argc > 0)
		rc = from_args(argv[0], argc > 1 ? argv[1] : NULL);
	else
		rc = mbx_tasks_run(&graph, &o);
	mbx_stats_write(&graph, NULL, NULL);
	mbx_graph_free(&graph);
	return rc;
}

