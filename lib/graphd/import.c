/* import.c: createImportSession (graph-api.md 3.14) and POST {importUrl} (3.15, 4.10),
 * with the upload quota of 7 (150 MB per 5 minutes per mailbox, scalable with --quota).
 * Undocumented answers follow 8.6-8.9: 401 for a missing, wrong or expired authtoken;
 * 400 ErrorInvalidRequest for a bad body, bad base64 or a stream the service would
 * refuse (upload.c); 413 for a stream over the import limit; 404 for an unknown folder or item; 409 for a changeKey mismatch on update. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "routes.h"

/* ---------------------------------------------------------------- sessions */

static void
iso_time(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
}

static void
session_answer(struct gd_server *sv, struct gd_req *r, const struct gd_path *p,
	       const char *mailbox, const char *client)
{
	time_t exp = time(NULL) + sv->store.import_lifetime;
	struct mbx_buf url;
	struct mbx_jw w;
	char when[40];

	mbx_buf_init(&url, 0);
	mbx_buf_printf(&url, "%s/api/g%s/Mailboxes('%s')/importItem?authtoken=", r->self, p->ver,
		       mailbox);
	gd_oauth_import_token(sv->oauth, mailbox, client, exp, &url);
	iso_time(exp, when, sizeof when);
	gd_out_start(r, &w, "microsoft.graph.mailboxItemImportSession");
	mbx_jw_kstr(&w, "importUrl", url.data);
	mbx_jw_kstr(&w, "expirationDateTime", when);
	mbx_jw_end(&w);
	mbx_buf_free(&url);
}

/* The body must be empty or a JSON object, which is ignored (3.14: "don't supply"). */
static int
session_body_ok(const struct gd_req *r)
{
	yajl_val v;
	int ok;

	if (r->body.len == 0)
		return 1;
	v = mbx_json_parse(r->body.data, r->body.len, NULL, 0);
	ok = v && YAJL_IS_OBJECT(v);
	yajl_tree_free(v);
	return ok;
}

void
gd_import_session(struct gd_server *sv, struct gd_req *r, const struct gd_path *p)
{
	struct gd_oauth_principal pr;
	struct gd_mailbox *m;
	char id[192];

	if (gd_authorise(sv, r, "MailboxItem.ImportExport.All", NULL, &pr) < 0)
		return;
	if (strcasecmp(r->method, "POST") != 0) {
		gd_json_error(r, 405, "Request_BadRequest", "createImportSession is an action: use POST.");
		return;
	}
	if (!session_body_ok(r)) {
		gd_json_error(r, 400, "BadRequest", "Unable to read JSON request payload.");
		return;
	}
	gd_store_lock(&sv->store);
	m = gd_mailbox_find(&sv->store, p->seg[4]);
	if (gd_mailbox_checks(r, m, &pr, p) == 0)
		mbx_strlcpy(id, m->id, sizeof id);
	gd_store_unlock(&sv->store);
	if (r->status == 0)
		session_answer(sv, r, p, id, pr.client_id);
}

/* ---------------------------------------------------------------- the upload quota */

/* Admit bytes into m's sliding window: 1; 0 with *wait, the seconds until enough of the
 * window has passed; -1 when bytes alone exceed the quota. Store locked. */
static int
quota_admit(struct gd_store *s, struct gd_mailbox *m, size_t bytes, double *wait)
{
	double now = gd_now(), horizon = now - s->upload_window;
	long long used = 0;
	size_t i = 0, k;

	if ((long long)bytes > s->upload_bytes)
		return -1;
	while (i < m->nuploads && m->uploads[i].t <= horizon)
		i++;
	if (i > 0) {                        /* (uploads may be NULL when empty) */
		m->nuploads -= i;
		memmove(m->uploads, m->uploads + i, m->nuploads * sizeof *m->uploads);
	}
	for (k = 0; k < m->nuploads; k++)
		used += (long long)m->uploads[k].bytes;
	if (used + (long long)bytes <= s->upload_bytes) {
		if (m->nuploads == m->capuploads) {
			m->capuploads = m->capuploads ? 2 * m->capuploads : 64;
			m->uploads = mbx_xrealloc(m->uploads, m->capuploads * sizeof *m->uploads);
		}
		m->uploads[m->nuploads].t = now;
		m->uploads[m->nuploads++].bytes = bytes;
		return 1;
	}
	for (k = 0; k < m->nuploads && used + (long long)bytes > s->upload_bytes; k++)
		used -= (long long)m->uploads[k].bytes;
	*wait = m->uploads[k - 1].t + s->upload_window - now;
	return 0;
}

static int
quota(struct gd_server *sv, struct gd_req *r, struct gd_mailbox *m)
{
	double wait = 0;
	int rc = quota_admit(&sv->store, m, r->body.len, &wait);

	if (rc < 0)
		gd_json_error(r, 413, "RequestEntityTooLarge",
			      "The item is larger than the mailbox's upload quota.");
	else if (rc == 0) {
		gd_throttle(sv, r, wait > 0 ? wait : 1);
		gd_json_error(r, 429, "ApplicationThrottled",
			      "Application is over its IncomingBytes limit.");
	}
	return rc == 1 ? 0 : -1;
}

/* ---------------------------------------------------------------- one upload */

static void
now_iso(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The stored bytes become the item's content; a new changeKey either way. */
static void
store_blob(struct gd_store *s, struct gd_item *it, struct gd_ibody *u)
{
	char when[32];

	gd_item_set_blob(it, u->blob);
	free(it->change_key);
	it->change_key = gd_next_id(s, "CQAAABYAAAB");
	now_iso(when, sizeof when);
	free(it->modified);
	it->modified = mbx_strdup(when);
	gd_item_changed(s, it);
}

/* Create or update under the store lock: the item, or NULL with the error in r. */
static struct gd_item *
upload_apply(struct gd_server *sv, struct gd_req *r, struct gd_mailbox *m, struct gd_ibody *u)
{
	struct gd_folder *f = gd_folder_or_error(r, m, u->folder);
	struct gd_item *it;
	char when[32];

	if (!f)
		return NULL;
	if (f->aux) {                       /* 3.17: not Graph-shaped, only a Message */
		r->status = 409;
		mbx_buf_reset(&r->out);
		mbx_buf_printf(&r->out, "{\"Message\":\"Invalid import session. The target "
			       "session is expected in mailbox %s.\"}", f->aux->id);
		return NULL;
	}
	if (!u->update) {
		now_iso(when, sizeof when);
		it = gd_item_add(&sv->store, f, u->cls, when, when);
	} else if (!(it = gd_item_find(f, u->item))) {
		gd_json_error(r, 404, "ErrorItemNotFound",
			      "The specified object was not found in the store.");
		return NULL;
	} else if (strcmp(it->change_key, u->ck) != 0) {
		gd_json_error(r, 409, "ErrorIrresolvableConflict",
			      "The change key passed in the request does not match the current "
			      "change key for the item.");
		return NULL;
	}
	store_blob(&sv->store, it, u);
	return it;
}

static void
upload_answer(struct gd_req *r, const struct gd_path *p, const char *id, const char *ck)
{
	struct mbx_jw w;
	char ctx[600];

	r->status = 200;
	mbx_buf_reset(&r->out);
	mbx_jw_init(&w, &r->out);
	mbx_jw_obj(&w);
	snprintf(ctx, sizeof ctx, "%s/api/%s/$metadata#microsoft.graph.importMailboxItemResponse",
		 r->self, p->seg[1]);
	mbx_jw_kstr(&w, "@odata.context", ctx);
	mbx_jw_kstr(&w, "itemId", id);
	mbx_jw_kstr(&w, "changeKey", ck);
	mbx_jw_end(&w);
}

/* The URL's authtoken names this mailbox and has not expired; no Authorization header
 * (the URL is pre-authenticated, 3.15: a client sending its Graph token here leaks it
 * to another host, so the emulator refuses rather than ignores it). */
static int
upload_auth(struct gd_server *sv, struct gd_req *r, const struct gd_path *p)
{
	char why[200];

	if (strcasecmp(r->method, "POST") != 0) {
		gd_json_error(r, 405, "Request_BadRequest", "Use POST.");
		return -1;
	}
	if (r->authorization) {
		gd_json_error(r, 400, "BadRequest",
			      "An import URL is pre-authenticated: send no Authorization header.");
		return -1;
	}
	if (gd_oauth_import_verify(sv->oauth, gd_query(r, "authtoken"), p->seg[3], r->app,
				   sizeof r->app, why, sizeof why) < 0) {
		gd_json_error(r, 401, "InvalidAuthenticationToken", "%s", why);
		return -1;
	}
	return 0;
}

void
gd_import_item(struct gd_server *sv, struct gd_req *r, const struct gd_path *p)
{
	struct gd_ibody u;
	struct gd_mailbox *m;
	struct gd_item *it;
	long long max;
	int rc = -1;

	memset(&u, 0, sizeof u);
	if (upload_auth(sv, r, p) < 0)
		return;
	gd_store_lock(&sv->store);
	m = gd_mailbox_find(&sv->store, p->seg[3]);
	if (!m)
		gd_json_error(r, 404, "ErrorMailboxNotFound", "The mailbox was not found.");
	else
		rc = quota(sv, r, m);
	max = sv->store.item_max;
	gd_store_unlock(&sv->store);
	if (rc == 0 && gd_upload_parse(r, max, &u) == 0) {   /* the expensive part, unlocked */
		gd_store_lock(&sv->store);
		m = gd_mailbox_find(&sv->store, p->seg[3]);
		if (m && (it = upload_apply(sv, r, m, &u)) != NULL)
			upload_answer(r, p, it->id, it->change_key);
		gd_store_unlock(&sv->store);
	}
	gd_upload_clear(&u);
}
