/* mbx-export: export items as frames (mbx-frames(5)): options, the input loop and the
 * exit status; the export engine of lib/graph/export.c makes the exportItems calls
 * (graph-api.md 3.13) for every mailbox of the input at once. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fx.h"
#include "mbx.h"

static const char usage[] =
	"mbx-export [options] < item-records\n"
	"       mbx-export [options] --mailbox MAILBOX ID...";

enum { OPT_NDJSON = MBX_OPT_FIRST_LOCAL, OPT_MAILBOX, OPT_MAILBOXES };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "ndjson", 0, 0, NULL, "write the NDJSON form (payload inline as base64)", OPT_NDJSON },
	{ "mailbox", 0, 1, "MAILBOX",
	  "export the items whose ids are the arguments, from MAILBOX", OPT_MAILBOX },
	{ "mailboxes", 0, 1, "N", "export at most N mailboxes at once (default 16)", OPT_MAILBOXES },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT };

static struct mbx_graph graph;
static struct mbx_export *engine;
static char outbuf[256 << 10];
static int ndjson;
static int stopped;            /* a failure stopped the run: its exit status */
static struct {
	unsigned long records;
	int worst;
} st;
static struct mbx_progress prog;   /* mbx(7) PROGRESS */

/* An item's frame, flushed at once: the consumer may be another machine. */
static void
on_item(void *ctx, yajl_val rec, const void *data, size_t len)
{
	(void)ctx;
	if (mbx_frame_write(stdout, rec, data, len, ndjson) < 0 || fflush(stdout) == EOF)
		mbx_die(MBX_EXIT_IO, "cannot write to stdout");
	mbx_progress_tick();                     /* the write may have waited for the reader */
}

/* The item failed for good: an error frame travels down the pipe (mbx-frames(5)). */
static void
on_fail(void *ctx, const char *mailbox, const char *id, const char *code, const char *msg)
{
	(void)ctx;
	mbx_record_error(mailbox, id, code, "cannot export '%s': %s", id, msg);
	st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
}

/* What the input holds: items for the engine; error, folder and removal records pass
 * on as payload-less frames; anything else is a bad record. */
static void
take_record(void *ctx, yajl_val rec, unsigned long line, const char *err)
{
	const char *t, *mbx;
	struct mbx_err e;

	(void)ctx;
	if (!rec) {
		mbx_record_error(NULL, NULL, "BadRecord", "%s", err);
		st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
		return;
	}
	t = mbx_record_type(rec);
	mbx = mbx_json_str(rec, "mailbox");
	if (t && strcmp(t, "error") == 0) {
		mbx_record_write(rec);               /* error frames pass through */
		st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
	} else if ((t && strcmp(t, "folder") == 0) || mbx_json_bool(rec, "removed")) {
		mbx_record_write(rec);      /* so do folders and removals: payload-less frames */
		mbx_progress_folder(&prog, rec);
	} else if (!t || strcmp(t, "item") != 0 || !mbx || !mbx_json_str(rec, "id")) {
		mbx_record_error(mbx, NULL, "BadRecord", "stdin:%lu: %s", line, !t || strcmp(t, "item")
				 ? "not an item record" : "item record without mailbox or id");
		st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
	} else {
		st.records++;
		if (mbx_export_add(engine, rec, &e) < 0)
			stopped = mbx_exit_of(e.kind);
		return;
	}
	yajl_tree_free(rec);
}

/* --mailbox M ID...: item records made from the arguments; M is a mailbox id or a user
 * (with --archive, the user's archive). */
static void
from_args(const char *spec, int argc, char **argv)
{
	struct mbx_mailbox m;
	struct mbx_buf b;
	struct mbx_jw w;
	const char *mailbox = m.id;
	int i;

	mbx_graph_target(&graph, spec, mbx_opt.archive, &m);
	prog.total = (unsigned long long)argc;
	for (i = 0; i < argc && !stopped; i++) {
		mbx_buf_init(&b, 0);
		mbx_jw_init(&w, &b);
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "type", "item");
		mbx_jw_kstr(&w, "mailbox", mailbox);
		mbx_jw_kstr(&w, "id", argv[i]);
		mbx_jw_end(&w);
		take_record(NULL, mbx_json_parse(b.data, b.len, NULL, 0), 0, NULL);
		mbx_buf_free(&b);
		mbx_export_wait(engine);
	}
}

static void
progress_fill(struct mbx_progress *p)
{
	const struct mbx_http_stats *h = mbx_http_stats(graph.http);
	const struct mbx_export_stats *x = mbx_export_stats(engine);

	p->done = x->ok + x->failed;
	p->failed = x->failed;
	p->bytes = x->bytes;
	p->waits = h->throttled;
	p->waited = h->waited;
}

static void
stats_fields(struct mbx_jw *w, void *ctx)
{
	const struct mbx_export_stats *x = mbx_export_stats(engine);
	double el = mbx_graph_elapsed(&graph);
	char rate[64];

	(void)ctx;
	mbx_jw_kint(w, "items", (long long)st.records);
	mbx_jw_kint(w, "ok", (long long)x->ok);
	mbx_jw_kint(w, "failed", (long long)x->failed);
	mbx_jw_kint(w, "bytes", (long long)x->bytes);
	mbx_jw_kint(w, "spilled", (long long)x->spilled);
	snprintf(rate, sizeof rate, "%.1f", el > 0 ? x->ok / el : 0);
	mbx_jw_key(w, "itemsPerSecond");
	mbx_jw_raw(w, rate);
}

int
main(int argc, char **argv)
{
	struct mbx_export_opts xo = { 0, MBX_EXPORT_MAILBOXES, 0 };
	const char *mailbox = NULL;
	struct mbx_err e;
	char *end;
	long n;
	int c, rc;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1) {
		if (c == OPT_NDJSON)
			ndjson = 1;
		else if (c == OPT_MAILBOX)
			mailbox = optarg;
		else if (c == OPT_MAILBOXES) {
			n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > 100000)
				mbx_die(MBX_EXIT_USAGE, "invalid --mailboxes '%s': expected 1..100000",
					optarg);
			xo.mailboxes = (int)n;
		}
	}
	argc -= optind;
	argv += optind;
	if ((mailbox && argc == 0) || (!mailbox && argc > 0))
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	/* an item's header, payload and LF leave in one write (flushed per item); glibc
	 * ignores the size when it allocates the buffer itself */
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	mbx_graph_init(&graph);
	xo.jobs = mbx_opt.jobs;
	engine = mbx_export_new(&graph, &xo, on_item, on_fail, NULL);
	prog.fill = progress_fill;
	mbx_progress_start(&prog);
	if (mailbox)
		from_args(mailbox, argc, argv);
	else {
		mbx_export_read(engine, stdin, take_record, NULL);
		prog.total = st.records;         /* the input is over: exactly these */
	}
	rc = mbx_export_finish(engine, &e) < 0 ? mbx_exit_of(e.kind) : 0;
	stopped = mbx_export_stopped(engine) ? rc : 0;
	mbx_progress_end();
	mbx_stats_write(&graph, stats_fields, NULL);
	mbx_debug("%lu items exported, %lu failed", mbx_export_stats(engine)->ok,
		  mbx_export_stats(engine)->failed);
	mbx_export_free(engine);
	mbx_graph_free(&graph);
	return stopped ? stopped : mbx_exit_worst(st.worst, rc);
}
