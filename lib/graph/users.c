/* users.c: the tenant as input. Every user of the directory (Graph "List users"), and
 * the exchange settings (3.1) of many users at once, so that the mailboxes of a tenant
 * of thousands are not found one round trip after another.
 * Bare section numbers are those of docs/graph-api.md. */
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

#define SETTINGS_MAX ((size_t)1 << 20)   /* one exchangeSettings object (4.1) */

int
mbx_graph_users(struct mbx_graph *g, mbx_jstream_cb each, void *ctx, struct mbx_err *e)
{
	/* Graph "List users": $top goes up to 999 (the service's default page is 100), so a
	 * tenant of 2,500 users is 3 pages; only the fields a mailbox record needs */
	char *url = mbx_graph_url(g, "users?$select=id,userPrincipalName,mail&$top=999");
	int rc;

	rc = mbx_graph_list(g, url, "", each, ctx, e);
	free(url);
	return rc;
}

struct slot {
	struct mbx_req *r;
	int done;
};

static void
slot_done(struct mbx_req *r)
{
	((struct slot *)r->ctx)->done = 1;
}

/* The answer of one settings call as a result: ids, or s->e (a GET of one object, as
 * mbx_graph_settings: a user the service does not know is NOTFOUND). */
static void
settings_result(struct mbx_req *r, struct mbx_usettings *s)
{
	char e[256];
	yajl_val v;
	const char *p, *a;

	if (mbx_graph_failed_one(r, &s->e) < 0)
		return;
	v = mbx_json_parse(r->resp.data ? r->resp.data : "", r->resp.len, e, sizeof e);
	p = v && YAJL_IS_OBJECT(v) ? mbx_json_str(v, "primaryMailboxId") : NULL;
	a = p ? mbx_json_str(v, "inPlaceArchiveMailboxId") : NULL;
	if (!p) {
		mbx_err_set(&s->e, MBX_ERR_SERVICE, NULL, "%s", !v ? "malformed JSON in response"
			    : "no primaryMailboxId in the exchange settings");
	} else {
		mbx_strlcpy(s->primary, p, sizeof s->primary);
		mbx_strlcpy(s->archive, a ? a : "", sizeof s->archive);
	}
	yajl_tree_free(v);
}

int
mbx_graph_settings_many(struct mbx_graph *g, const char *const *users, size_t nusers,
			size_t window, mbx_usettings_cb each, void *ctx)
{
	struct slot *slots = mbx_xcalloc(nusers ? nusers : 1, sizeof *slots);
	struct mbx_usettings s;
	size_t sub = 0, out = 0, lanes;
	int stop = 0, worst = 0;

	if (window < 1)
		window = 1;
	/* lanes of --jobs each: window calls in flight over a bounded set of lanes */
	lanes = (window + (size_t)mbx_opt.jobs - 1) / (size_t)mbx_opt.jobs;
	while (out < nusers) {
		while (!stop && sub < nusers && sub - out < window) {
			struct mbx_req *r = mbx_graph_req("GET", "",
				mbx_graph_url(g, "users/%s/settings/exchange", users[sub]), 0);

			snprintf(r->lane, sizeof r->lane, "settings/%zu", sub % lanes);
			r->resp.max = SETTINGS_MAX;
			r->on_done = slot_done;
			r->ctx = &slots[sub];
			slots[sub].r = r;
			mbx_http_submit(g->http, r);
			sub++;
		}
		while (out < sub && slots[out].done) {
			if (!stop) {
				memset(&s, 0, sizeof s);
				s.user = users[out];
				settings_result(slots[out].r, &s);
				worst = mbx_exit_worst(worst, mbx_exit_of(s.e.kind));
				stop = each(ctx, &s) != 0;
			}
			mbx_req_free(slots[out].r);
			slots[out++].r = NULL;
		}
		if (out == sub && (stop || sub == nusers))
			break;
		mbx_http_step(g->http, 100);
	}
	free(slots);             /* every call submitted was collected: none is in flight */
	return worst;
}
