/* routes.c: the Graph endpoints of graph-api.md 3.1-3.4 and 3.9-3.10, strictly: the
 * token and role checks of 2.6-2.7, the error shapes of 6, and the per-mailbox
 * concurrency limit of 7. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "server.h"
#include "odata.h"
#include "routes.h"

void
gd_path_free(struct gd_path *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->seg[i]);
}

/* Split the raw path and decode each segment; "folders('id')" becomes two. */
int
gd_path_split(const char *url, struct gd_path *p)
{
	const char *s = url;

	memset(p, 0, sizeof *p);
	while (*s == '/')
		s++;
	while (*s && p->n < MAX_SEGS - 1) {
		size_t k = strcspn(s, "/");
		const char *paren = memchr(s, '(', k);
		if (paren && k > 2 && s[k - 1] == ')') {
			size_t inner = k - (size_t)(paren - s) - 2;
			const char *in = paren + 1;
			if (inner >= 2 && in[0] == '\'' && in[inner - 1] == '\'')
				in++, inner -= 2;
			p->seg[p->n++] = mbx_url_unescape(s, (size_t)(paren - s), 0);
			p->seg[p->n++] = mbx_url_unescape(in, inner, 0);
			if (!p->seg[p->n - 2])      /* a bad escape before the '(' */
				return -1;
		} else {
			p->seg[p->n++] = mbx_url_unescape(s, k, 0);
		}
		if (!p->seg[p->n - 1])
			return -1;
		s += k;
		while (*s == '/')
			s++;
	}
	return *s ? -1 : 0;
}

int
gd_is(const struct gd_path *p, size_t i, const char *name)
{
	return i < p->n && strcasecmp(p->seg[i], name) == 0;
}

/* Authenticate and authorise: 0, or the error is in r. role2 is the higher one. */
int
gd_authorise(struct gd_server *sv, struct gd_req *r, const char *role, const char *role2,
	  struct gd_oauth_principal *pr)
{
	char why[256];

	if (gd_oauth_verify(sv->oauth, r->authorization, pr, why, sizeof why) < 0) {
		gd_json_error(r, 401, "InvalidAuthenticationToken", "%s", why);
		return -1;
	}
	mbx_strlcpy(r->app, pr->client_id, sizeof r->app);
	if (!gd_oauth_has(pr, role) && !(role2 && gd_oauth_has(pr, role2))) {
		gd_json_error(r, 403, "ErrorAccessDenied",
			      "Access is denied. Check credentials and try again. The app needs %s.",
			      role);
		return -1;
	}
	return 0;
}

void
gd_too_large(struct gd_req *r)
{
	if (r->stream.done)
		r->stream.done(r->stream.cls);
	memset(&r->stream, 0, sizeof r->stream);
	gd_json_error(r, 500, "generalException",
		      "The answer is larger than the emulator can build.");
}

void
gd_out_start(struct gd_req *r, struct mbx_jw *w, const char *context)
{
	char ctx[1024];

	r->status = 200;
	mbx_buf_reset(&r->out);
	mbx_jw_init(w, &r->out);
	mbx_jw_obj(w);
	snprintf(ctx, sizeof ctx, "%s/%s/$metadata#%s", r->self, "beta", context);
	mbx_jw_kstr(w, "@odata.context", ctx);
}

void
gd_out_end(struct gd_req *r, struct mbx_jw *w, const char *key, const char *link)
{
	if (link)
		mbx_jw_kstr(w, key, link);
	mbx_jw_end(w);
	if (w->err)
		gd_too_large(r);
}

int
gd_no_options(struct gd_req *r, const char *const *allowed)
{
	char bad[128];

	if (gd_odata_check(r, allowed, bad, sizeof bad) == 0)
		return 0;
	gd_json_error(r, 400, "BadRequest", "Query option '%s' is not supported on this resource.",
		      bad);
	return -1;
}

/* ---------------------------------------------------------------- objects */

static long long visible_kids(const struct gd_folder *f);

void
gd_folder_json(struct gd_req *r, struct mbx_jw *w, const struct gd_folder *f)
{
	char url[600];

	snprintf(url, sizeof url, "%s/beta/admin/exchange/mailboxes/%s", r->self,
		 f->aux ? f->aux->id : f->mbx->id);
	mbx_jw_obj(w);
	mbx_jw_kstr(w, "@odata.type", "#microsoft.graph.mailboxFolder");
	mbx_jw_kstr(w, "id", f->id);
	if (gd_odata_selected(r, "displayName"))
		mbx_jw_kstr(w, "displayName", f->name);
	if (gd_odata_selected(r, "parentFolderId"))
		mbx_jw_kstr(w, "parentFolderId", f->parent ? f->parent->id : NULL);
	mbx_jw_kstr(w, "parentMailboxUrl", url);
	if (gd_odata_selected(r, "childFolderCount"))
		mbx_jw_kint(w, "childFolderCount", visible_kids(f));
	if (gd_odata_selected(r, "totalItemCount"))
		mbx_jw_kint(w, "totalItemCount", (long long)f->nitems);
	if (gd_odata_selected(r, "wellKnownName"))
		mbx_jw_kstr(w, "wellKnownName", f->wk);
	if (gd_odata_selected(r, "type"))
		mbx_jw_kstr(w, "type", f->cls);
	mbx_jw_end(w);
}

static long long
item_size(const struct gd_item *it)
{
	return it->blob ? (long long)it->blob->len : (long long)it->gen_size;
}

static void
item_members(struct gd_req *r, struct mbx_jw *w, const struct gd_item *it)
{
	char etag[160];
	size_t i;

	snprintf(etag, sizeof etag, "W/\"%s\"", it->change_key);
	mbx_jw_kstr(w, "@odata.type", "#microsoft.graph.mailboxItem");
	mbx_jw_kstr(w, "@odata.etag", etag);
	mbx_jw_kstr(w, "id", it->id);
	if (gd_odata_selected(r, "createdDateTime"))
		mbx_jw_kstr(w, "createdDateTime", it->created);
	if (gd_odata_selected(r, "lastModifiedDateTime"))
		mbx_jw_kstr(w, "lastModifiedDateTime", it->modified);
	if (gd_odata_selected(r, "changeKey"))
		mbx_jw_kstr(w, "changeKey", it->change_key);
	if (gd_odata_selected(r, "categories")) {
		mbx_jw_key(w, "categories");
		mbx_jw_arr(w);
		for (i = 0; i < it->ncats; i++)
			mbx_jw_str(w, it->cats[i]);
		mbx_jw_end(w);
	}
	if (gd_odata_selected(r, "type"))
		mbx_jw_kstr(w, "type", it->cls);
	if (gd_odata_selected(r, "size"))
		mbx_jw_kint(w, "size", item_size(it));
}

void
gd_item_json(struct gd_req *r, struct mbx_jw *w, const struct gd_item *it)
{
	mbx_jw_obj(w);
	item_members(r, w, it);
	mbx_jw_end(w);
}

/* $expand=singleValueExtendedProperties($filter=id eq 'Binary 0x300B'): the one form of
 * 3.9 the emulator serves, for Binary and String properties of the message. The tag, its
 * type (0x0102 or 0x001F) and the id as asked; -1 when it is not that form. */
struct xprop {
	unsigned tag, type;
	char id[32];
};

static int
xprop_parse(const char *ex, struct xprop *x)
{
	static const char head[] = "singleValueExtendedProperties($filter=id eq '";
	char kind[8];
	unsigned tag;
	int end = 0;

	memset(x, 0, sizeof *x);
	if (strncasecmp(ex, head, sizeof head - 1) != 0)
		return -1;
	ex += sizeof head - 1;
	if (sscanf(ex, "%7s 0x%4x')%n", kind, &tag, &end) != 2 || end == 0 || ex[end])
		return -1;
	if (!strcasecmp(kind, "Binary"))
		x->type = 0x0102;
	else if (!strcasecmp(kind, "String"))
		x->type = 0x001F;
	else
		return -1;
	x->tag = tag;
	snprintf(x->id, sizeof x->id, "%s 0x%04X", x->type == 0x0102 ? "Binary" : "String", tag);
	return 0;
}

/* The property from the item's stream (generated ones are made for it): absent when the
 * stream lacks it, as the service leaves singleValueExtendedProperties out then. */
static void
item_xprop(struct mbx_jw *w, const struct gd_item *it, const struct xprop *x)
{
	struct mbx_buf b, v;
	struct fx_item fi;
	const struct fx_prop *p;
	char *s = NULL;

	mbx_buf_init(&b, GD_STREAM_MAX);
	mbx_buf_init(&v, 0);
	memset(&fi, 0, sizeof fi);
	if (gd_item_stream(it, &b) == 0 && fx_parse_take(&fi, &b) != FX_CORRUPT &&
	    (p = fx_get(&fi.root, (uint16_t)x->tag)) != NULL) {
		if (x->type == 0x0102 && (p->tag & 0xFFFF) == 0x0102)
			mbx_b64_encode(&v, p->val, p->len);
		else if (x->type == 0x001F && (s = fx_text(p, 0)) != NULL)
			mbx_buf_puts(&v, s);
	}
	if (v.data) {
		mbx_jw_key(w, "singleValueExtendedProperties");
		mbx_jw_arr(w);
		mbx_jw_obj(w);
		mbx_jw_kstr(w, "id", x->id);
		mbx_jw_kstr(w, "value", v.data);
		mbx_jw_end(w);
		mbx_jw_end(w);
	}
	free(s);
	fx_item_free(&fi);
	mbx_buf_free(&b);
	mbx_buf_free(&v);
}

static int
folder_prop(void *ctx, const char *name, const char **s, long long *num)
{
	const struct gd_folder *f = ctx;

	if (!strcasecmp(name, "displayName")) return *s = f->name, 0;
	if (!strcasecmp(name, "type")) return *s = f->cls, 0;
	if (!strcasecmp(name, "wellKnownName")) return *s = f->wk, 0;
	if (!strcasecmp(name, "id")) return *s = f->id, 0;
	if (!strcasecmp(name, "childFolderCount")) return *num = visible_kids(f), 1;
	if (!strcasecmp(name, "totalItemCount")) return *num = (long long)f->nitems, 1;
	return -1;
}

static int
item_prop(void *ctx, const char *name, const char **s, long long *num)
{
	const struct gd_item *it = ctx;

	if (!strcasecmp(name, "createdDateTime")) return *s = it->created, 0;
	if (!strcasecmp(name, "lastModifiedDateTime")) return *s = it->modified, 0;
	if (!strcasecmp(name, "receivedDateTime")) return *s = it->created, 0;  /* 8.14 */
	if (!strcasecmp(name, "type")) return *s = it->cls, 0;
	if (!strcasecmp(name, "changeKey")) return *s = it->change_key, 0;
	if (!strcasecmp(name, "id")) return *s = it->id, 0;
	if (!strcasecmp(name, "size")) return *num = item_size(it), 1;
	return -1;
}

/* ---------------------------------------------------------------- collections */

struct coll {
	void **v;
	size_t n;
	gd_prop_fn prop;
	void (*json)(struct gd_req *, struct mbx_jw *, const void *);
	const char *context;
	const struct xprop *x;     /* items: the expanded property, or NULL */
};

static void fjson(struct gd_req *r, struct mbx_jw *w, const void *o) { gd_folder_json(r, w, o); }
static void ijson(struct gd_req *r, struct mbx_jw *w, const void *o) { gd_item_json(r, w, o); }

/* A page of c after $filter, $skip and $top, with a nextLink when more remain. */
static void
collection(struct gd_server *sv, struct gd_req *r, const struct coll *c)
{
	static const char *const opts[] = { "top", "skip", "select", "filter", "count", NULL };
	static const char *const xopts[] = { "top", "skip", "select", "filter", "count", "expand",
					     NULL };
	const char *filter = gd_odata(r, "filter");
	struct mbx_jw w;
	struct mbx_buf next;
	long top, skip, seen = 0, shown = 0;
	char err[300];
	size_t i;
	int m;

	if (gd_no_options(r, c->json == ijson ? xopts : opts) < 0)
		return;
	if (gd_odata_paging(r, sv->store.page_size, &top, &skip) < 0) {
		gd_json_error(r, 400, "BadRequest", "Invalid $top or $skip.");
		return;
	}
	gd_out_start(r, &w, c->context);
	mbx_jw_key(&w, "value");
	mbx_jw_arr(&w);
	for (i = 0; i < c->n; i++) {
		m = filter ? gd_filter_match(filter, c->prop, c->v[i], err, sizeof err) : 1;
		if (m < 0) {
			gd_json_error(r, 400, "BadRequest", "%s", err);
			return;
		}
		if (!m)
			continue;
		if (seen++ < skip || shown >= top)
			continue;
		if (c->x) {
			mbx_jw_obj(&w);
			item_members(r, &w, c->v[i]);
			item_xprop(&w, c->v[i], c->x);
			mbx_jw_end(&w);
		} else
			c->json(r, &w, c->v[i]);
		shown++;
	}
	mbx_jw_end(&w);
	if (gd_odata(r, "count") && strcasecmp(gd_odata(r, "count"), "true") == 0)
		mbx_jw_kint(&w, "@odata.count", seen);
	mbx_buf_init(&next, 0);
	if (skip + shown < seen)
		gd_odata_next(r, skip + shown, &next);
	gd_out_end(r, &w, "@odata.nextLink", next.data);
	mbx_buf_free(&next);
}

/* /folders: every folder of the IPM tree, flat, but the root and hidden ones (8.10);
 * with --folders-scope top, the other reading: the root's children only. */
static void
list_folders(struct gd_server *sv, struct gd_req *r, struct gd_mailbox *m)
{
	struct coll c = { NULL, 0, folder_prop, fjson, "admin/exchange/mailboxes/x/folders",
			  NULL };
	size_t i;

	c.v = mbx_xcalloc(m->nall + 1, sizeof *c.v);
	for (i = 0; i < m->nall; i++)
		if (!m->all[i]->hidden && (!sv->store.folders_top || m->all[i]->parent == m->root))
			c.v[c.n++] = m->all[i];
	collection(sv, r, &c);
	free(c.v);
}

/* Recoverable Items is outside the IPM subtree: addressable by name, never listed. */
static void
list_children(struct gd_server *sv, struct gd_req *r, struct gd_folder *f)
{
	struct coll c = { NULL, 0, folder_prop, fjson,
			  "admin/exchange/mailboxes/x/folders('x')/childFolders", NULL };
	size_t i;

	c.v = mbx_xcalloc(f->nkids + 1, sizeof *c.v);
	for (i = 0; i < f->nkids; i++)
		if (!f->kids[i]->hidden)
			c.v[c.n++] = f->kids[i];
	collection(sv, r, &c);
	free(c.v);
}

static long long
visible_kids(const struct gd_folder *f)
{
	size_t i;
	long long n = 0;

	for (i = 0; i < f->nkids; i++)
		n += !f->kids[i]->hidden;
	return n;
}

/* $expand as 3.9 observed it; --item-properties plays the other readings: refused, or
 * ignored (the answer as without it). */
static void
list_items(struct gd_server *sv, struct gd_req *r, struct gd_folder *f)
{
	struct coll c = { (void **)f->items, f->nitems, item_prop, ijson,
			  "admin/exchange/mailboxes/x/folders('x')/items", NULL };
	const char *ex = gd_odata(r, "expand");
	struct xprop x;

	if (ex && sv->store.item_props == GD_PROPS_REFUSE) {
		gd_json_error(r, 400, "BadRequest", "Could not find a property named "
			      "'singleValueExtendedProperties' on type 'microsoft.graph.mailboxItem'.");
		return;
	}
	if (ex && sv->store.item_props == GD_PROPS_SERVE) {
		if (xprop_parse(ex, &x) < 0) {
			gd_json_error(r, 400, "BadRequest", "Unsupported $expand '%.200s'.", ex);
			return;
		}
		c.x = &x;
	}
	collection(sv, r, &c);
}

static void
one(struct gd_req *r, const void *o, int folder)
{
	static const char *const opts[] = { "select", NULL };
	struct mbx_jw w;

	if (gd_no_options(r, opts) < 0)
		return;
	r->status = 200;
	mbx_buf_reset(&r->out);
	mbx_jw_init(&w, &r->out);
	(folder ? fjson : ijson)(r, &w, o);
	if (w.err)
		gd_too_large(r);
}

/* ---------------------------------------------------------------- mailboxes */

/* Ids are base64-like; anything else is malformed (ErrorInvalidIdMalformed, 6.3). */
int
gd_id_wellformed(const char *id)
{
	size_t n = strlen(id);

	return n >= 8 && n < 512 && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					   "0123456789+/=-_") == n;
}

struct gd_folder *
gd_folder_or_error(struct gd_req *r, struct gd_mailbox *m, const char *id)
{
	struct gd_folder *f = gd_folder_lookup(m, id);

	if (f)
		return f;
	if (!gd_id_wellformed(id))
		gd_json_error(r, 400, "ErrorInvalidIdMalformed", "Id is malformed.");
	else
		gd_json_error(r, 404, "ErrorItemNotFound",
			      "The specified object was not found in the store.");
	return NULL;
}

/* An expanded archive folder lives in an auxiliary mailbox: 308 to the same path there
 * (graph-api.md 3.17; the service's Location spells /admin/Exchange/Mailboxes/). */
void
gd_redirect_aux(struct gd_req *r, const struct gd_path *p, const struct gd_mailbox *aux)
{
	struct mbx_buf b;
	size_t i;

	mbx_buf_init(&b, 0);
	mbx_buf_printf(&b, "%s/%s/admin/Exchange/Mailboxes/", r->self, p->ver);
	mbx_url_escape(&b, aux->id);
	for (i = 5; i < p->n; i++) {
		mbx_buf_putc(&b, '/');
		mbx_url_escape(&b, p->seg[i]);
	}
	for (i = 0; i < r->nq; i++) {
		mbx_buf_putc(&b, i ? '&' : '?');
		mbx_url_escape(&b, r->qk[i]);
		mbx_buf_putc(&b, '=');
		mbx_url_escape(&b, r->qv[i]);
	}
	if (b.len >= sizeof r->location) {       /* never a cut Location */
		mbx_buf_free(&b);
		gd_too_large(r);
		return;
	}
	mbx_strlcpy(r->location, b.data, sizeof r->location);
	mbx_buf_free(&b);
	r->status = 308;
	mbx_buf_reset(&r->out);
}

static void
folder_routes(struct gd_server *sv, struct gd_req *r, const struct gd_path *p,
	      struct gd_mailbox *m)
{
	struct gd_folder *f = NULL, *c;
	struct gd_item *it;
	int items = gd_is(p, 7, "items");

	if (p->n == 7 && gd_is(p, 6, "delta")) {
		gd_delta(sv, r, m, NULL, 0);
		return;
	}
	if (p->n > 6 && !(f = gd_folder_or_error(r, m, p->seg[6])))
		return;
	/* the folder tree stays in the main archive: only reads of the folder and its
	 * items go to the auxiliary mailbox */
	if (f && f->aux && !(p->n >= 8 && gd_is(p, 7, "childFolders"))) {
		gd_redirect_aux(r, p, f->aux);
		return;
	}
	if (p->n == 9 && gd_is(p, 8, "delta") && (gd_is(p, 7, "childFolders") || items))
		gd_delta(sv, r, m, f, items);
	else if (p->n == 6)
		list_folders(sv, r, m);
	else if (p->n == 7)
		one(r, f, 1);
	else if (gd_is(p, 7, "childFolders") && p->n == 8)
		list_children(sv, r, f);
	else if (gd_is(p, 7, "childFolders") && p->n == 9) {
		if ((c = gd_folder_or_error(r, m, p->seg[8])) && c->parent != f)
			gd_json_error(r, 404, "ErrorItemNotFound",
				      "The specified object was not found in the store.");
		else if (c && c->aux) {
			struct gd_path q = *p;          /* .../folders/{child} on the aux */
			q.seg[6] = p->seg[8];
			q.n = 7;
			gd_redirect_aux(r, &q, c->aux);
		} else if (c)
			one(r, c, 1);
	} else if (items && p->n == 8)
		list_items(sv, r, f);
	else if (items && p->n == 9) {
		if ((it = gd_item_find(f, p->seg[8])))
			one(r, it, 0);
		else if (!gd_id_wellformed(p->seg[8]))
			gd_json_error(r, 400, "ErrorInvalidIdMalformed", "Id is malformed.");
		else
			gd_json_error(r, 404, "ErrorItemNotFound",
				      "The specified object was not found in the store.");
	} else
		gd_json_error(r, 400, "BadRequest", "Resource not found for the segment '%s'.",
			      p->seg[p->n - 1]);
}

int
gd_mailbox_checks(struct gd_req *r, struct gd_mailbox *m, const struct gd_oauth_principal *pr,
	       const struct gd_path *p)
{
	if (!m)
		gd_json_error(r, 404, "ErrorMailboxNotFound", "The mailbox '%s' was not found.",
			      p->seg[4]);
	else if (pr->delegated && strcasecmp(pr->user, m->user) != 0)
		gd_json_error(r, 403, "ErrorAccessDenied", "Access is denied.");
	else if (strncmp(m->kind, "archive", 7) != 0 && strcmp(m->kind, "auxarchive") != 0)
		return 0;
	else if (strcmp(p->ver, "v1.0") == 0)
		gd_json_error(r, 400, "ErrorInvalidRequest", "Operation on Archive mailbox not allowed");
	else
		return 0;
	return -1;
}

/* Reads need the Read role (or ReadWrite); folder writes need MailboxFolder.ReadWrite
 * (graph-api.md 2.7). */
static int
mailbox_auth(struct gd_server *sv, struct gd_req *r, const struct gd_path *p, int write,
	     struct gd_oauth_principal *pr)
{
	if (gd_is(p, 7, "items") && write)          /* item delete (2.7) */
		return gd_authorise(sv, r, "MailboxItem.ReadWrite.All", NULL, pr);
	if (gd_is(p, 7, "items"))
		return gd_authorise(sv, r, "MailboxItem.Read.All", "MailboxItem.ReadWrite.All", pr);
	if (write)
		return gd_authorise(sv, r, "MailboxFolder.ReadWrite.All", NULL, pr);
	return gd_authorise(sv, r, "MailboxFolder.Read.All", "MailboxFolder.ReadWrite.All", pr);
}

static void
mailbox_routes(struct gd_server *sv, struct gd_req *r, const struct gd_path *p)
{
	struct gd_oauth_principal pr;
	struct gd_mailbox *m;
	int write = strcasecmp(r->method, "GET") != 0;

	if (p->n == 6 && gd_is(p, 5, "exportItems")) {
		gd_export(sv, r, p);
		return;
	}
	if (p->n == 6 && gd_is(p, 5, "createImportSession")) {
		gd_import_session(sv, r, p);
		return;
	}
	if (!gd_is(p, 5, "folders")) {
		gd_json_error(r, p->n > 5 ? 400 : 405, p->n > 5 ? "BadRequest" : "Request_BadRequest",
			      "Resource not found for the segment '%s'.", p->seg[p->n - 1]);
		return;
	}
	if (mailbox_auth(sv, r, p, write, &pr) < 0)
		return;
	if (write && gd_is(p, 7, "items") && !(p->n == 9 && !strcasecmp(r->method, "DELETE"))) {
		gd_json_error(r, 405, "Request_BadRequest", "The method is not allowed here.");
		return;
	}
	gd_store_lock(&sv->store);
	m = gd_mailbox_find(&sv->store, p->seg[4]);
	if (gd_mailbox_checks(r, m, &pr, p) == 0) {
		struct gd_folder *f;
		if (write && gd_is(p, 7, "items")) {
			if ((f = gd_folder_or_error(r, m, p->seg[6])) && f->aux)
				gd_redirect_aux(r, p, f->aux);
			else if (f)
				gd_item_delete(sv, r, f, p->seg[8]);
		} else if (write)
			gd_folder_write(sv, r, p, m);
		else
			folder_routes(sv, r, p, m);
	}
	gd_store_unlock(&sv->store);
}

static void
oauth_routes(struct gd_server *sv, struct gd_req *r, const struct gd_path *p)
{
	int tok = gd_is(p, 3, "token");

	if (strcasecmp(r->method, "POST") != 0) {
		gd_json_error(r, 405, "Request_BadRequest", "Use POST.");
		return;
	}
	mbx_buf_reset(&r->out);
	r->status = tok ? gd_oauth_token(sv->oauth, p->seg[0], r->body.data ? r->body.data : "",
					 r->body.len, r->authorization, r->self, &r->out)
			: gd_oauth_devicecode(sv->oauth, p->seg[0], r->body.data ? r->body.data : "",
					      r->body.len, r->self, &r->out);
}

void
gd_route(struct gd_server *sv, struct gd_req *r)
{
	struct gd_path p;

	if (gd_path_split(r->url, &p) < 0 || p.n == 0) {
		gd_json_error(r, 400, "BadRequest", "Invalid request path.");
	} else if (p.n == 4 && gd_is(&p, 1, "oauth2") && gd_is(&p, 2, "v2.0") &&
		   (gd_is(&p, 3, "token") || gd_is(&p, 3, "devicecode"))) {
		oauth_routes(sv, r, &p);
	} else if (p.n == 5 && gd_is(&p, 0, "api") && gd_is(&p, 2, "Mailboxes") &&
		   gd_is(&p, 4, "importItem")) {
		mbx_strlcpy(r->mailbox, p.seg[3], sizeof r->mailbox);
		gd_import_item(sv, r, &p);
	} else if (!gd_is(&p, 0, "beta") && !gd_is(&p, 0, "v1.0")) {
		gd_json_error(r, 400, "BadRequest", "Invalid version: '%s'.", p.seg[0]);
	} else {
		p.ver = gd_is(&p, 0, "beta") ? "beta" : "v1.0";
		if (gd_users_route(sv, r, &p))
			;
		else if (p.n >= 6 && gd_is(&p, 1, "admin") && gd_is(&p, 2, "exchange") &&
			 gd_is(&p, 3, "mailboxes")) {
			mbx_strlcpy(r->mailbox, p.seg[4], sizeof r->mailbox);
			mailbox_routes(sv, r, &p);
		} else
			gd_json_error(r, 400, "BadRequest", "Resource not found for the segment '%s'.",
				      p.seg[p.n > 1 ? 1 : 0]);
	}
	gd_path_free(&p);
}

/* The per-mailbox concurrency limit (graph-api.md 7): counted from the moment a request
 * naming a mailbox arrives until it is answered, injected latency included (a streamed
 * answer holds its place until its last byte, server.c). */
int
gd_route_enter(struct gd_server *sv, struct gd_req *r)
{
	const char *m = strcasestr(r->url, "/mailboxes/");
	struct gd_mailbox *mb;
	char *dec;
	int over = 0;

	if (!m)
		return 0;
	m += 11;
	dec = mbx_url_unescape(m, strcspn(m, "/?"), 0);
	gd_store_lock(&sv->store);
	if ((mb = gd_mailbox_find(&sv->store, dec ? dec : "")) != NULL) {
		over = ++mb->inflight > sv->store.concurrency;
		mbx_strlcpy(r->inflight, mb->id, sizeof r->inflight);
	}
	gd_store_unlock(&sv->store);
	free(dec);
	if (over) {
		mbx_strlcpy(r->retry_after, "1", sizeof r->retry_after);
		gd_json_error(r, 429, "ApplicationThrottled",
			      "Application is over its MailboxConcurrency limit.");
	}
	return mb ? (over ? -1 : 1) : 0;
}

void
gd_route_leave_id(struct gd_server *sv, const char *id)
{
	struct gd_mailbox *mb;

	gd_store_lock(&sv->store);
	if ((mb = gd_mailbox_find(&sv->store, id)) != NULL && mb->inflight > 0)
		mb->inflight--;
	gd_store_unlock(&sv->store);
}

void
gd_route_leave(struct gd_server *sv, struct gd_req *r)
{
	if (*r->inflight)
		gd_route_leave_id(sv, r->inflight);
	*r->inflight = '\0';
}
