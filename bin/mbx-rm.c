/* mbx-rm: delete items (graph-api.md 3.12), soft by default. It reads item records, or
 * the imported records of mbx-import (then it deletes each record's source: the
 * export-import-delete move), or takes MAILBOX FOLDER ID... on the command line. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mbx.h"

static const char usage[] =
	"mbx-rm [options] [--hard] [--mailboxes N] < item or imported records\n"
	"       mbx-rm [options] [--hard] MAILBOX FOLDER ID...";

enum { OPT_HARD = MBX_OPT_FIRST_LOCAL, OPT_MAILBOXES };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "hard", 0, 0, NULL, "delete for good, not to Recoverable Items", OPT_HARD },
	{ "mailboxes", 0, 1, "N", "delete in at most N mailboxes at once (default 16)",
	  OPT_MAILBOXES },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT | MBX_COMMON_DRYRUN };

struct del {
	char *mailbox, *folder, *id;
	struct mbx_task *task;     /* of its mailbox, or NULL (MAILBOX FOLDER ID...) */
};

static struct mbx_graph graph;
static const char *disposal = "softDelete";
static int pending, worst;
static int stopped;         /* a failure of every call (no token, 401): delete no more */
static unsigned long deleted, failed;

static void
emit(const struct del *d)
{
	mbx_item_removed_emit(d->mailbox, d->folder, d->id, disposal, mbx_opt.dry_run);
}

static void
del_free(struct del *d)
{
	free(d->mailbox);
	free(d->folder);
	free(d->id);
	free(d);
}

/* A failure every call would meet ends the run with one line, as in mbx-export (mbx(7)
 * EXIT STATUS): the deletes in flight finish, no more are sent, no item is said
 * removed that was not. */
static void
stop_run(const struct del *d, const struct mbx_err *e)
{
	if (d->task)
		mbx_task_stop_run(d->task);
	if (!stopped)
		mbx_err("cannot delete items of '%s': %s", d->mailbox, e->msg);
	stopped = 1;
	worst = mbx_exit_worst(worst, mbx_exit_of(e->kind));
}

static void
on_done(struct mbx_req *r)
{
	struct del *d = r->ctx;
	struct mbx_task *t = d->task;
	struct mbx_err e;
	char code[128];

	pending--;
	if (mbx_graph_failed(r, &e) == 0) {
		emit(d);
		deleted++;
	} else if (mbx_req_fails_all(r)) {
		stop_run(d, &e);
		failed++;
	} else {
		mbx_graph_errcode(r, code, sizeof code);
		mbx_record_error(d->mailbox, d->id, code, "cannot delete '%s': %s", d->id, e.msg);
		failed++;
		worst = mbx_exit_worst(worst, mbx_exit_of(e.kind));
	}
	del_free(d);
	mbx_req_free(r);
	if (t)
		mbx_task_release(t);
}

/* DELETE .../folders/{f}/items/{id}?disposalType=..., --jobs in flight per mailbox. */
static void
submit(const char *mailbox, const char *folder, const char *id)
{
	struct del *d;
	struct mbx_req *r;

	if (stopped)
		return;
	d = mbx_xcalloc(1, sizeof *d);
	d->mailbox = mbx_strdup(mailbox);
	d->folder = mbx_strdup(folder);
	d->id = mbx_strdup(id);
	if (mbx_opt.dry_run) {
		emit(d);
		del_free(d);
		return;
	}
	r = mbx_graph_req("DELETE", mailbox, mbx_graph_url(&graph, "admin/exchange/mailboxes/%s"
			  "/folders/%s/items/%s?disposalType=%s", mailbox, folder, id, disposal), 0);
	r->on_done = on_done;
	r->ctx = d;
	pending++;
	if ((d->task = mbx_task_self()) != NULL) {
		/* its mailbox's task: 2 x --jobs queued keeps the lane busy, the others run */
		mbx_task_hold(d->task);
		mbx_http_submit(graph.http, r);
		mbx_task_drain(2L * mbx_opt.jobs);
		return;
	}
	mbx_http_submit(graph.http, r);
	while (pending >= 4 * mbx_opt.jobs)
		mbx_http_step(graph.http, 1000);
}

/* An item record, or an imported record: its source goes (status created/updated). */
static int
from_record(void *ctx, yajl_val rec, const char *type, unsigned long line)
{
	yajl_val it = strcmp(type, "imported") == 0 ? mbx_json_get(rec, "source") : rec;
	const char *m = mbx_json_str(it, "mailbox"), *f = mbx_json_str(it, "folderId");
	const char *id = mbx_json_str(it, "id"), *st = mbx_json_str(rec, "status");

	(void)ctx;
	if (strcmp(type, "folder") == 0)
		return 0;                   /* mbx-ls passes folders on: they are not deleted */
	if (st && strcmp(st, "created") != 0 && strcmp(st, "updated") != 0 &&
	    strcmp(st, "skipped") != 0)
		return 0;                   /* a dry run's would-create: nothing was copied */
	if (!m || !f || !id) {
		mbx_record_error(m, id, "BadRecord", "stdin:%lu: %s record without mailbox, "
				 "folderId or id", line, type);
		return MBX_EXIT_PARTIAL;
	}
	if (mbx_json_bool(it, "removed"))
		return 0;                   /* already gone (a delta listing's removal) */
	submit(m, f, id);
	return 0;
}

/* The mailbox whose task deletes what a record names. */
static const char *
record_key(yajl_val rec, const char *type)
{
	yajl_val it = strcmp(type, "imported") == 0 ? mbx_json_get(rec, "source") : rec;
	const char *m = mbx_json_str(it, "mailbox");

	return m ? m : "";
}

static int
from_args(int argc, char **argv)
{
	struct mbx_mailbox m;
	struct mbx_folder f;
	struct mbx_err e;
	int i, rc;

	mbx_graph_target(&graph, argv[0], mbx_opt.archive, &m);
	if (mbx_graph_folder(&graph, m.id, argv[1], &f, &e) < 0) {
		rc = mbx_exit_of(e.kind);
		mbx_report(rc, m.id, argv[1], "FolderNotFound", "cannot find folder '%s': %s",
			   argv[1], e.msg);
		return rc;
	}
	for (i = 2; i < argc; i++)
		submit(m.id, f.id, argv[i]);
	mbx_folder_clear(&f);
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const types[] = { "item", "imported", "folder", NULL };
	struct mbx_tasks_opts o = { types, record_key, from_record, NULL, MBX_TASKS_MAILBOXES,
				    MBX_TASKS_QUEUE };
	int c, rc;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1)
		if (c == OPT_HARD)
			disposal = "hardDelete";
		else if (c == OPT_MAILBOXES)
			o.mailboxes = mbx_parse_mailboxes(optarg);
	argc -= optind;
	argv += optind;
	if (argc == 0 && isatty(STDIN_FILENO))
		mbx_die(MBX_EXIT_USAGE, "no item records on standard input and no ids: nothing to "
			"delete");
	if (argc != 0 && argc < 3)
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	mbx_graph_init(&graph);
	rc = argc ? from_args(argc, argv) : mbx_tasks_run(&graph, &o);
	mbx_http_run(graph.http);
	mbx_debug("%lu deleted, %lu failed", deleted, failed);
	mbx_stats_write(&graph, NULL, NULL);
	mbx_graph_free(&graph);
	return mbx_exit_worst(rc, worst);
}
