/* delta.c: folders/delta, childFolders/delta and items/delta (graph-api.md 3.8, 3.11, 5).
 * Every create, change and removal takes the next number of the store's change sequence;
 * a round lists what changed after the token's number up to the number when the round
 * began, in sequence order, so paging with a cursor neither skips nor repeats while the
 * mailbox changes. Tokens are opaque to clients (base64url of a small JSON object) and
 * survive a restart with --state; /_admin/delta/expire makes the ones issued so far
 * expire (410 Gone, syncStateNotFound), as the service's do when its cache is gone. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "routes.h"
#include "odata.h"

enum { D_FOLDERS, D_CHILDREN, D_ITEMS };

struct dtok {
	int kind;
	char folder[256];          /* childFolders/items: the folder's id */
	uint64_t from, to, after;  /* changes after from, up to to; cursor after */
	long epoch, top;
	char filter[256];          /* items: the first call's $filter, kept for the round */
};

struct dentry {                /* one change: a live object or a tombstone */
	uint64_t seq;
	const void *obj;           /* gd_folder / gd_item, or NULL */
	const struct gd_tomb *tomb;
	int root;
};

/* ---------------------------------------------------------------- tokens */

static void
tok_encode(const struct dtok *t, const char *mailbox, struct mbx_buf *out)
{
	struct mbx_buf b;
	struct mbx_jw w;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kint(&w, "k", t->kind);
	mbx_jw_kstr(&w, "m", mailbox);
	mbx_jw_kstr(&w, "f", t->folder);
	mbx_jw_kint(&w, "from", (long long)t->from);
	mbx_jw_kint(&w, "to", (long long)t->to);
	mbx_jw_kint(&w, "after", (long long)t->after);
	mbx_jw_kint(&w, "e", t->epoch);
	mbx_jw_kint(&w, "top", t->top);
	mbx_jw_kstr(&w, "flt", t->filter);
	mbx_jw_end(&w);
	mbx_b64url_encode(out, b.data, b.len);
	mbx_buf_free(&b);
}

static int
tok_num(yajl_val v, const char *k, uint64_t *out)
{
	long long n;

	if (mbx_json_num(v, k, &n) < 0 || n < 0)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

/* 0 ok; -1 not one of ours, or for another mailbox, folder or kind. */
static int
tok_decode(const char *s, const char *mailbox, struct dtok *t)
{
	struct mbx_buf b;
	yajl_val v;
	uint64_t k, e, top;
	int rc = -1;

	mbx_buf_init(&b, 4096);
	if (mbx_b64_decode(&b, s, strlen(s)) >= 0 && b.len > 0 &&
	    (v = mbx_json_parse(b.data, b.len, NULL, 0)) != NULL) {
		if (tok_num(v, "k", &k) == 0 && (int)k == t->kind && mbx_json_str(v, "m") &&
		    strcmp(mbx_json_str(v, "m"), mailbox) == 0 && mbx_json_str(v, "f") &&
		    strcmp(mbx_json_str(v, "f"), t->folder) == 0 && tok_num(v, "from", &t->from) == 0 &&
		    tok_num(v, "to", &t->to) == 0 && tok_num(v, "after", &t->after) == 0 &&
		    tok_num(v, "e", &e) == 0 && tok_num(v, "top", &top) == 0 && top >= 1 &&
		    top <= 1000 && mbx_json_str(v, "flt")) {   /* a page is 1..1000 (page_size) */
			t->epoch = (long)e;
			t->top = (long)top;
			mbx_strlcpy(t->filter, mbx_json_str(v, "flt"), sizeof t->filter);
			rc = 0;
		}
		yajl_tree_free(v);
	}
	mbx_buf_free(&b);
	return rc;
}

/* The link that continues (skiptoken) or next round's (deltatoken). */
static void
link(struct gd_req *r, const struct dtok *t, const char *mailbox, int next, struct mbx_buf *out)
{
	struct mbx_buf tok;

	mbx_buf_init(&tok, 0);
	tok_encode(t, mailbox, &tok);
	mbx_buf_printf(out, "%s%s?%s=", r->self, r->url, next ? "$skiptoken" : "$deltatoken");
	mbx_url_escape(out, tok.data);
	mbx_buf_free(&tok);
}

/* ---------------------------------------------------------------- the request */

/* "Prefer: odata.maxpagesize=N" (5), else $top, else the default page. */
static long
page_size(const struct gd_server *sv, const struct gd_req *r)
{
	const char *p = r->prefer ? strcasestr(r->prefer, "odata.maxpagesize=") : NULL;
	const char *t = gd_odata(r, "top");
	long n = sv->store.page_size;

	if (p && mbx_parse_long(p + 18, 1, 1000, &n) == 0)
		return n;
	if (t && mbx_parse_long(t, 1, 1 << 30, &n) == 0)
		return n > 1000 ? 1000 : n;
	return sv->store.page_size;
}

/* Only receivedDateTime ge/gt is documented for items/delta (3.11); 8.14 maps it. */
static int
filter_ok(const char *f)
{
	return f && strncasecmp(f, "receivedDateTime ", 17) == 0 &&
	       (strncasecmp(f + 17, "ge ", 3) == 0 || strncasecmp(f + 17, "gt ", 3) == 0) &&
	       !strcasestr(f, " and ") && !strcasestr(f, " or ");
}

/* The token of this request, or a new round: 0, or the error is in r. */
static int
start(struct gd_server *sv, struct gd_req *r, const char *mailbox, struct dtok *t)
{
	static const char *const first[] = { "select", "top", "filter", "deltatoken", NULL };
	static const char *const first_folders[] = { "select", "deltatoken", NULL };
	static const char *const later[] = { "deltatoken", "skiptoken", NULL };
	const char *dt = gd_odata(r, "deltatoken"), *st = gd_odata(r, "skiptoken");
	char bad[128];

	if (dt && !*dt)                      /* the 410's Location: a new round */
		dt = NULL;
	if ((dt || st) ? gd_odata_check(r, later, bad, sizeof bad) < 0 || (dt && st)
	    : gd_odata_check(r, t->kind == D_ITEMS ? first : first_folders, bad, sizeof bad) < 0) {
		gd_json_error(r, 400, "BadRequest", "Query options other than the state token "
			      "go on the first delta request only, and only those documented.");
		return -1;
	}
	if (!dt && !st) {
		const char *f = gd_odata(r, "filter");
		if (f && !filter_ok(f)) {
			gd_json_error(r, 400, "BadRequest", "Only receivedDateTime ge/gt filters "
				      "are supported on delta.");
			return -1;
		}
		mbx_strlcpy(t->filter, f ? f : "", sizeof t->filter);
		t->from = t->after = 0;
		t->to = sv->store.cseq;
		t->epoch = sv->store.delta_epoch;
		t->top = page_size(sv, r);
		return 0;
	}
	if (tok_decode(dt ? dt : st, mailbox, t) < 0) {
		gd_json_error(r, 400, "syncStateNotFound", "The sync state is not valid.");
		return -1;
	}
	if (t->epoch != sv->store.delta_epoch) {
		snprintf(r->location, sizeof r->location, "%s%s?$deltatoken=", r->self, r->url);
		gd_json_error(r, 410, "syncStateNotFound",
			      "The sync state has expired: start a new round without a token.");
		return -1;
	}
	if (dt) {                          /* a new round from the last one's end */
		t->after = t->from = t->to;
		t->to = sv->store.cseq;
	}
	t->top = r->prefer ? page_size(sv, r) : t->top;
	return 0;
}

/* ---------------------------------------------------------------- collecting */

struct dlist {
	struct dentry *v;
	size_t n, cap;
};

static void
add(struct dlist *l, uint64_t seq, const void *obj, const struct gd_tomb *tomb, int root)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = mbx_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].seq = seq;
	l->v[l->n].obj = obj;
	l->v[l->n].tomb = tomb;
	l->v[l->n++].root = root;
}

static int
in_round(const struct dtok *t, uint64_t seq)
{
	return seq > t->after && seq <= t->to;
}

static void
collect_tombs(const struct gd_mailbox *m, const struct dtok *t, int item, struct dlist *l)
{
	size_t i;

	if (t->from == 0)                  /* the first round is the current state (5) */
		return;
	for (i = 0; i < m->ntombs; i++)
		if (m->tombs[i].item == item && in_round(t, m->tombs[i].seq) &&
		    (t->kind == D_FOLDERS || strcmp(m->tombs[i].parent, t->folder) == 0))
			add(l, m->tombs[i].seq, NULL, &m->tombs[i], 0);
}

static int
item_prop(void *ctx, const char *name, const char **s, long long *num)
{
	const struct gd_item *it = ctx;

	(void)num;
	if (!strcasecmp(name, "receivedDateTime")) return *s = it->created, 0;  /* 8.14 */
	return -1;
}

static void
collect(const struct gd_mailbox *m, const struct gd_folder *f, const struct dtok *t,
	struct dlist *l)
{
	char err[200];
	size_t i;

	if (t->kind == D_ITEMS) {
		for (i = 0; i < f->nitems; i++)
			if (in_round(t, f->items[i]->seq) && (!*t->filter ||
			    gd_filter_match(t->filter, item_prop, f->items[i], err, sizeof err) == 1))
				add(l, f->items[i]->seq, f->items[i], NULL, 0);
	} else {
		for (i = 0; i < m->nall; i++) {
			const struct gd_folder *g = m->all[i];
			if (t->kind == D_CHILDREN && g->parent != f)
				continue;
			if ((!g->hidden || (!g->parent && t->kind == D_FOLDERS && t->from == 0)) &&
			    in_round(t, g->seq))
				add(l, g->seq, g, NULL, !g->parent);   /* 8.11: root, initial only */
		}
	}
	collect_tombs(m, t, t->kind == D_ITEMS, l);
}

static int
by_seq(const void *a, const void *b)
{
	const struct dentry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---------------------------------------------------------------- the answer */

static void
removed(struct mbx_jw *w, const char *type, const char *id)
{
	mbx_jw_obj(w);
	mbx_jw_kstr(w, "@odata.type", type);
	mbx_jw_kstr(w, "id", id);
	mbx_jw_key(w, "@removed");
	mbx_jw_obj(w);
	mbx_jw_kstr(w, "reason", "deleted");
	mbx_jw_end(w);
	mbx_jw_end(w);
}

static void
entry(struct gd_req *r, struct mbx_jw *w, const struct dentry *e, int items)
{
	const struct gd_folder *f = e->obj;

	if (e->tomb)
		removed(w, items ? "#microsoft.graph.mailboxItem" : "#microsoft.graph.mailboxFolder",
			e->tomb->id);
	else if (items)
		gd_item_json(r, w, e->obj);
	else if (!e->root)
		gd_folder_json(r, w, f);
	else {                                   /* the root: empty displayName [obs] */
		mbx_jw_obj(w);
		mbx_jw_kstr(w, "@odata.type", "#microsoft.graph.mailboxFolder");
		mbx_jw_kstr(w, "id", f->id);
		mbx_jw_kstr(w, "displayName", "");
		mbx_jw_kstr(w, "parentFolderId", NULL);
		mbx_jw_end(w);
	}
}

static void
page(struct gd_req *r, const struct gd_mailbox *m, struct dtok *t, struct dlist *l)
{
	struct mbx_jw w;
	struct mbx_buf next;
	size_t i, n = l->n < (size_t)t->top ? l->n : (size_t)t->top;

	if (l->n)                          /* (v is NULL when nothing changed) */
		qsort(l->v, l->n, sizeof *l->v, by_seq);
	gd_out_start(r, &w, t->kind == D_ITEMS ? "Collection(mailboxItem)"
		     : "Collection(mailboxFolder)");
	mbx_jw_key(&w, "value");
	mbx_jw_arr(&w);
	for (i = 0; i < n; i++)
		entry(r, &w, &l->v[i], t->kind == D_ITEMS);
	mbx_jw_end(&w);
	mbx_buf_init(&next, 0);
	if (n > 0 && n < l->n) {           /* n > 0: top >= 1 (tok_decode, page_size) */
		t->after = l->v[n - 1].seq;
		link(r, t, m->id, 1, &next);
	} else {
		t->from = t->after = t->to;
		link(r, t, m->id, 0, &next);
	}
	gd_out_end(r, &w, n < l->n ? "@odata.nextLink" : "@odata.deltaLink", next.data);
	mbx_buf_free(&next);
}

/* GET .../folders/delta, .../folders/{id}/childFolders/delta, .../items/delta. Store
 * locked, mailbox checked; f is the folder of the last two. */
void
gd_delta(struct gd_server *sv, struct gd_req *r, struct gd_mailbox *m, struct gd_folder *f,
	 int items)
{
	struct dtok t;
	struct dlist l = { NULL, 0, 0 };

	assert(f || !items);               /* the router passes the folder of items/delta */
	memset(&t, 0, sizeof t);
	t.kind = items ? D_ITEMS : f ? D_CHILDREN : D_FOLDERS;
	mbx_strlcpy(t.folder, f ? f->id : "", sizeof t.folder);
	if (start(sv, r, m->id, &t) < 0)
		return;
	collect(m, f, &t, &l);
	page(r, m, &t, &l);
	free(l.v);
}
