/* export.c: exportItems (graph-api.md 3.13), streamed. What an answer needs of its items
 * is taken under the store lock (a reference to a stored blob, a generated item's
 * parameters); the answer is then written as the connection takes it, each item's
 * stream made when its turn comes and encoded to base64 a chunk at a time. Memory is
 * one item's stream at most, whatever the sizes; a stream that cannot be made becomes
 * that item's per-item error, never an empty or cut "data". */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "routes.h"

#define CHUNK ((size_t)48 << 10)     /* raw bytes per base64 piece (a multiple of 3) */

struct entry {
	char *id, *change_key, *code, *message;
	struct gd_item item;       /* generator parameters, or a reference to the blob */
};

enum { S_HEAD, S_ENTRY, S_DATA, S_TAIL, S_END };

struct xstream {
	struct entry e[20];
	size_t n, i;
	int stage;
	struct mbx_buf out;        /* made, not yet sent (from off) */
	size_t off;
	struct mbx_buf gen;        /* the current generated item's stream */
	const unsigned char *src;  /* the current item's stream */
	size_t srclen, srcoff;
	unsigned long long sent;
	int truncate;              /* fault: stop at cut and drop the connection */
	unsigned long long cut;
	char context[512];
};

/* The auxiliary mailbox of archive m that holds item id, or NULL. */
static struct gd_mailbox *
aux_of(struct gd_mailbox *m, const char *id)
{
	size_t i;

	for (i = 0; i < m->store->nmbxs; i++)
		if (m->store->mbxs[i]->main == m && gd_mailbox_item(m->store->mbxs[i], id))
			return m->store->mbxs[i];
	return NULL;
}

/* 3.17: the item lives in an auxiliary mailbox; re-POST to the URL in message. */
static void
moved(struct entry *e, const struct gd_mailbox *aux, const char *self)
{
	struct mbx_buf u;

	mbx_buf_init(&u, 0);
	mbx_buf_printf(&u, "%s/beta/admin/Exchange/Mailboxes/", self);
	mbx_url_escape(&u, aux->id);
	mbx_buf_puts(&u, "/exportItems");
	e->message = mbx_buf_steal(&u);
	e->code = mbx_strdup("ErrorArchiveFolderMovedPermanently");
}

static void
entry_take(struct entry *e, struct gd_mailbox *m, const char *id, const char *fail,
	   const char *self)
{
	struct gd_item *it = gd_mailbox_item(m, id);
	struct gd_mailbox *aux;
	size_t i;

	memset(e, 0, sizeof *e);
	e->id = mbx_strdup(id);
	if (!fail && !it && (aux = aux_of(m, id)) != NULL) {
		moved(e, aux, self);
		return;
	}
	if (fail || !it) {
		e->code = mbx_strdup(fail ? fail : gd_id_wellformed(id) ? "ErrorItemNotFound"
				     : "ErrorInvalidIdMalformed");
		return;
	}
	e->change_key = mbx_strdup(it->change_key);
	e->item.gen_seed = it->gen_seed;
	e->item.gen_size = it->gen_size;
	e->item.blob = gd_blob_ref(it->blob);
	e->item.cls = mbx_strdup(it->cls);
	e->item.cats = mbx_xcalloc(it->ncats + 1, sizeof *e->item.cats);
	for (i = 0; i < it->ncats; i++)
		e->item.cats[i] = mbx_strdup(it->cats[i]);
	e->item.ncats = it->ncats;
}

static void
entry_free(struct entry *e)
{
	size_t i;

	free(e->id);
	free(e->change_key);
	free(e->code);
	free(e->message);
	free(e->item.cls);
	for (i = 0; i < e->item.ncats; i++)
		free(e->item.cats[i]);
	free(e->item.cats);
	gd_blob_unref(e->item.blob);
	memset(e, 0, sizeof *e);
}

/* ---------------------------------------------------------------- the answer */

static void
put_error(struct xstream *x, const struct entry *e, const char *code, const char *msg)
{
	struct mbx_jw w;

	mbx_jw_init(&w, &x->out);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "itemId", e->id);
	mbx_jw_key(&w, "error");
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "code", code);
	mbx_jw_kstr(&w, "message", msg);
	mbx_jw_end(&w);
	mbx_jw_end(&w);
}

/* The item's stream in x->src: 0, or -1 when it cannot be made (its bound). */
static int
open_stream(struct xstream *x, const struct entry *e)
{
	if (e->item.blob) {
		x->src = e->item.blob->bytes;
		x->srclen = e->item.blob->len;
	} else {
		mbx_buf_init(&x->gen, GD_STREAM_MAX);
		if (gd_item_stream(&e->item, &x->gen) < 0) {
			mbx_buf_free(&x->gen);
			return -1;
		}
		x->src = (const unsigned char *)x->gen.data;
		x->srclen = x->gen.len;
	}
	x->srcoff = 0;
	return 0;
}

/* The start of entry i: a per-item error whole, or the members before the data. */
static void
entry_start(struct xstream *x)
{
	struct entry *e = &x->e[x->i];
	struct mbx_jw w;

	if (x->i)
		mbx_buf_putc(&x->out, ',');
	if (e->code || open_stream(x, e) < 0) {
		put_error(x, e, e->code ? e->code : "generalException", e->message ? e->message
			  : e->code ? "The specified object was not found in the store."
			  : "The item's stream could not be made.");
		entry_free(e);
		x->i++;
		return;
	}
	mbx_jw_init(&w, &x->out);       /* observed order: itemId, changeKey, data (3.13) */
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "itemId", e->id);
	mbx_jw_kstr(&w, "changeKey", e->change_key);
	mbx_jw_key(&w, "data");
	mbx_buf_putc(&x->out, '"');
	if (x->truncate && !x->cut)      /* the fault cuts the first stream in half */
		x->cut = x->sent + x->out.len + mbx_b64_encoded_len(x->srclen) / 2;
	x->stage = S_DATA;
}

static void
data_piece(struct xstream *x)
{
	size_t k = x->srclen - x->srcoff < CHUNK ? x->srclen - x->srcoff : CHUNK;

	mbx_b64_encode(&x->out, x->src + x->srcoff, k);
	x->srcoff += k;
	if (x->srcoff < x->srclen)
		return;
	mbx_buf_puts(&x->out, "\"}");
	mbx_buf_free(&x->gen);
	entry_free(&x->e[x->i]);
	x->i++;
	x->stage = S_ENTRY;
}

/* Make the next piece of the answer into x->out. */
static void
refill(struct xstream *x)
{
	mbx_buf_reset(&x->out);
	x->off = 0;
	switch (x->stage) {
	case S_HEAD:
		mbx_buf_printf(&x->out, "{\"@odata.context\":\"%s\",\"value\":[", x->context);
		x->stage = S_ENTRY;
		break;
	case S_ENTRY:
		if (x->i < x->n)
			entry_start(x);
		else
			x->stage = S_TAIL;
		break;
	case S_DATA:
		data_piece(x);
		break;
	case S_TAIL:
		if (x->truncate && !x->cut)    /* no stream to cut: the end goes missing */
			x->cut = x->sent;
		mbx_buf_puts(&x->out, "]}");
		x->stage = S_END;
		break;
	}
}

/* As much as the server asks for, a piece after another: a piece per call made a write,
 * and a TLS record, of a few hundred bytes for every item's head, which the client then
 * took in as many reads and wake-ups. */
static long
xread(void *cls, char *buf, size_t max)
{
	struct xstream *x = cls;
	size_t k, n = 0;

	while (n < max) {
		while (x->off == x->out.len) {
			if (x->stage == S_END)
				return (long)n;
			refill(x);
		}
		k = x->out.len - x->off < max - n ? x->out.len - x->off : max - n;
		if (x->truncate && x->cut && x->sent + k > x->cut)
			k = (size_t)(x->cut - x->sent);
		if (k == 0)                    /* the fault's cut: what came before it goes */
			return n ? (long)n : -1;
		memcpy(buf + n, x->out.data + x->off, k);
		x->off += k;
		x->sent += k;
		n += k;
	}
	return (long)n;
}

static void
xdone(void *cls)
{
	struct xstream *x = cls;
	size_t i;

	for (i = 0; i < x->n; i++)
		entry_free(&x->e[i]);
	mbx_buf_free(&x->out);
	mbx_buf_free(&x->gen);
	free(x);
}

/* ---------------------------------------------------------------- the request */

static yajl_val
export_ids(struct gd_req *r)
{
	yajl_val v = mbx_json_parse(r->body.data ? r->body.data : "", r->body.len, NULL, 0);
	yajl_val ids = mbx_json_get(v, "itemIds");      /* CSDL says ItemIds (8.2) */
	size_t i;

	for (i = 0; ids && YAJL_IS_ARRAY(ids) && i < ids->u.array.len; i++)
		if (!YAJL_IS_STRING(ids->u.array.values[i]) ||
		    strlen(ids->u.array.values[i]->u.string) > 1024)   /* echoed in the answer */
			ids = NULL;
	if (!ids || !YAJL_IS_ARRAY(ids) || ids->u.array.len < 1 || ids->u.array.len > 20) {
		gd_json_error(r, 400, "ErrorInvalidRequest",
			      "itemIds must be an array of 1 to 20 item ids of this mailbox.");
		yajl_tree_free(v);
		return NULL;
	}
	return v;
}

/* The entries, under the store lock: 0, or -1 with the error in r. */
static int
take_all(struct gd_server *sv, struct gd_req *r, const struct gd_path *p,
	 const struct gd_oauth_principal *pr, yajl_val ids, struct xstream *x)
{
	struct gd_mailbox *m;
	size_t i;
	int rc = -1;

	gd_store_lock(&sv->store);
	m = gd_mailbox_find(&sv->store, p->seg[4]);
	if (gd_mailbox_checks(r, m, pr, p) == 0) {
		for (i = (size_t)r->omit; i < ids->u.array.len; i++)
			entry_take(&x->e[x->n++], m, ids->u.array.values[i]->u.string,
				   *r->itemerror && i == (size_t)r->omit ? r->itemerror : NULL,
				   r->self);
		rc = 0;
	}
	gd_store_unlock(&sv->store);
	return rc;
}

void
gd_export(struct gd_server *sv, struct gd_req *r, const struct gd_path *p)
{
	struct gd_oauth_principal pr;
	struct xstream *x;
	yajl_val v;

	if (gd_authorise(sv, r, "MailboxItem.Export.All", "MailboxItem.ImportExport.All", &pr) < 0)
		return;
	if (strcasecmp(r->method, "POST") != 0) {
		gd_json_error(r, 405, "Request_BadRequest", "exportItems is an action: use POST.");
		return;
	}
	if (!(v = export_ids(r)))
		return;
	x = mbx_xcalloc(1, sizeof *x);
	mbx_buf_init(&x->out, 0);
	mbx_buf_init(&x->gen, GD_STREAM_MAX);
	snprintf(x->context, sizeof x->context, "%s/beta/$metadata#Collection(microsoft.graph."
		 "exportItemResponse)", r->self);
	if (take_all(sv, r, p, &pr, mbx_json_get(v, "itemIds"), x) < 0) {
		xdone(x);
	} else {
		x->truncate = r->truncated;
		r->status = 200;
		mbx_buf_reset(&r->out);
		r->stream.read = xread;
		r->stream.done = xdone;
		r->stream.cls = x;
	}
	yajl_tree_free(v);
}
