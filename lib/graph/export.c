/* export.c: the export engine (mbx.h). Item records go in, FastTransfer streams come out
 * through exportItems (graph-api.md 3.13): ids grouped per mailbox in calls of at most 20,
 * each mailbox on its own lane of the HTTP engine (--jobs in flight per mailbox, the
 * service's limit being per mailbox), up to opts.mailboxes mailboxes at once. Records
 * wait in per-mailbox queues; past a bounded read-ahead they spill to an unlinked
 * temporary file, per mailbox in chunks, and come back in order (DESIGN-NOTES "Export"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "fx.h"
#include "mbx.h"

#define BATCH 20               /* the service's limit per call */
#define MAX_TRIES 10           /* per item: missing entries and per-item errors */
#define CHUNK ((size_t)64 << 10)       /* a mailbox's spilled records are written in these */
#define TAILS_MAX ((size_t)4 << 20)    /* all mailboxes' unwritten spill, at most */
#define SPILL_MAX ((unsigned long long)256 << 20)  /* read-ahead on disk, at most */
#define EAGER_MAX ((unsigned long long)32 << 20)   /* read ahead of need, many mailboxes */
#define NBUCKET 1024

struct rnode {                 /* a record waiting in memory */
	yajl_val rec;
	struct rnode *next;
};

struct chunk {                 /* spilled records of one mailbox, in the file */
	off_t off;
	size_t len;
	struct chunk *next;
};

struct xmbx {
	char id[192];
	struct rnode *head, *tail;
	size_t nmem, nspill;       /* records in memory, records spilled */
	struct chunk *ch_head, *ch_tail;
	struct mbx_buf stail;      /* spilled records not yet written to the file */
	int batches;               /* batches submitted and not settled */
	int active, waiting, urgent;
	struct xmbx *hnext, *next, *wnext;
};

struct batch {
	struct mbx_export *x;
	struct xmbx *m;
	yajl_val recs[BATCH];      /* the input records: the frame headers */
	int tries[BATCH], done[BATCH];
	char code[BATCH][64];      /* last per-item error code */
	char why[BATCH][256];      /* and what was wrong, when the code does not say it */
	char moved[BATCH][192];    /* 3.17: the auxiliary mailbox to ask instead */
	int n;
	struct mbx_xparse *xp;
};

struct mbx_export {
	struct mbx_graph *g;
	struct mbx_export_opts o;
	mbx_export_item_cb on_item;
	mbx_export_fail_cb on_fail;
	void *ctx;
	struct xmbx *bucket[NBUCKET], *all, **all_tail;
	struct xmbx *wait_head, *wait_tail;    /* ready, waiting for a --mailboxes slot */
	int nactive, eof, worst;
	struct mbx_err stop;       /* the failure that stopped the run: kind NONE until one */
	size_t nmbx;               /* mailboxes seen */
	size_t nmem;               /* records in memory, all mailboxes */
	size_t tails;              /* bytes in all stail buffers */
	FILE *spill;
	off_t spill_end;
	unsigned long long spilled_bytes;   /* in the file and not yet read back */
	const struct mbx_buf *line;    /* the input line of the record being taken, or NULL */
	struct mbx_export_stats st;
};

static void consider(struct mbx_export *x, struct xmbx *m);

static const char *
rec_id(const struct batch *b, int i)
{
	return mbx_json_str(b->recs[i], "id");
}

static struct xmbx *
mailbox_of(struct mbx_export *x, const char *id)
{
	unsigned h = 2166136261u;
	const char *p;
	struct xmbx *m;

	for (p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;        /* FNV-1a */
	for (m = x->bucket[h % NBUCKET]; m; m = m->hnext)
		if (strcmp(m->id, id) == 0)
			return m;
	m = mbx_xcalloc(1, sizeof *m);
	mbx_strlcpy(m->id, id, sizeof m->id);
	mbx_buf_init(&m->stail, 0);
	m->hnext = x->bucket[h % NBUCKET];
	x->bucket[h % NBUCKET] = m;
	*x->all_tail = m;
	x->all_tail = &m->next;
	x->nmbx++;
	return m;
}

/* ------------------------------------------------------------------- queues */

static size_t
mem_per_mailbox(const struct mbx_export *x)
{
	return (size_t)4 * x->o.jobs * BATCH;
}

static void
push_mem(struct mbx_export *x, struct xmbx *m, yajl_val rec)
{
	struct rnode *n = mbx_xmalloc(sizeof *n);

	n->rec = rec;
	n->next = NULL;
	if (m->tail)
		m->tail->next = n;
	else
		m->head = n;
	m->tail = n;
	m->nmem++;
	x->nmem++;
}

static void
spill_fail(void)
{
	mbx_die(MBX_EXIT_IO, "cannot use a temporary file for the read-ahead: %s",
		strerror(errno));
}

/* Write m's unwritten spilled records to the end of the file as one chunk. */
static void
write_chunk(struct mbx_export *x, struct xmbx *m)
{
	struct chunk *c;

	if (!m->stail.len)
		return;
	if (!x->spill && !(x->spill = tmpfile()))
		spill_fail();
	if (pwrite(fileno(x->spill), m->stail.data, m->stail.len, x->spill_end) !=
	    (ssize_t)m->stail.len)
		spill_fail();
	c = mbx_xcalloc(1, sizeof *c);
	c->off = x->spill_end;
	c->len = m->stail.len;
	x->spill_end += (off_t)c->len;
	x->spilled_bytes += c->len;
	if (m->ch_tail)
		m->ch_tail->next = c;
	else
		m->ch_head = c;
	m->ch_tail = c;
	x->tails -= m->stail.len;
	mbx_buf_reset(&m->stail);
}

static void
spill(struct mbx_export *x, struct xmbx *m, yajl_val rec)
{
	struct mbx_jw w;
	size_t before = m->stail.len;

	if (x->line)                /* the record as read: a line holds no LF */
		mbx_buf_append(&m->stail, x->line->data, x->line->len);
	else {
		mbx_jw_init(&w, &m->stail);
		mbx_jw_val(&w, rec);
	}
	mbx_buf_putc(&m->stail, '\n');
	yajl_tree_free(rec);
	x->tails += m->stail.len - before;
	m->nspill++;
	x->st.spilled++;
	if (m->stail.len >= CHUNK || x->tails > TAILS_MAX)
		write_chunk(x, m);
}

/* Parse the records of one chunk (or of the unwritten tail) into m's memory queue. */
static void
unspill_text(struct mbx_export *x, struct xmbx *m, const char *p, size_t n)
{
	const char *end = p + n, *nl;
	char err[256];
	yajl_val rec;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (!(rec = mbx_json_parse(p, (size_t)(nl - p), err, sizeof err)))
			mbx_die(MBX_EXIT_SOFTWARE, "cannot read back a spilled record: %s", err);
		push_mem(x, m, rec);
		m->nspill--;
	}
}

/* Bring m's spilled records back into memory, a chunk at a time, in order. */
static void
refill(struct mbx_export *x, struct xmbx *m)
{
	struct chunk *c;
	char *buf;

	while (m->nspill && m->nmem < mem_per_mailbox(x) / 2) {
		if (!(c = m->ch_head)) {
			x->tails -= m->stail.len;
			unspill_text(x, m, m->stail.data, m->stail.len);
			mbx_buf_reset(&m->stail);
			continue;
		}
		buf = mbx_xmalloc(c->len);
		if (pread(fileno(x->spill), buf, c->len, c->off) != (ssize_t)c->len)
			spill_fail();
		unspill_text(x, m, buf, c->len);
		free(buf);
		x->spilled_bytes -= c->len;
		if (!(m->ch_head = c->next))
			m->ch_tail = NULL;
		free(c);
	}
	if (x->spill && !x->spilled_bytes && x->spill_end) {   /* all read back: start over */
		if (ftruncate(fileno(x->spill), 0) == 0)
			x->spill_end = 0;
	}
}

static yajl_val
pop(struct mbx_export *x, struct xmbx *m)
{
	struct rnode *n;
	yajl_val rec;

	if (!m->head)
		refill(x, m);
	if (!(n = m->head))
		return NULL;
	if (!(m->head = n->next))
		m->tail = NULL;
	rec = n->rec;
	free(n);
	m->nmem--;
	x->nmem--;
	if (m->nmem < mem_per_mailbox(x) / 2)
		refill(x, m);
	return rec;
}

static void
enqueue(struct mbx_export *x, struct xmbx *m, yajl_val rec)
{
	/* spilled records of m go first: a mailbox's records keep their order */
	if (m->nspill || m->nmem >= mem_per_mailbox(x) ||
	    (x->nmem >= x->o.read_ahead && !m->active))
		spill(x, m, rec);
	else
		push_mem(x, m, rec);
}

/* ------------------------------------------------------------------ batches */

/* The item failed for good: the consumer writes its error frame (mbx-frames(5)). */
static void
fail_item(struct batch *b, int i, const char *code, const char *msg)
{
	b->done[i] = 1;
	b->x->st.failed++;
	b->x->on_fail(b->x->ctx, b->m->id, rec_id(b, i), code, msg);
}

static int
find(const struct batch *b, const char *id)
{
	int i;

	for (i = 0; id && i < b->n; i++)
		if (!b->done[i] && b->recs[i] && strcmp(rec_id(b, i), id) == 0)
			return i;
	return -1;
}

/* 3.17: the item lives in an auxiliary archive mailbox; the error's message is the
 * exportItems URL to ask. Only a URL on the Graph host naming another mailbox is
 * followed: the item then joins the queue of that mailbox. */
static void
moved_to(struct batch *b, int i, const char *url)
{
	const char *m = strcasestr(url, "/mailboxes/"), *end;
	char *aux;

	snprintf(b->code[i], sizeof b->code[i], "ErrorArchiveFolderMovedPermanently");
	if (!m || !mbx_url_same_origin(url, b->x->g->base) ||
	    !(end = strcasestr(m, "/exportItems")))
		return;                     /* not followed: retried, then an error frame */
	aux = mbx_url_unescape(m + 11, (size_t)(end - m - 11), 0);
	if (aux && strcmp(aux, b->m->id) != 0 && strlen(aux) < sizeof b->moved[i])
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
	b->done[i] = 1;
	b->x->st.ok++;
	b->x->st.bytes += e->data->len;
	b->x->on_item(b->x->ctx, b->recs[i], e->data->data, e->data->len);
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

static void
batch_free(struct batch *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		yajl_tree_free(b->recs[i]);
	mbx_xparse_free(b->xp);
	free(b);
}

/* The batch is over: its mailbox may take more, or give its slot to the next one. */
static void
batch_end(struct batch *b)
{
	struct mbx_export *x = b->x;
	struct xmbx *m = b->m;

	batch_free(b);
	m->batches--;
	consider(x, m);
}

/* Items the response did not deliver: asked again a few times, then error frames. */
static void
settle(struct batch *b, const char *why)
{
	struct mbx_export *x = b->x;
	struct xmbx *aux;
	int i, again = 0;

	for (i = 0; i < b->n && !x->stop.kind; i++) {  /* stopped: the exit code says it */
		if (b->done[i])
			continue;
		if (*b->moved[i]) {             /* asked of its auxiliary mailbox instead */
			b->done[i] = 1;
			aux = mailbox_of(x, b->moved[i]);
			push_mem(x, aux, b->recs[i]);   /* in memory: it is not input order */
			b->recs[i] = NULL;
			aux->urgent = 1;        /* sent now: the input may be over already */
			consider(x, aux);
			continue;
		}
		if (++b->tries[i] >= MAX_TRIES || !strcmp(b->code[i], "ErrorItemNotFound") ||
		    !strcmp(b->code[i], "ErrorInvalidIdMalformed"))
			fail_item(b, i, *b->code[i] ? b->code[i] : "NotReturned",
				  *b->why[i] ? b->why[i] : *b->code[i] ? b->code[i] : why);
		else
			again = 1;
	}
	if (again && !x->stop.kind)
		submit(b);
	else
		batch_end(b);
}

/* No token could be had, or the service refused a fresh one (401): every call would
 * fail the same, so the run stops with one line, as the other programs do (mbx(7) EXIT
 * STATUS). What was written stays; calls in flight finish. A 403 stays a failure of
 * that mailbox's items: an application may be allowed some mailboxes only. */
static int
stop_run(struct mbx_req *r, struct batch *b)
{
	char msg[1024];

	if (!mbx_req_fails_all(r))
		return 0;
	if (!b->x->stop.kind) {
		mbx_graph_errmsg(r, msg, sizeof msg);
		mbx_err("cannot export items of '%s': %s", b->m->id, msg);
		mbx_err_set(&b->x->stop, MBX_ERR_AUTH, NULL,
			    "cannot export items of '%s': %s", b->m->id, msg);
	}
	mbx_req_free(r);
	batch_end(b);
	return 1;
}

static void
on_done(struct mbx_req *r)
{
	struct batch *b = r->ctx;
	struct mbx_err e;
	char code[128];
	int i;

	if (stop_run(r, b))
		return;
	if (mbx_graph_failed(r, &e) == 0 && mbx_xparse_finish(b->xp) < 0)
		mbx_warn("incomplete exportItems response for '%s': %s", b->m->id,
			 mbx_xparse_error(b->xp));
	if (e.kind != MBX_ERR_NONE) {
		mbx_graph_errcode(r, code, sizeof code);
		for (i = 0; i < b->n; i++)
			if (!b->done[i])
				fail_item(b, i, code, e.msg);
		b->x->worst = mbx_exit_worst(b->x->worst, mbx_exit_of(e.kind));
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

	r = mbx_graph_req("POST", b->m->id, mbx_graph_url(b->x->g,
		"admin/exchange/mailboxes/%s/exportItems", b->m->id), 1);
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
	b->x->st.calls++;
	mbx_http_submit(b->x->g->http, r);
}

/* ---------------------------------------------------------------- scheduling */

static size_t
queued(const struct xmbx *m)
{
	return m->nmem + m->nspill;
}

/* A full batch, or a short one when no more can come (end of input, moved items). */
static int
ready(const struct mbx_export *x, const struct xmbx *m)
{
	return queued(m) >= BATCH || (queued(m) > 0 && (x->eof || m->urgent));
}

static void
activate_next(struct mbx_export *x)
{
	struct xmbx *w;

	while (x->nactive < x->o.mailboxes && (w = x->wait_head)) {
		if (!(x->wait_head = w->wnext))
			x->wait_tail = NULL;
		w->waiting = 0;
		w->wnext = NULL;
		consider(x, w);
	}
}

/* Start what m may start: --jobs calls in flight on its lane and as many waiting there,
 * so that a finished call is followed at once. A mailbox holds one of the --mailboxes
 * slots while it has calls; without any and without a full batch it gives it back. */
static void
consider(struct mbx_export *x, struct xmbx *m)
{
	struct batch *b;
	yajl_val rec;

	if (x->stop.kind)
		return;
	if (!m->active && ready(x, m)) {
		if (x->nactive < x->o.mailboxes) {
			m->active = 1;
			x->nactive++;
		} else if (!m->waiting) {
			m->waiting = 1;
			if (x->wait_tail)
				x->wait_tail->wnext = m;
			else
				x->wait_head = m;
			x->wait_tail = m;
		}
	}
	while (m->active && m->batches < 2 * x->o.jobs && ready(x, m)) {
		b = mbx_xcalloc(1, sizeof *b);
		b->x = x;
		b->m = m;
		while (b->n < BATCH && (rec = pop(x, m)) != NULL)
			b->recs[b->n++] = rec;
		if (!queued(m))
			m->urgent = 0;
		m->batches++;
		submit(b);
	}
	if (m->active && !m->batches) {
		m->active = 0;
		x->nactive--;
		activate_next(x);
	}
}

/* ---------------------------------------------------------------------- API */

struct mbx_export *
mbx_export_new(struct mbx_graph *g, const struct mbx_export_opts *o,
	       mbx_export_item_cb on_item, mbx_export_fail_cb on_fail, void *ctx)
{
	struct mbx_export *x = mbx_xcalloc(1, sizeof *x);

	x->g = g;
	x->o = *o;
	if (x->o.jobs < 1)
		x->o.jobs = mbx_opt.jobs > 0 ? mbx_opt.jobs : 4;
	if (x->o.mailboxes < 1)
		x->o.mailboxes = MBX_EXPORT_MAILBOXES;
	if (!x->o.read_ahead)
		x->o.read_ahead = MBX_EXPORT_READ_AHEAD;
	x->on_item = on_item;
	x->on_fail = on_fail;
	x->ctx = ctx;
	x->all_tail = &x->all;
	return x;
}

int
mbx_export_add(struct mbx_export *x, yajl_val rec, struct mbx_err *e)
{
	struct xmbx *m;

	mbx_err_clear(e);
	if (x->stop.kind) {
		yajl_tree_free(rec);
		*e = x->stop;
		return -1;
	}
	m = mailbox_of(x, mbx_json_str(rec, "mailbox"));
	enqueue(x, m, rec);
	consider(x, m);
	return 0;
}

/* Reading more helps when a slot could be used and nothing ready waits for one, or when
 * a mailbox in flight is running short; otherwise one mailbox's input waits (memory and
 * the temporary file stay small). Records of many mailboxes are read ahead of need, up to
 * EAGER_MAX on disk: upstream (mbx-ls, one process listing them all) writes them in its
 * own order and stalls every listing while a write to us blocks, which starves the
 * mailboxes whose pages are behind the blocked one. */
int
mbx_export_hungry(const struct mbx_export *x)
{
	const struct xmbx *m;
	int n = 0;

	if (x->stop.kind || x->spilled_bytes + x->tails >= SPILL_MAX)
		return 0;
	if (x->nmbx > 1 && x->spilled_bytes + x->tails < EAGER_MAX)
		return 1;
	for (m = x->wait_head; m; m = m->wnext)
		n++;
	if (x->nactive + n < x->o.mailboxes)
		return 1;
	for (m = x->all; m; m = m->next)
		if (m->active && queued(m) < mem_per_mailbox(x))
			return 1;
	return 0;
}

int
mbx_export_poll(struct mbx_export *x, int wait_ms)
{
	return mbx_http_step(x->g->http, wait_ms);
}

void
mbx_export_wait(struct mbx_export *x)
{
	while (!mbx_export_hungry(x) && mbx_export_poll(x, 1000) > 0)
		mbx_progress_tick();
}

unsigned long
mbx_export_read(struct mbx_export *x, FILE *in, mbx_export_take_cb take, void *ctx)
{
	struct mbx_reader rd;
	char err[512];
	yajl_val rec;
	unsigned long lines;
	int rc;

	mbx_reader_init(&rd, in, "stdin", (size_t)16 << 20);
	for (;;) {
		while (!x->stop.kind && mbx_input_waits(in) &&
		       mbx_http_step_in(x->g->http, 100, fileno(in)) > 0)
			mbx_progress_tick();
		if (x->stop.kind || (rc = mbx_reader_next(&rd, &rec, err, sizeof err)) == 0)
			break;
		x->line = rc < 0 ? NULL : &rd.line;    /* spilled as read, not written anew */
		take(ctx, rc < 0 ? NULL : rec, rd.lineno, rc < 0 ? err : NULL);
		x->line = NULL;
		mbx_export_wait(x);
		/* a round of the engine costs a pass over every connection: every 32
		 * records keeps calls fed without slowing the read-ahead of a sorted input */
		if (rd.lineno % 32 == 0)
			mbx_export_poll(x, 0);
		mbx_progress_tick();
	}
	lines = rd.lineno;
	mbx_reader_free(&rd);
	return lines;
}

int
mbx_export_finish(struct mbx_export *x, struct mbx_err *e)
{
	struct xmbx *m;

	mbx_err_clear(e);
	x->eof = 1;
	for (m = x->all; m; m = m->next)
		consider(x, m);
	while (mbx_http_step(x->g->http, 1000) > 0)
		mbx_progress_tick();
	if (x->stop.kind)
		*e = x->stop;
	else if (x->worst)
		mbx_err_set(e, mbx_err_kind_of(x->worst), NULL, "some exportItems calls failed: "
			    "their items are error frames");
	return e->kind == MBX_ERR_NONE ? 0 : -1;
}

const struct mbx_err *
mbx_export_stopped(const struct mbx_export *x)
{
	return x->stop.kind ? &x->stop : NULL;
}

const struct mbx_export_stats *
mbx_export_stats(const struct mbx_export *x)
{
	return &x->st;
}

void
mbx_export_free(struct mbx_export *x)
{
	struct xmbx *m, *mn;
	struct rnode *r, *rn;
	struct chunk *c, *cn;

	if (!x)
		return;
	for (m = x->all; m; m = mn) {
		mn = m->next;
		for (r = m->head; r; r = rn) {
			rn = r->next;
			yajl_tree_free(r->rec);
			free(r);
		}
		for (c = m->ch_head; c; c = cn) {
			cn = c->next;
			free(c);
		}
		mbx_buf_free(&m->stail);
		free(m);
	}
	if (x->spill)
		fclose(x->spill);
	free(x);
}
