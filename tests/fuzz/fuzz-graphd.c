/* fuzz-graphd.c: libFuzzer harness for the emulator's request parsing (lib/graphd/).
 * Input: a request target on the first line ("/beta/admin/...?$top=5&$filter=..."), and
 * after the LF the body of an upload to the import URL.
 *  - the path goes through gd_path_split (routes.c), as gd_route does;
 *  - the query is split and decoded by server.c's gd_parse_query into a struct gd_req,
 *    and every OData option is read: gd_odata_check, _paging, _selected,
 *    _next and gd_filter_match for $filter (odata.c);
 *  - the body is POSTed to the import URL of a mailbox through gd_import_item (import.c):
 *    the JSON body, its members, the base64 Data and the FastTransfer stream in it. The
 *    server is not started: a store with one mailbox, an oauth key and a valid authtoken
 *    are all gd_import_item needs. Items land in a scratch folder (well-known name
 *    "fuzz") that is made again, empty, after each successful upload, so items do not
 *    pile up from one input to the next. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "server.h"
#include "odata.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t fuzz_sink;
static struct gd_server sv;
static struct gd_mailbox *mb;
static struct gd_folder *scratch;
static char *import_path, *authtoken;

static const struct gd_oauth_app *
no_app(void *ctx, const char *client)
{
	(void)ctx;
	(void)client;
	return NULL;
}

static const struct gd_oauth_user *
no_user(void *ctx, const char *upn)
{
	(void)ctx;
	(void)upn;
	return NULL;
}

static void
setup(void)
{
	struct gd_oauth_dir dir = { "fuzz-tenant", "contoso.com", no_app, no_user, NULL };
	struct mbx_buf b;
	char err[256];

	gd_store_init(&sv.store);
	sv.store.tenant_id = mbx_strdup(dir.tenant_id);
	sv.store.domain = mbx_strdup(dir.tenant_domain);
	sv.store.upload_bytes = 1LL << 50;       /* never throttle: quota is not the target */
	sv.store.upload_window = 1e-6;           /* and forget uploads at once */
	pthread_mutex_init(&sv.log_mu, NULL);
	pthread_mutex_init(&sv.fault_mu, NULL);
	{
		struct gd_user *u = gd_user_add(&sv.store, "fuzz@contoso.com", NULL, NULL, NULL);
		gd_user_mailboxes(&sv.store, u, NULL, NULL, 0);
		mb = u->primary;
	}
	scratch = gd_folder_add(mb, mb->root, "Fuzz", "fuzz", "IPF.Note");
	sv.oauth = gd_oauth_new(&dir, NULL, 3600, err, sizeof err);
	if (!sv.oauth) {
		fprintf(stderr, "fuzz-graphd: %s\n", err);
		abort();
	}
	mbx_buf_init(&b, 0);
	gd_oauth_import_token(sv.oauth, mb->id, "fuzz-client", time(NULL) + 10L * 366 * 86400, &b);
	authtoken = mbx_buf_steal(&b);
	mbx_buf_init(&b, 0);
	mbx_buf_puts(&b, "/api/gbeta/Mailboxes('");
	mbx_url_escape(&b, mb->id);
	mbx_buf_puts(&b, "')/importItem");
	import_path = mbx_buf_steal(&b);
}

static void
req_clear(struct gd_req *r)
{
	size_t i;

	for (i = 0; i < r->nq; i++) {
		free(r->qk[i]);
		free(r->qv[i]);
	}
	free(r->qk);
	free(r->qv);
	mbx_buf_free(&r->body);
	mbx_buf_free(&r->out);
}

/* As routes.c folder_prop answers for a user folder (no well-known name). */
static int
prop(void *ctx, const char *name, const char **s, long long *num)
{
	(void)ctx;
	if (!strcasecmp(name, "displayName")) return *s = "Q1/Q2 'Reports'", 0;
	if (!strcasecmp(name, "type")) return *s = "IPF.Note", 0;
	if (!strcasecmp(name, "wellKnownName")) return *s = NULL, 0;
	if (!strcasecmp(name, "childFolderCount")) return *num = 0, 1;
	if (!strcasecmp(name, "totalItemCount")) return *num = 42, 1;
	return -1;
}

static void
path_and_query(const char *line, size_t n)
{
	static const char *const opts[] = { "top", "skip", "select", "filter", "count", NULL };
	static const char *const props[] = { "displayName", "parentFolderId", "id", "type",
					     "totalItemCount", "changeKey", NULL };
	char *target = mbx_strndup(line, n), bad[128], err[300];
	struct gd_req r;
	struct gd_path p;
	struct mbx_buf next;
	const char *filter;
	long top, skip;
	size_t i;
	int rc;

	memset(&r, 0, sizeof r);
	mbx_buf_init(&r.body, 0);
	mbx_buf_init(&r.out, 0);
	r.method = "GET";
	mbx_strlcpy(r.self, "https://127.0.0.1:8443", sizeof r.self);
	r.url = target;
	if (gd_parse_query(&r) == 0) {
		if (gd_path_split(target, &p) == 0) {
			for (i = 0; i < p.n; i++)
				fuzz_sink += strlen(p.seg[i]) + gd_is(&p, i, "folders");
		}
		if (p.n > MAX_SEGS)
			abort();
		gd_path_free(&p);
		fuzz_sink += (size_t)gd_odata_check(&r, opts, bad, sizeof bad);
		fuzz_sink += (size_t)gd_odata_paging(&r, 10, &top, &skip);
		for (i = 0; props[i]; i++)
			fuzz_sink += (size_t)gd_odata_selected(&r, props[i]);
		mbx_buf_init(&next, 0);
		gd_odata_next(&r, 10, &next);
		mbx_buf_free(&next);
		if ((filter = gd_odata(&r, "filter")) != NULL) {
			*err = '\0';
			rc = gd_filter_match(filter, prop, NULL, err, sizeof err);
			if (rc < -1 || rc > 1 || (rc < 0 && !*err))
				abort();
		}
	}
	req_clear(&r);
	free(target);
}

static int
import_body(const char *body, size_t n)
{
	char *url = mbx_strdup(import_path);
	struct gd_req r;
	struct gd_path p;

	memset(&r, 0, sizeof r);
	r.method = "POST";
	r.url = url;
	r.content_type = "application/json";
	mbx_strlcpy(r.self, "https://127.0.0.1:8443", sizeof r.self);
	mbx_buf_init(&r.body, (size_t)64 << 20);
	mbx_buf_init(&r.out, 0);
	mbx_buf_append(&r.body, body, n);
	r.qk = mbx_xcalloc(1, sizeof *r.qk);
	r.qv = mbx_xcalloc(1, sizeof *r.qv);
	r.qk[0] = mbx_strdup("authtoken");
	r.qv[0] = mbx_strdup(authtoken);
	r.nq = 1;
	if (gd_path_split(url, &p) < 0 || p.n != 5)
		abort();
	gd_import_item(&sv, &r, &p);
	/* 200, or one of the errors import.c documents: never anything else */
	if (r.status != 200 && r.status != 400 && r.status != 404 && r.status != 409 &&
	    r.status != 413 && r.status != 415) {
		fprintf(stderr, "import answered %d: %s\n", r.status, r.out.data ? r.out.data : "");
		abort();
	}
	gd_path_free(&p);
	req_clear(&r);
	free(url);
	if (r.status == 200) {          /* an item was made: start again with an empty folder */
		gd_folder_remove(scratch);
		scratch = gd_folder_add(mb, mb->root, "Fuzz", "fuzz", "IPF.Note");
	}
	return r.status;
}

/* One good upload first: proves the wiring (token, path, folder) reaches the parser.
 * The mailbox's upload window is allocated beforehand: while m->uploads is NULL,
 * import.c's quota_admit calls memmove(NULL, NULL, 0), undefined behaviour that UBSan
 * reports on the first upload to every mailbox (a finding of its own, kept out of the
 * fuzzing here). */
static void
first_upload(void)
{
	static const struct fx_msg m = { .message_class = "IPM.Note", .subject = "hi",
					     .minimal = 1 };
	struct mbx_buf blob, body;

	mbx_buf_init(&blob, 0);
	mbx_buf_init(&body, 0);
	if (fx_generate(&blob, &m) < 0)
		abort();
	if (!mb->uploads) {
		mb->capuploads = 64;
		mb->uploads = mbx_xcalloc(mb->capuploads, sizeof *mb->uploads);
	}
	mbx_buf_puts(&body, "{\"FolderId\":\"fuzz\",\"Mode\":\"create\",\"Data\":\"");
	mbx_b64_encode(&body, blob.data, blob.len);
	mbx_buf_puts(&body, "\"}");
	if (import_body(body.data, body.len) != 200) {
		fprintf(stderr, "fuzz-graphd: the first upload failed\n");
		abort();
	}
	mbx_buf_free(&blob);
	mbx_buf_free(&body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t line = nl ? (size_t)(nl - (const char *)data) : size;

	if (!authtoken) {
		setup();
		first_upload();
	}
	path_and_query((const char *)data, line);
	if (nl)
		import_body(nl + 1, size - line - 1);
	return 0;
}
