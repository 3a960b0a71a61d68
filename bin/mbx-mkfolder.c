/* mbx-mkfolder: create folders (with their parents) and print them as folder records;
 * with folder records on stdin, replicate a tree under --under. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

static const char usage[] =
	"mbx-mkfolder [options] [--class CLASS] TARGET PATH...\n"
	"       mbx-mkfolder [options] [--under PATH] [--class CLASS] TARGET < folder-records";

enum { OPT_UNDER = MBX_OPT_FIRST_LOCAL, OPT_CLASS };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "class", 0, 1, "CLASS", "the folder class (default IPF.Note)", OPT_CLASS },
	{ "under", 0, 1, "PATH", "create the records' paths under PATH (default /)", OPT_UNDER },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT | MBX_COMMON_DRYRUN };

static struct mbx_graph graph;
static struct mbx_mailbox target;
static const char *under = "/";
static const char *cls = "IPF.Note";

static int
make(const char *path, const char *klass)
{
	struct mbx_folder f;
	struct mbx_err e;
	int created, rc;

	if (mbx_graph_mkpath(&graph, target.id, path, klass, mbx_opt.dry_run, &f, &created,
			     &e) < 0) {
		rc = mbx_exit_of(e.kind);
		mbx_report(rc, target.id, path, "FolderCreateFailed", "cannot create '%s': %s", path,
			   e.msg);
		return rc;
	}
	mbx_folder_made_emit(target.id, &f, created, mbx_opt.dry_run);
	mbx_folder_clear(&f);
	return 0;
}

/* A folder record of another mailbox: the same path under --under in the target. */
static int
from_record(void *ctx, yajl_val rec, const char *type, unsigned long line)
{
	const char *path = mbx_json_str(rec, "path"), *klass = mbx_json_str(rec, "class");
	struct mbx_buf full;
	int rc;

	(void)ctx;
	(void)type;
	if (!path || *path != '/') {
		mbx_record_error(NULL, NULL, "BadRecord", "stdin:%lu: folder record without a path",
				 line);
		return MBX_EXIT_PARTIAL;
	}
	mbx_buf_init(&full, 0);
	mbx_buf_puts(&full, strcmp(under, "/") ? under : "");
	mbx_buf_puts(&full, strcmp(path, "/") ? path : "");
	rc = make(full.len ? full.data : "/", klass ? klass : cls);
	mbx_buf_free(&full);
	return rc;
}

/* "/A/" joins like "/A". */
static const char *
trim_under(const char *u)
{
	static char buf[4096];
	size_t n;

	mbx_strlcpy(buf, u, sizeof buf);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/' && buf[n - 2] != '\\')
		buf[--n] = '\0';
	return buf;
}

int
main(int argc, char **argv)
{
	static const char *const types[] = { "folder", NULL };
	int c, i, rc = 0;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1) {
		if (c == OPT_UNDER)
			under = optarg;
		else if (c == OPT_CLASS)
			cls = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || *under != '/')
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	under = trim_under(under);
	mbx_graph_init(&graph);
	mbx_graph_target(&graph, argv[0], mbx_opt.archive, &target);
	if (argc == 1)
		rc = mbx_records_run(types, from_record, NULL);
	for (i = 1; i < argc && (rc == 0 || rc == MBX_EXIT_PARTIAL); i++)
		rc = mbx_exit_worst(rc, make(argv[i], cls));
	mbx_stats_write(&graph, NULL, NULL);
	mbx_graph_free(&graph);
	return rc;
}
