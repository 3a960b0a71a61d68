/* admin.c: the non-Graph admin endpoint under /_admin (mbx-graphd(1) ADMIN), which tests
 * use to see and change what the emulator holds. No token: bind to loopback. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "server.h"

static void
mailboxes(struct gd_server *sv, struct gd_req *r)
{
	struct mbx_jw w;
	size_t i;

	mbx_jw_init(&w, &r->out);
	mbx_jw_obj(&w);
	mbx_jw_key(&w, "value");
	mbx_jw_arr(&w);
	for (i = 0; i < sv->store.nmbxs; i++) {
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "id", sv->store.mbxs[i]->id);
		mbx_jw_kstr(&w, "user", sv->store.mbxs[i]->user);
		mbx_jw_kstr(&w, "kind", sv->store.mbxs[i]->kind);
		mbx_jw_end(&w);
	}
	mbx_jw_end(&w);
	mbx_jw_end(&w);
	if (w.err)
		gd_too_large(r);
}

/* sha256 of an item's stream, computed once (generated items are made on demand);
 * NULL when the stream cannot be made. */
static const char *
item_sha(struct gd_item *it)
{
	struct mbx_buf b;

	if (!*it->sha256) {
		mbx_buf_init(&b, GD_STREAM_MAX);
		if (gd_item_stream(it, &b) < 0) {
			mbx_buf_free(&b);
			return NULL;
		}
		mbx_sha256_hex(b.data ? b.data : "", b.len, it->sha256);
		it->len = b.len;
		mbx_buf_free(&b);
	}
	return it->sha256;
}

/* Every folder and item: large for a large mailbox, so the answer may grow to 1 GiB;
 * past that, or when a stream cannot be made, a 500 rather than a cut listing. */
static void
mailbox(struct gd_server *sv, struct gd_req *r, struct gd_mailbox *m)
{
	struct mbx_jw w;
	struct mbx_buf path;
	size_t i, k;
	int bad = 0;

	(void)sv;
	r->out.max = (size_t)1 << 30;
	mbx_jw_init(&w, &r->out);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "id", m->id);
	mbx_jw_key(&w, "folders");
	mbx_jw_arr(&w);
	for (i = 0; i < m->nall; i++) {
		mbx_buf_init(&path, 0);
		gd_item_path(m->all[i], &path);
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "id", m->all[i]->id);
		mbx_jw_kstr(&w, "path", path.data);
		mbx_jw_kstr(&w, "displayName", m->all[i]->name);
		mbx_jw_kint(&w, "count", (long long)m->all[i]->nitems);
		mbx_jw_key(&w, "hidden");
		mbx_jw_bool(&w, m->all[i]->hidden);
		mbx_jw_end(&w);
		mbx_buf_free(&path);
	}
	mbx_jw_end(&w);
	mbx_jw_key(&w, "items");
	mbx_jw_arr(&w);
	for (i = 0; i < m->nall; i++)
		for (k = 0; k < m->all[i]->nitems; k++) {
			struct gd_item *it = m->all[i]->items[k];
			const char *sha = item_sha(it);
			bad |= !sha;
			mbx_jw_obj(&w);
			mbx_jw_kstr(&w, "id", it->id);
			mbx_jw_kstr(&w, "folderId", m->all[i]->id);
			mbx_jw_kstr(&w, "changeKey", it->change_key);
			mbx_jw_kint(&w, "size", it->blob ? (long long)it->blob->len
				    : (long long)it->gen_size);
			mbx_jw_kint(&w, "streamBytes", (long long)it->len);
			mbx_jw_kstr(&w, "sha256", sha);
			mbx_jw_end(&w);
		}
	mbx_jw_end(&w);
	mbx_jw_end(&w);
	if (w.err || bad)
		gd_too_large(r);
}

static void
devicecode(struct gd_server *sv, struct gd_req *r)
{
	yajl_val v = mbx_json_parse(r->body.data ? r->body.data : "", r->body.len, NULL, 0);
	const char *code = mbx_json_str(v, "user_code"), *upn = mbx_json_str(v, "upn");

	if (!code || gd_oauth_device_approve(sv->oauth, code, upn, mbx_json_bool(v, "decline")) < 0)
		gd_json_error(r, 400, "BadRequest", "unknown user_code or user");
	else
		mbx_buf_puts(&r->out, "{}");
	yajl_tree_free(v);
}

/* {"seconds": N} with N >= 1: 0 and *out, or -1 with a 400 in r. */
static int
seconds_body(struct gd_req *r, long *out)
{
	yajl_val v = mbx_json_parse(r->body.data ? r->body.data : "", r->body.len, NULL, 0);
	long long s = 0;
	int rc = mbx_json_num(v, "seconds", &s) < 0 || s < 1 || s > 7 * 86400 ? -1 : 0;

	yajl_tree_free(v);
	if (rc < 0)
		gd_json_error(r, 400, "BadRequest", "expected {\"seconds\": N}, 1 <= N <= 604800");
	*out = (long)s;
	return rc;
}

static void
token_lifetime(struct gd_server *sv, struct gd_req *r)
{
	long s;

	if (seconds_body(r, &s) == 0) {
		gd_oauth_set_token_lifetime(sv->oauth, s);
		mbx_buf_puts(&r->out, "{}");
	}
}

static void
import_lifetime(struct gd_server *sv, struct gd_req *r)
{
	long s;

	if (seconds_body(r, &s) == 0) {
		gd_store_lock(&sv->store);
		sv->store.import_lifetime = s;
		gd_store_unlock(&sv->store);
		mbx_buf_puts(&r->out, "{}");
	}
}

static void
faults(struct gd_server *sv, struct gd_req *r)
{
	char err[512];

	if (strcmp(r->method, "POST") == 0 &&
	    gd_faults_set(sv, r->body.data ? r->body.data : "", err, sizeof err) < 0) {
		gd_json_error(r, 400, "BadRequest", "%s", err);
		return;
	}
	if (strcmp(r->method, "DELETE") == 0)
		gd_faults_set(sv, "", err, sizeof err);
	gd_faults_json(sv, &r->out);
}

/* /_admin/mailboxes/{id}[/churn]: the mailbox's contents, or change them (churn.c). */
static void
mailbox_route(struct gd_server *sv, struct gd_req *r, const char *rest)
{
	const char *slash = strchr(rest, '/');
	int churn = slash && strcmp(slash, "/churn") == 0;
	char *id = mbx_url_unescape(rest, slash ? (size_t)(slash - rest) : strlen(rest), 0);
	struct gd_mailbox *m;
	yajl_val spec;

	gd_store_lock(&sv->store);
	if (!id || !(m = gd_mailbox_find(&sv->store, id)) || (slash && !churn)) {
		gd_json_error(r, 404, "ErrorMailboxNotFound", "no mailbox '%s'", id ? id : "");
	} else if (!churn) {
		mailbox(sv, r, m);
	} else {
		spec = mbx_json_parse(r->body.data ? r->body.data : "", r->body.len, NULL, 0);
		r->out.max = (size_t)1 << 30;      /* 100,000 ids of each kind fit */
		int rc = gd_churn(&sv->store, m, spec, &r->out);
		if (rc == -1)
			gd_json_error(r, 400, "BadRequest", "expected {\"adds\":N,\"edits\":N,"
				      "\"moves\":N,\"deletes\":N,\"seed\":S}");
		else if (rc < 0)
			gd_too_large(r);
		yajl_tree_free(spec);
	}
	gd_store_unlock(&sv->store);
	free(id);
}

int
gd_admin(struct gd_server *sv, struct gd_req *r)
{
	const char *p = r->url;

	if (strncmp(p, "/_admin/", 8) != 0)
		return 0;
	p += 8;
	r->status = 200;
	if (strcmp(p, "faults") == 0)
		faults(sv, r);
	else if (strcmp(p, "devicecode/approve") == 0)
		devicecode(sv, r);
	else if (strcmp(p, "token-lifetime") == 0)
		token_lifetime(sv, r);
	else if (strcmp(p, "import-lifetime") == 0)
		import_lifetime(sv, r);
	else if (strcmp(p, "mailboxes") == 0) {
		gd_store_lock(&sv->store);
		mailboxes(sv, r);
		gd_store_unlock(&sv->store);
	} else if (strncmp(p, "mailboxes/", 10) == 0) {
		mailbox_route(sv, r, p + 10);
	} else if (strcmp(p, "delta/expire") == 0 && strcmp(r->method, "POST") == 0) {
		gd_store_lock(&sv->store);
		sv->store.delta_epoch++;
		gd_log_counters(&sv->store);
		gd_store_unlock(&sv->store);
		mbx_buf_puts(&r->out, "{}");
	} else
		gd_json_error(r, 404, "NotFound", "no admin resource '%s'", p);
	return 1;
}
