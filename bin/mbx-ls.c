/* mbx-ls: list mailboxes of users (-M), or the items of folders as item records.
 * Bare section numbers are those of docs/graph-api.md. */
#include <getopt.h>
#include "mbx.h"

static const char usage[] =
	"mbx-ls [options] -M USER...\n"
	"       mbx-ls [options] -M --all\n"
	"       mbx-ls [options] [--delta STATE] [--since TIME] [--until TIME] MAILBOX [PATH...]\n"
	"       mbx-ls [options] [--delta STATE] [--since TIME] [--until TIME] [--mailboxes N] < records";

enum { OPT_PAGE_SIZE = MBX_OPT_FIRST_LOCAL, OPT_DELTA, OPT_SINCE, OPT_UNTIL, OPT_ALL,
       OPT_MAILBOXES };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "list-mailboxes", 'M', 0, NULL, "list the mailboxes of the USERs", 'M' },
	{ "all", 0, 0, NULL, "with -M: every user of the tenant (needs User.Read.All)", OPT_ALL },
	{ "delta", 0, 1, "STATE", "list what changed since the run that wrote STATE", OPT_DELTA },
	{ "since", 0, 1, "TIME", "only items last modified at or after TIME", OPT_SINCE },
	{ "until", 0, 1, "TIME", "only items last modified before TIME", OPT_UNTIL },
	{ "page-size", 0, 1, "N", "ask the service for N items a page (1..1000)", OPT_PAGE_SIZE },
	{ "mailboxes", 0, 1, "N", "list at most N mailboxes at once (default 16)", OPT_MAILBOXES },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT };
static struct mbx_graph graph;
static struct mbx_list_opts lo = { MBX_LIST_PAGE_SIZE, "", "", NULL };
static int mailboxes = MBX_TASKS_MAILBOXES;
static int all_users;          /* -M --all */

static int
run(struct mbx_list *l, int list_mailboxes, int argc, char **argv)
{
	static const char *const types[] = { "folder", "mailbox", NULL };
	struct mbx_mailbox m;
	struct mbx_err e;
	int i, rc = 0;

	if (list_mailboxes && all_users)
		return mbx_list_tenant(l);
	if (list_mailboxes)
		return mbx_list_users(l, argv, argc);
	if (argc == 0 && lo.delta)      /* one mailbox: its state is one file */
		return mbx_records_run(types, mbx_list_record, l);
	if (argc == 0) {
		struct mbx_tasks_opts o = { types, mbx_list_key, mbx_list_record, l, mailboxes,
					    MBX_TASKS_QUEUE };
		return mbx_tasks_run(&graph, &o);
	}
	if (mbx_graph_mailbox(&graph, argv[0], mbx_opt.archive, &m, &e) < 0) {
		rc = mbx_exit_of(e.kind);
		mbx_report(rc, NULL, argv[0], "MailboxNotFound", "cannot find mailbox of '%s': %s",
				 argv[0], e.msg);
		return rc;
	}
	if (argc == 1)
		return mbx_list_under(l, m.id, NULL);
	for (i = 1; i < argc && (rc == 0 || rc == MBX_EXIT_PARTIAL); i++)
		rc = mbx_exit_worst(rc, mbx_list_in(l, m.id, argv[i]));
	return rc;
}

int
main(int argc, char **argv)
{
	struct mbx_list *l;
	int c, rc, list_mailboxes = 0;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1) {
		if (c == 'M')
			list_mailboxes = 1;
		else if (c == OPT_ALL)
			all_users = 1;
		else if (c == OPT_PAGE_SIZE && mbx_parse_long(optarg, 1, 1000, &lo.page_size) < 0)
			mbx_die(MBX_EXIT_USAGE, "invalid --page-size '%s': expected 1..1000", optarg);
		else if (c == OPT_MAILBOXES)
			mailboxes = mbx_parse_mailboxes(optarg);
		else if (c == OPT_DELTA)
			lo.delta = optarg;
		else if ((c == OPT_SINCE || c == OPT_UNTIL) &&
			 mbx_parse_time(optarg, c == OPT_SINCE ? lo.since : lo.until, sizeof lo.since) < 0)
			mbx_die(MBX_EXIT_USAGE, "invalid --%s '%s': expected a date or time such as "
				"2026-11-01 or 2026-11-01T08:00:00Z", c == OPT_SINCE ? "since" : "until",
				optarg);
	}
	argc -= optind;
	argv += optind;
	if (all_users && (!list_mailboxes || argc > 0))
		mbx_die(MBX_EXIT_USAGE, "--all lists the mailboxes of every user: use it with -M "
			"and no user");
	if (list_mailboxes && argc == 0 && !all_users)
		mbx_die(MBX_EXIT_USAGE, "-M needs at least one user");
	if (list_mailboxes && (lo.delta || *lo.since || *lo.until))
		mbx_die(MBX_EXIT_USAGE, "-M lists mailboxes: --delta, --since and --until list items");
	l = mbx_list_new(&graph, &lo);
	mbx_graph_init(&graph);
	rc = run(l, list_mailboxes, argc, argv);
	mbx_list_save(l, rc);
	mbx_list_free(l);
	mbx_stats_write(&graph, NULL, NULL);
	mbx_graph_free(&graph);
	return rc;
}
