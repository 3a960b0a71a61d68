/* importer.c: import sessions (graph-api.md 3.14) and item uploads (3.15, 4.10). The
 * importUrl carries its own authtoken: it is sent without Authorization, never logged
 * (MBX_REQ_SECRET_URL), and not retried after a broken connection (MBX_REQ_UNSAFE:
 * a create that reached the service would be made twice). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mbx.h"

#define RENEW_MARGIN_MAX 300.0  /* clients in the wild renew with 5 minutes left (3.14) */

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "2026-05-10T09:45:12.4410932Z" to Unix seconds; -1 when it is not that shape. */
static double
parse_utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (double)timegm(&tm);
}

void
mbx_isession_clear(struct mbx_isession *s)
{
	free(s->url);
	s->url = NULL;
}

static int
session_from(struct mbx_isession *s, const struct mbx_req *r, struct mbx_err *e)
{
	yajl_val v = mbx_json_parse(r->resp.data ? r->resp.data : "", r->resp.len, NULL, 0);
	const char *url = mbx_json_str(v, "importUrl");
	double exp = parse_utc(mbx_json_str(v, "expirationDateTime"));
	int rc = 0;

	if (!url || strncmp(url, "http", 4) != 0 || exp < 0) {
		mbx_err_set(e, MBX_ERR_SERVICE, NULL, "malformed createImportSession response: "
			    "no importUrl or expirationDateTime");
		rc = -1;
	} else {
		mbx_isession_clear(s);
		s->url = mbx_strdup(url);
		s->opened = wall_now();
		s->expires = exp;
		s->gen++;
	}
	yajl_tree_free(v);
	return rc;
}

int
mbx_isession_open(struct mbx_graph *g, struct mbx_isession *s, const char *mailbox,
		  struct mbx_err *e)
{
	struct mbx_req *r = mbx_graph_req("POST", mailbox, mbx_graph_url(g,
		"admin/exchange/mailboxes/%s/createImportSession", mailbox), 1);
	int rc;

	mbx_strlcpy(s->mailbox, mailbox, sizeof s->mailbox);
	mbx_buf_puts(&r->body, "{}");              /* 3.14: clients send {} or nothing */
	rc = mbx_graph_run(g, r, e);
	if (rc == 0)
		rc = session_from(s, r, e);
	mbx_req_free(r);
	return rc;
}

int
mbx_isession_due(const struct mbx_isession *s)
{
	double life = s->expires - s->opened, margin = life / 5;

	if (!s->url)
		return 1;
	if (margin > RENEW_MARGIN_MAX)
		margin = RENEW_MARGIN_MAX;
	return wall_now() >= s->expires - margin;
}

struct mbx_req *
mbx_import_req(const struct mbx_isession *s, const char *folder_id, const void *payload,
	       size_t len, const char *item_id, const char *ck)
{
	struct mbx_req *r = mbx_req_new("POST", s->url);
	struct mbx_jw w;

	mbx_buf_init(&r->body, mbx_b64_encoded_len(len) + 4096);
	r->ctype = "application/json";
	r->flags = MBX_REQ_NOAUTH | MBX_REQ_SECRET_URL | MBX_REQ_UNSAFE;
	mbx_strlcpy(r->lane, s->mailbox, sizeof r->lane);
	mbx_jw_init(&w, &r->body);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "FolderId", folder_id);
	mbx_jw_kstr(&w, "Mode", item_id ? "update" : "create");
	if (item_id) {
		mbx_jw_kstr(&w, "ItemId", item_id);
		mbx_jw_kstr(&w, "ChangeKey", ck ? ck : "");
	}
	mbx_jw_key(&w, "Data");
	mbx_jw_b64(&w, payload, len);
	mbx_jw_end(&w);
	if (w.err) {
		mbx_req_free(r);
		return NULL;
	}
	return r;
}

int
mbx_import_result(const struct mbx_req *r, char **id, char **ck)
{
	yajl_val v = mbx_json_parse(r->resp.data ? r->resp.data : "", r->resp.len, NULL, 0);
	const char *i = mbx_json_str(v, "itemId"), *c = mbx_json_str(v, "changeKey");

	*id = i ? mbx_strdup(i) : NULL;
	*ck = c ? mbx_strdup(c) : NULL;
	yajl_tree_free(v);
	if (*id)
		return 0;
	free(*ck);               /* a changeKey without an itemId is no result */
	*ck = NULL;
	return -1;
}
