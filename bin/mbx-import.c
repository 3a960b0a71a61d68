/* mbx-import: import frames (mbx-frames(5)) into a mailbox: the wiring of the import
 * engine of lib/graph/import.c (mbx.h) to the command line. Frames come in on stdin,
 * records go out on stdout as mbx-import(1) says, the exit status is the worst of the
 * input's and the engine's. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

static const char usage[] =
	"mbx-import [options] [--folder PATH|ID | --under PATH] TARGET < frames";

enum { OPT_FOLDER = MBX_OPT_FIRST_LOCAL, OPT_UNDER, OPT_JOURNAL, OPT_UPLOAD_LIMIT };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "folder", 0, 1, "PATH|ID",
	  "import every item into this folder (created if missing)", OPT_FOLDER },
	{ "under", 0, 1, "PATH", "recreate the source folders under PATH (default /)", OPT_UNDER },
	{ "journal", 0, 1, "FILE",
	  "record what was imported; skip or update from it on a re-run", OPT_JOURNAL },
	{ "upload-limit", 0, 1, "BYTES/SECONDS",
	  "the upload quota to pace to (default 150M/300)", OPT_UPLOAD_LIMIT },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT | MBX_COMMON_DRYRUN };

struct run {
	struct mbx_import *im;
	struct mbx_progress prog;  /* mbx(7) PROGRESS */
	int worst;                 /* of the input's failures */
};

/* ---------------------------------------------------------------- records */

/* An outcome: an imported record (mbx-import(1)), or an error record. */
static void
on_record(void *ctx, const struct mbx_import_rec *r)
{
	(void)ctx;
	if (r->status)
		mbx_imported_emit(r);
	else
		mbx_record_error(r->mailbox, r->subject, r->code, "%s", r->message);
}

/* A failure that ends the import ends the program, as mbx_die would have where it
 * happened: the uploads in flight are left to the service. */
static void
check(int rc, const struct mbx_err *e)
{
	if (rc)
		mbx_die(mbx_exit_of(e->kind), "%s", e->msg);
}

/* ---------------------------------------------------------------- input */

static void
take_frame(struct run *run, struct mbx_frame *fr)
{
	struct mbx_err e;

	if (!fr->has_payload && mbx_json_bool(fr->hdr, "removed")) {
		mbx_debug("frame %lu: a removal, nothing to import", fr->index);
	} else if (fr->type && strcmp(fr->type, "folder") == 0 && !fr->has_payload) {
		check(mbx_import_folder(run->im, fr->hdr, &e), &e);
		mbx_progress_folder(&run->prog, fr->hdr);
	} else if (fr->type && strcmp(fr->type, "error") == 0) {
		mbx_record_write(fr->hdr);           /* upstream failures travel on */
		run->worst = mbx_exit_worst(run->worst, MBX_EXIT_PARTIAL);
	} else if (!fr->has_payload || !fr->type || strcmp(fr->type, "item") != 0) {
		mbx_record_error(mbx_json_str(fr->hdr, "mailbox"), mbx_json_str(fr->hdr, "id"),
				 "BadRecord", "frame %lu at byte %llu is not an item with a payload",
				 fr->index, fr->offset);
		run->worst = mbx_exit_worst(run->worst, MBX_EXIT_PARTIAL);
	} else {
		check(mbx_import_add(run->im, fr->hdr, &fr->payload, &e), &e);
		fr->hdr = NULL;                      /* the engine's now */
	}
}

static void
read_frames(struct run *run)
{
	struct mbx_frame_reader rd;
	struct mbx_frame fr;
	struct mbx_err e;
	char err[1024];
	int rc;

	mbx_frame_reader_init(&rd, stdin, "stdin", 0);
	while ((rc = mbx_frame_read(&rd, &fr, err, sizeof err)) != 0) {
		if (rc < 0) {
			mbx_record_error(fr.hdr ? mbx_json_str(fr.hdr, "mailbox") : NULL,
					 fr.hdr ? mbx_json_str(fr.hdr, "id") : NULL, "BadFrame", "%s",
					 err);
			run->worst = mbx_exit_worst(run->worst, MBX_EXIT_BADINPUT);
		} else {
			take_frame(run, &fr);
		}
		mbx_frame_clear(&fr);
		check(mbx_import_run(run->im, &e), &e);
		mbx_progress_tick();
	}
	mbx_frame_reader_free(&rd);
}

/* ---------------------------------------------------------------- main */

static struct mbx_graph graph;

static void
progress_fill(struct mbx_progress *p)
{
	const struct mbx_http_stats *h = mbx_http_stats(graph.http);
	struct mbx_import_stats st;

	mbx_import_stats(((struct run *)p->ctx)->im, &st);
	p->done = st.ok + st.skipped + st.failed;
	p->failed = st.failed;
	p->bytes = st.bytes;
	p->waits = h->throttled;
	p->waited = h->waited;
}

static void
stats_fields(struct mbx_jw *w, void *ctx)
{
	const struct mbx_import_stats *st = ctx;

	mbx_jw_kint(w, "items", (long long)st->items);
	mbx_jw_kint(w, "ok", (long long)st->ok);
	mbx_jw_kint(w, "updated", (long long)st->updated);
	mbx_jw_kint(w, "skipped", (long long)st->skipped);
	mbx_jw_kint(w, "recovered", (long long)st->recovered);
	mbx_jw_kint(w, "unverified", (long long)st->unverified);
	mbx_jw_kint(w, "failed", (long long)st->failed);
	mbx_jw_kint(w, "bytes", (long long)st->bytes);
	mbx_jw_kint(w, "sessions", (long long)st->sessions);
}

/* --under PATH: a folder path, so it starts with '/' */
static const char *
under_arg(const char *arg)
{
	if (!arg || *arg != '/')
		mbx_die(MBX_EXIT_USAGE, "invalid --under '%s': a folder path starts with '/'",
			arg ? arg : "");
	return arg;
}

/* The options into the engine's: o holds the defaults (the service's quota). */
static void
parse_args(int argc, char **argv, struct mbx_import_opts *o)
{
	int c, under_set = 0;

	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1) {
		if (c == OPT_FOLDER)
			o->folder = optarg;
		else if (c == OPT_UNDER)
			o->under = under_arg(optarg), under_set = 1;
		else if (c == OPT_JOURNAL)
			o->journal = optarg;
		else if (c == OPT_UPLOAD_LIMIT &&
			 mbx_parse_rate(optarg, &o->limit_bytes, &o->limit_window) < 0)
			mbx_die(MBX_EXIT_USAGE, "invalid --upload-limit '%s': expected BYTES/SECONDS "
				"such as 150M/300", optarg);
	}
	if (optind + 1 != argc)
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	if (o->folder && under_set)
		mbx_die(MBX_EXIT_USAGE, "--folder and --under exclude each other");
}

int
main(int argc, char **argv)
{
	/* graph-api.md 7: the upload quota is 150 MB per 5 minutes */
	struct mbx_import_opts o = { .under = "/", .limit_bytes = 150LL << 20,
				     .limit_window = 300 };
	struct mbx_import_stats st;
	struct mbx_mailbox target;
	struct run run = { 0 };
	struct mbx_err e;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	parse_args(argc, argv, &o);
	o.jobs = mbx_opt.jobs;
	o.dry_run = mbx_opt.dry_run;
	mbx_graph_init(&graph);
	mbx_graph_target(&graph, argv[optind], mbx_opt.archive, &target);
	check(mbx_import_new(&graph, target.id, &o, on_record, &run, &run.im, &e), &e);
	run.prog.fill = progress_fill;
	run.prog.ctx = &run;
	mbx_progress_start(&run.prog);
	read_frames(&run);
	mbx_import_stats(run.im, &st);
	run.prog.total = st.items;               /* the input is over: exactly these */
	check(mbx_import_finish(run.im, &e), &e);
	mbx_progress_end();
	mbx_import_stats(run.im, &st);
	mbx_stats_write(&graph, stats_fields, &st);
	mbx_debug("%lu imported (%lu updates), %lu skipped, %lu failed", st.ok, st.updated,
		  st.skipped, st.failed);
	mbx_import_free(run.im);
	mbx_graph_free(&graph);
	return mbx_exit_worst(run.worst, st.worst);
}
