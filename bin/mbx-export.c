/* mbx-export: export items as frames (mbx-frames(5)) through exportItems
 * (graph-api.md 3.13): ids grouped per mailbox in calls of at most 20, --jobs calls in
 * flight per mailbox, every item written as soon as its part of a response is parsed. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fx.h"
#include "mbx.h"

static const char usage[] =
	"mbx-export [options] < item-records\n"
	"       mbx-export [options] --mailbox MAILBOX ID...";

#define BATCH 20               /* the service's limit per call */
#define MAX_TRIES 10           /* per item: missing entries and per-item errors */

enum { OPT_NDJSON = MBX_OPT_FIRST_LOCAL, OPT_MAILBOX };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "ndjson", 0, 0, NULL, "write the NDJSON form (payload inline as base64)", OPT_NDJSON },
	{ "mailbox", 0, 1, "MAILBOX",
	  "export the items whose ids are the arguments, from MAILBOX", OPT_MAILBOX },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_CLIENT };

struct batch {
	char mailbox[192];
	yajl_val recs[BATCH];      /* the input records: the frame headers */
	int tries[BATCH], done[BATCH];
	char code[BATCH][64];      /* last per-item error code */
	char why[BATCH][256];      /* and what was wrong, when the code does not say it */
	char moved[BATCH][192];    /* 3.17: the auxiliary mailbox to ask instead */
	int n;
	struct mbx_xparse *xp;
	struct batch *next;        /* the list of filling batches, one per mailbox */
};

static struct mbx_graph graph;
static char outbuf[256 << 10];
static int ndjson;
static struct batch *filling;
static int pending;            /* batches submitted and not done */
static int stopped;            /* the exit code of a failure that stops the run */
static struct {
	unsigned long ok, failed, bytes, records;
	int worst;
} st;
static struct mbx_progress prog;   /* mbx(7) PROGRESS */

static const char *
rec_id(const struct batch *b, int i)
{
	return mbx_json_str(b->recs[i], "id");
}

/* The item failed for good: an error frame travels down the pipe (mbx-frames(5)). */
static void
fail_item(struct batch *b, int i, const char *code, const char *msg)
{
	mbx_record_error(b->mailbox, rec_id(b, i), code, "cannot export '%s': %s", rec_id(b, i),
			 msg);
	b->done[i] = 1;
	st.failed++;
	st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
}

static int
find(const struct batch *b, const char *id)
{
	int i;

	for (i = 0; id && i < b->n; i++)
		if (!b->done[i] && strcmp(rec_id(b, i), id) == 0)
			return i;
	return -1;
}

/* 3.17: the item lives in an auxiliary archive mailbox; the error's message is the
 * exportItems URL to ask. Only a URL on the Graph host naming another mailbox is
 * followed: the item then joins a batch of that mailbox. */
static void
moved_to(struct batch *b, int i, const char *url)
{
	const char *m = strcasestr(url, "/mailboxes/"), *end;
	char *aux;

	snprintf(b->code[i], sizeof b->code[i], "ErrorArchiveFolderMovedPermanently");
	if (!m || !mbx_url_same_origin(url, graph.base) || !(end = strcasestr(m, "/exportItems")))
		return;                     /* not followed: retried, then an error frame */
	aux = mbx_url_unescape(m + 11, (size_t)(end - m - 11), 0);
	if (aux && strcmp(aux, b->mailbox) != 0 && strlen(aux) < sizeof b->moved[i])
		mbx_strlcpy(b->moved[i], aux, sizeof b->moved[i]);
	free(aux);
}

/* One element of the response's value array: the item's stream, or its error. */
static int
on_element(void *ctx, const struct mbx_xitem *e)
{
	struct batch *b = ctx;
	int i = find(b, e->item_id);
	char err[200];

	if (i < 0)
		return 0;                            /* unasked or already written: ignore */
	if (!strcmp(e->err_code, "ErrorArchiveFolderMovedPermanently")) {
		moved_to(b, i, e->err_message);
		return 0;
	}
	if (*e->err_code || !e->data || !e->data->len) {
		snprintf(b->code[i], sizeof b->code[i], "%s", *e->err_code ? e->err_code : "NoData");
		if (!*e->err_code)
			snprintf(b->why[i], sizeof b->why[i], "NoData: %s", e->data ?
				 "the service returned the item with empty data" :
				 "the service returned the item without data");
		return 0;
	}
	/* a stream cut or garbled on the way is asked again, never written as an item */
	if (fx_check(e->data->data, e->data->len, err, sizeof err) != FX_OK) {
		snprintf(b->code[i], sizeof b->code[i], "BadStream");
		snprintf(b->why[i], sizeof b->why[i], "BadStream: not a FastTransfer stream: %s",
			 err);
		return 0;
	}
	if (*e->change_key)                          /* the version that was exported */
		mbx_json_set_str(b->recs[i], "changeKey", e->change_key);
	if (mbx_frame_write(stdout, b->recs[i], e->data->data, e->data->len, ndjson) < 0 ||
	    fflush(stdout) == EOF)
		mbx_die(MBX_EXIT_IO, "cannot write to stdout");
	b->done[i] = 1;
	st.ok++;
	st.bytes += e->data->len;
	mbx_progress_tick();                     /* the write may have waited for the reader */
	return 0;
}

static int
on_body(struct mbx_req *r, const char *p, size_t n)
{
	struct batch *b = r->ctx;

	return mbx_xparse_feed(b->xp, p, n) == 0 ? 0 : -1;
}

/* A retried call starts its response anew; items already written stay written. */
static void
on_reset(struct mbx_req *r)
{
	struct batch *b = r->ctx;

	mbx_xparse_free(b->xp);
	b->xp = mbx_xparse_new(on_element, b, MBX_FRAME_MAX_PAYLOAD);
}

static void submit(struct batch *b);
static void add_item(const char *mailbox, yajl_val rec);
static void flush(struct batch *b);

static void
batch_free(struct batch *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		yajl_tree_free(b->recs[i]);
	mbx_xparse_free(b->xp);
	free(b);
}

/* Items the response did not deliver: asked again a few times, then error frames. */
static void
settle(struct batch *b, const char *why)
{
	int i, again = 0, moved = 0;

	for (i = 0; i < b->n && !stopped; i++) {    /* stopped: the exit code says it */
		if (b->done[i])
			continue;
		if (*b->moved[i]) {             /* asked of its auxiliary mailbox instead */
			b->done[i] = 1;
			add_item(b->moved[i], b->recs[i]);
			b->recs[i] = NULL;
			moved = 1;
			continue;
		}
		if (++b->tries[i] >= MAX_TRIES || !strcmp(b->code[i], "ErrorItemNotFound") ||
		    !strcmp(b->code[i], "ErrorInvalidIdMalformed"))
			fail_item(b, i, *b->code[i] ? b->code[i] : "NotReturned",
				  *b->why[i] ? b->why[i] : *b->code[i] ? b->code[i] : why);
		else
			again = 1;
	}
	while (moved && filling)        /* sent now: the input may be over already */
		flush(filling);
	if (again)
		submit(b);
	else
		batch_free(b);
}

/* No token could be had, or the service refused a fresh one (401): every call would
 * fail the same, so the run stops with one line, as the other programs do (mbx(7) EXIT
 * STATUS). What was written stays; calls in flight finish. A 403 stays a failure of
 * that mailbox's items: an application may be allowed some mailboxes only. */
static int
stop_run(struct mbx_req *r, struct batch *b, int rc)
{
	char msg[1024];

	if (rc != MBX_EXIT_AUTH || r->status == 403)
		return 0;
	if (!stopped) {
		mbx_graph_errmsg(r, msg, sizeof msg);
		mbx_err("cannot export items of '%s': %s", b->mailbox, msg);
		stopped = rc;
	}
	mbx_req_free(r);
	batch_free(b);
	return 1;
}

static void
on_done(struct mbx_req *r)
{
	struct batch *b = r->ctx;
	char msg[1024], code[128];
	int i, rc = mbx_http_exit_code(r);

	pending--;
	if (stop_run(r, b, rc))
		return;
	if (rc == 0 && mbx_xparse_finish(b->xp) < 0)
		mbx_warn("incomplete exportItems response for '%s': %s", b->mailbox,
			 mbx_xparse_error(b->xp));
	if (rc) {
		mbx_graph_errmsg(r, msg, sizeof msg);
		mbx_graph_errcode(r, code, sizeof code);
		for (i = 0; i < b->n; i++)
			if (!b->done[i])
				fail_item(b, i, code, msg);
		st.worst = mbx_exit_worst(st.worst, rc);
	}
	mbx_req_free(r);
	settle(b, "the service did not return the item");
}

/* POST the ids of b that are not done yet. */
static void
submit(struct batch *b)
{
	struct mbx_req *r;
	struct mbx_jw w;
	int i;

	if (stopped) {
		batch_free(b);
		return;
	}
	r = mbx_graph_req("POST", b->mailbox, mbx_graph_url(&graph,
		"admin/exchange/mailboxes/%s/exportItems", b->mailbox), 1);
	mbx_jw_init(&w, &r->body);
	mbx_jw_obj(&w);
	mbx_jw_key(&w, "itemIds");
	mbx_jw_arr(&w);
	for (i = 0; i < b->n; i++) {
		b->code[i][0] = '\0';
		b->why[i][0] = '\0';
		b->moved[i][0] = '\0';
		if (!b->done[i])
			mbx_jw_str(&w, rec_id(b, i));
	}
	mbx_jw_end(&w);
	mbx_jw_end(&w);
	r->on_body = on_body;
	r->on_reset = on_reset;
	r->on_done = on_done;
	r->ctx = b;
	mbx_xparse_free(b->xp);
	b->xp = mbx_xparse_new(on_element, b, MBX_FRAME_MAX_PAYLOAD);
	pending++;
	mbx_http_submit(graph.http, r);
}

/* Take the filling batch of b out of the list and send it. */
static void
flush(struct batch *b)
{
	struct batch **p;

	for (p = &filling; *p; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			break;
		}
	b->next = NULL;
	submit(b);
}

static void
add_item(const char *mailbox, yajl_val rec)
{
	struct batch *b;

	for (b = filling; b && strcmp(b->mailbox, mailbox) != 0; b = b->next)
		;
	if (!b) {
		b = mbx_xcalloc(1, sizeof *b);
		mbx_strlcpy(b->mailbox, mailbox, sizeof b->mailbox);
		b->next = filling;
		filling = b;
	}
	b->recs[b->n++] = rec;
	if (b->n == BATCH)
		flush(b);
}

/* Keep reading only while few calls wait: memory stays flat however long the input. */
static void
backpressure(void)
{
	while (pending >= 4 * mbx_opt.jobs) {
		mbx_http_step(graph.http, 1000);
		mbx_progress_tick();
	}
}

static void
take_record(yajl_val rec, unsigned long line)
{
	const char *t = mbx_record_type(rec), *mbx = mbx_json_str(rec, "mailbox");

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
		add_item(mbx, rec);
		return;
	}
	yajl_tree_free(rec);
}

static void
read_input(void)
{
	struct mbx_reader rd;
	char err[512];
	yajl_val rec;
	int rc;

	mbx_reader_init(&rd, stdin, "stdin", (size_t)16 << 20);
	while (!stopped && (rc = mbx_reader_next(&rd, &rec, err, sizeof err)) != 0) {
		if (rc < 0) {
			mbx_record_error(NULL, NULL, "BadRecord", "%s", err);
			st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
		} else {
			take_record(rec, rd.lineno);
		}
		backpressure();
		mbx_http_step(graph.http, 0);
		mbx_progress_tick();
	}
	prog.total = st.records;                 /* the input is over: exactly these */
	mbx_reader_free(&rd);
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
		take_record(mbx_json_parse(b.data, b.len, NULL, 0), 0);
		mbx_buf_free(&b);
		backpressure();
	}
}

static void
progress_fill(struct mbx_progress *p)
{
	const struct mbx_http_stats *h = mbx_http_stats(graph.http);

	p->done = st.ok + st.failed;
	p->failed = st.failed;
	p->bytes = st.bytes;
	p->waits = h->throttled;
	p->waited = h->waited;
}

static void
stats_fields(struct mbx_jw *w, void *ctx)
{
	double el = mbx_graph_elapsed(&graph);
	char rate[64];

	(void)ctx;
	mbx_jw_kint(w, "items", (long long)st.records);
	mbx_jw_kint(w, "ok", (long long)st.ok);
	mbx_jw_kint(w, "failed", (long long)st.failed);
	mbx_jw_kint(w, "bytes", (long long)st.bytes);
	snprintf(rate, sizeof rate, "%.1f", el > 0 ? st.ok / el : 0);
	mbx_jw_key(w, "itemsPerSecond");
	mbx_jw_raw(w, rate);
}

int
main(int argc, char **argv)
{
	const char *mailbox = NULL;
	int c;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1) {
		if (c == OPT_NDJSON)
			ndjson = 1;
		else if (c == OPT_MAILBOX)
			mailbox = optarg;
	}
	argc -= optind;
	argv += optind;
	if ((mailbox && argc == 0) || (!mailbox && argc > 0))
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	/* an item's header, payload and LF leave in one write (flushed per item); glibc
	 * ignores the size when it allocates the buffer itself */
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	mbx_graph_init(&graph);
	prog.fill = progress_fill;
	mbx_progress_start(&prog);
	if (mailbox)
		from_args(mailbox, argc, argv);
	else
		read_input();
	while (filling)
		flush(filling);
	while (mbx_http_step(graph.http, 1000) > 0)   /* mbx_http_run, with the line */
		mbx_progress_tick();
	mbx_progress_end();
	mbx_stats_write(&graph, stats_fields, NULL);
	mbx_debug("%lu items exported, %lu failed", st.ok, st.failed);
	mbx_graph_free(&graph);
	return stopped ? stopped : st.worst;
}
