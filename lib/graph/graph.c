/* graph.c: typed Graph calls over the engine: URLs, error messages, GET, paged lists,
 * mailbox and folder resolution (graph-api.md 3.1-3.4, 5, 6). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mbx.h"

#define PAGE_MAX ((size_t)64 << 20)    /* one page of a listing, parsed when complete */
#define ELEM_MAX ((size_t)4 << 20)     /* one folder or item object */

/* A service URL that cannot work is a usage error before any request (mbx(7)
 * ENVIRONMENT): a scheme, a host, a port that is a number when there is a ':', and for
 * MBX_GRAPH_URL the API version as the first path segment (graph-api.md 3.0). */
static void
check_url(const char *var, const char *url, int versioned)
{
	const char *h, *e, *c, *why = NULL;
	long port;
	char *end;

	if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0)
		why = "no https:// scheme";
	else {
		h = strstr(url, "://") + 3;
		e = h + strcspn(h, "/?#");
		for (c = h; c < e; c++)    /* user:pass@ is not the port (RFC 3986 3.2.1) */
			if (*c == '@')
				h = c + 1;
		c = h[0] == '[' ? memchr(h, ']', (size_t)(e - h)) : h;
		c = c ? memchr(c, ':', (size_t)(e - c)) : NULL;
		if (e == h || c == h)
			why = "no host";
		else if (c && (c + 1 == e || (port = strtol(c + 1, &end, 10), end != e) ||
			       port < 1 || port > 65535))
			why = "bad port";
		else if (versioned && (*e != '/' || e[1] == '\0' || e[1] == '/'))
			why = "no API version (such as /v1.0 or /beta) in the path";
	}
	if (why)
		mbx_die(MBX_EXIT_USAGE, "bad %s '%.300s': %s", var, url, why);
}

void
mbx_graph_init(struct mbx_graph *g)
{
	char err[512];
	const char *auth = getenv("AZURE_AUTHORITY_HOST");

	check_url("MBX_GRAPH_URL", mbx_opt.graph_url, 1);
	if (auth && *auth)
		check_url("AZURE_AUTHORITY_HOST", auth, 0);
	memset(g, 0, sizeof *g);
	g->started = mbx_mono();
	mbx_strlcpy(g->base, mbx_opt.graph_url, sizeof g->base);
	g->http = mbx_http_new(err, sizeof err);
	if (!g->http)
		mbx_die(MBX_EXIT_SOFTWARE, "%s", err);
	g->auth = mbx_auth_new(g->http, err, sizeof err);
	if (!g->auth)
		mbx_die(MBX_EXIT_AUTH, "%s", err);
	mbx_http_set_auth(g->http, g->auth);
}

void
mbx_graph_free(struct mbx_graph *g)
{
	mbx_auth_free(g->auth);
	mbx_http_free(g->http);
	memset(g, 0, sizeof *g);
}

char *
mbx_graph_url(const struct mbx_graph *g, const char *fmt, ...)
{
	struct mbx_buf b;
	va_list ap;
	const char *p;

	mbx_buf_init(&b, 0);
	mbx_buf_printf(&b, "%s/", g->base);
	va_start(ap, fmt);
	for (p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			mbx_url_escape(&b, va_arg(ap, const char *));
			p++;
		} else {
			mbx_buf_putc(&b, *p);
		}
	}
	va_end(ap);
	return mbx_buf_steal(&b);
}

/* Copy s into out as one line: control characters become spaces. */
static void
one_line(char *out, size_t n, const char *s)
{
	size_t i;

	mbx_strlcpy(out, s, n);
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = ' ';
}

/* Graph error body (6.1), OAuth error (2.5), or the 409 {"Message":...} of imports. */
static void
body_error(const struct mbx_req *r, char *code, size_t nc, char *msg, size_t nm)
{
	yajl_val v = NULL, e;
	const char *c = NULL, *m = NULL;

	*code = *msg = '\0';
	if (r->resp.len)
		v = mbx_json_parse(r->resp.data, r->resp.len, NULL, 0);
	if ((e = mbx_json_get(v, "error")) && YAJL_IS_OBJECT(e)) {
		c = mbx_json_str(e, "code");
		m = mbx_json_str(e, "message");
	} else if (v) {
		c = mbx_json_str(v, "error");
		m = mbx_json_str(v, "error_description");
		if (!m)
			m = mbx_json_str(v, "message");
	}
	if (c)
		one_line(code, nc, c);
	if (m)
		one_line(msg, nm, m);
	yajl_tree_free(v);
}

void
mbx_graph_errcode(const struct mbx_req *r, char *out, size_t n)
{
	char msg[8];

	body_error(r, out, n, msg, sizeof msg);
	if (!*out)
		snprintf(out, n, "%s", r->status && !r->curl_code ? mbx_http_reason(r->status)
			 : "ConnectionFailed");
}

void
mbx_graph_errmsg(const struct mbx_req *r, char *out, size_t n)
{
	char code[128], msg[400];

	if (r->status == 0 || r->status < 400 || r->resp.len == 0) {
		snprintf(out, n, "%s", r->errmsg);
		return;
	}
	body_error(r, code, sizeof code, msg, sizeof msg);
	if (!*code && !*msg)
		snprintf(out, n, "%s", r->errmsg);
	else
		snprintf(out, n, "%s%s%s%s%s", r->errmsg, *code ? ": " : "", code,
			 *msg ? ": " : "", msg);
}

static struct mbx_req *
get_req(const char *url, const char *lane)
{
	struct mbx_req *r = mbx_req_new("GET", url);

	mbx_strlcpy(r->lane, lane ? lane : "", sizeof r->lane);
	r->resp.max = PAGE_MAX;
	return r;
}

/* A request on the lane of mailbox (its concurrency limit, graph-api.md 7); url is
 * taken over; json: the body will be JSON. */
struct mbx_req *
mbx_graph_req(const char *method, const char *mailbox, char *url, int json)
{
	struct mbx_req *r = mbx_req_new(method, url);

	free(url);
	mbx_strlcpy(r->lane, mailbox, sizeof r->lane);
	if (json)
		r->ctype = "application/json";
	return r;
}

/* The engine still answers an exit code (http.c): its kind is taken here, in one place;
 * an answer that is not 2xx without one is a refusal of this one call (RECORD). */
int
mbx_graph_failed(const struct mbx_req *r, struct mbx_err *e)
{
	enum mbx_err_kind k = mbx_http_err_kind(r);

	mbx_err_clear(e);
	if (r->status >= 200 && r->status < 300 && k == MBX_ERR_NONE)
		return 0;
	e->kind = k != MBX_ERR_NONE ? k : MBX_ERR_RECORD;
	mbx_graph_errmsg(r, e->msg, sizeof e->msg);
	return -1;
}

/* Only a GET of one object may say NOTFOUND: a listing's 404 is no answer about a name. */
int
mbx_graph_failed_one(const struct mbx_req *r, struct mbx_err *e)
{
	if (mbx_graph_failed(r, e) == 0)
		return 0;
	if (r->status == 404 && e->kind == MBX_ERR_RECORD)
		e->kind = MBX_ERR_NOTFOUND;
	return -1;
}

int
mbx_req_fails_all(const struct mbx_req *r)
{
	return mbx_http_err_kind(r) == MBX_ERR_AUTH && r->status != 403;
}

int
mbx_graph_run(struct mbx_graph *g, struct mbx_req *r, struct mbx_err *e)
{
	if (mbx_task_self())
		mbx_task_perform(g->http, r);       /* the other mailboxes run meanwhile */
	else
		mbx_http_perform(g->http, r);
	return mbx_graph_failed(r, e);
}

/* One object: a 404 says that it does not exist (NOTFOUND); a listing's 404
 * (graph_pages) stays RECORD, so that mkpath never takes a failed listing for "none". */
int
mbx_graph_get(struct mbx_graph *g, const char *url, const char *lane, yajl_val *out,
	      struct mbx_err *e)
{
	struct mbx_req *r = get_req(url, lane);
	char why[256];
	int rc;

	*out = NULL;
	mbx_graph_run(g, r, e);
	if ((rc = mbx_graph_failed_one(r, e)) == 0) {
		*out = mbx_json_parse(r->resp.data ? r->resp.data : "", r->resp.len, why,
				      sizeof why);
		if (!*out || !YAJL_IS_OBJECT(*out)) {
			mbx_err_set(e, MBX_ERR_SERVICE, NULL, "malformed JSON in response: %s",
				    *out ? "not an object" : why);
			yajl_tree_free(*out);
			*out = NULL;
			rc = -1;
		}
	}
	mbx_req_free(r);
	return rc;
}

/* Whether a delta page's failure says that the round's state is gone (graph-api.md 5):
 * then e becomes SERVICE, what it is to a caller that cannot start over. */
static int
delta_expired(const struct mbx_req *r, struct mbx_err *e)
{
	char code[64];

	mbx_graph_errcode(r, code, sizeof code);
	if (r->status != 410 && strcmp(code, "syncStateNotFound") != 0 &&
	    strcmp(code, "resyncRequired") != 0)
		return 0;
	e->kind = MBX_ERR_SERVICE;
	return 1;
}

/* One page: fetched whole (bounded), then streamed element by element, so a page that
 * is retried after a broken transfer never hands out an element twice. 0, -1 with e, or
 * (delta) MBX_DELTA_EXPIRED with e. */
static int
list_page(struct mbx_graph *g, const char *url, const char *lane, mbx_jstream_cb each,
	  void *ctx, char **next, char **delta, struct mbx_err *e)
{
	struct mbx_req *r = get_req(url, lane);
	struct mbx_jstream *s;
	const char *nl;
	int rc;

	*next = NULL;
	if (delta)
		r->prefer = "odata.maxpagesize=250";    /* graph-api.md 5: on every call */
	if ((rc = mbx_graph_run(g, r, e)) < 0) {
		if (delta && delta_expired(r, e))
			rc = MBX_DELTA_EXPIRED;
		mbx_req_free(r);
		return rc;
	}
	s = mbx_jstream_new("value", each, ctx, ELEM_MAX);
	if (mbx_jstream_feed(s, r->resp.data ? r->resp.data : "", r->resp.len) < 0 ||
	    mbx_jstream_finish(s) < 0) {
		mbx_err_set(e, MBX_ERR_SERVICE, NULL, "malformed JSON in response: %s",
			    mbx_jstream_error(s));
		rc = -1;
	} else if ((nl = mbx_jstream_top(s, "@odata.nextLink")) != NULL) {
		*next = mbx_strdup(nl);
	} else if (delta && (nl = mbx_jstream_top(s, "@odata.deltaLink")) != NULL) {
		*delta = mbx_strdup(nl);
	}
	mbx_jstream_free(s);
	mbx_req_free(r);
	return rc;
}

static int graph_pages(struct mbx_graph *g, const char *url, const char *lane,
		       mbx_jstream_cb each, void *ctx, char **delta, struct mbx_err *e);

int
mbx_graph_list(struct mbx_graph *g, const char *url, const char *lane, mbx_jstream_cb each,
	       void *ctx, struct mbx_err *e)
{
	mbx_err_clear(e);
	return graph_pages(g, url, lane, each, ctx, NULL, e);
}

/* A delta round (graph-api.md 5): pages until the one with the deltaLink. */
int
mbx_graph_delta(struct mbx_graph *g, const char *url, const char *lane, mbx_jstream_cb each,
		void *ctx, char **link, struct mbx_err *e)
{
	int rc;

	*link = NULL;
	mbx_err_clear(e);
	if (!mbx_url_same_origin(url, g->base)) {
		mbx_err_set(e, MBX_ERR_SERVICE, NULL,
			    "refusing a delta link to another host: '%.200s'", url);
		return -1;
	}
	rc = graph_pages(g, url, lane, each, ctx, link, e);
	if (rc == 0 && !*link) {
		mbx_err_set(e, MBX_ERR_SERVICE, NULL,
			    "the delta round ended without an @odata.deltaLink");
		rc = -1;
	}
	return rc;
}

/* GET url and every nextLink after it; with delta, the last page's deltaLink too. */
static int
graph_pages(struct mbx_graph *g, const char *url, const char *lane, mbx_jstream_cb each,
	    void *ctx, char **delta, struct mbx_err *e)
{
	char *cur = mbx_strdup(url), *next;
	int rc;

	for (;;) {
		rc = list_page(g, cur, lane, each, ctx, &next, delta, e);
		free(cur);
		if (rc || !next)
			break;
		if (!mbx_url_same_origin(next, g->base)) {
			/* a nextLink carries our token to wherever it points */
			mbx_err_set(e, MBX_ERR_SERVICE, NULL,
				    "refusing @odata.nextLink to another host: '%.200s'", next);
			free(next);
			return -1;
		}
		cur = next;
	}
	return rc;
}

/* ---------------------------------------------------------------- mailboxes */

int
mbx_graph_settings(struct mbx_graph *g, const char *user, char *primary, size_t np,
		   char *archive, size_t na, struct mbx_err *e)
{
	char *url = mbx_graph_url(g, "users/%s/settings/exchange", user);
	yajl_val v;
	const char *p, *a;
	int rc;

	*primary = *archive = '\0';
	rc = mbx_graph_get(g, url, "", &v, e);
	free(url);
	if (rc)
		return rc;
	p = mbx_json_str(v, "primaryMailboxId");
	a = mbx_json_str(v, "inPlaceArchiveMailboxId");
	if (!p) {
		mbx_err_set(e, MBX_ERR_SERVICE, NULL,
			    "no primaryMailboxId in the exchange settings of '%s'", user);
		rc = -1;
	} else {
		mbx_strlcpy(primary, p, np);
		mbx_strlcpy(archive, a ? a : "", na);
	}
	yajl_tree_free(v);
	return rc;
}

int
mbx_graph_mailbox(struct mbx_graph *g, const char *spec, int archive, struct mbx_mailbox *out,
		  struct mbx_err *e)
{
	char primary[192], arch[192];

	memset(out, 0, sizeof *out);
	mbx_err_clear(e);
	if (strncmp(spec, "MBX:", 4) == 0) {
		mbx_strlcpy(out->id, spec, sizeof out->id);
		mbx_strlcpy(out->kind, archive ? "archive" : "primary", sizeof out->kind);
		return 0;
	}
	if (mbx_graph_settings(g, spec, primary, sizeof primary, arch, sizeof arch, e) < 0)
		return -1;
	if (archive && !*arch) {
		mbx_err_set(e, MBX_ERR_NOTFOUND, NULL, "user '%s' has no archive mailbox", spec);
		return -1;
	}
	mbx_strlcpy(out->id, archive ? arch : primary, sizeof out->id);
	mbx_strlcpy(out->user, spec, sizeof out->user);
	mbx_strlcpy(out->kind, archive ? "archive" : "primary", sizeof out->kind);
	return 0;
}

/* ---------------------------------------------------------------- folders */

void
mbx_folder_clear(struct mbx_folder *f)
{
	free(f->id);
	free(f->parent_id);
	free(f->display_name);
	free(f->well_known);
	free(f->cls);
	free(f->path);
	memset(f, 0, sizeof *f);
}

int
mbx_folder_from_json(struct mbx_folder *f, yajl_val v)
{
	memset(f, 0, sizeof *f);
	if (!mbx_json_str(v, "id"))
		return -1;
	f->id = mbx_strdup(mbx_json_str(v, "id"));
	f->parent_id = mbx_strdup(mbx_json_str(v, "parentFolderId"));
	f->display_name = mbx_strdup(mbx_json_str(v, "displayName"));
	f->well_known = mbx_strdup(mbx_json_str(v, "wellKnownName"));
	f->cls = mbx_strdup(mbx_json_str(v, "type"));
	if (mbx_json_num(v, "childFolderCount", &f->child_count) < 0)
		f->child_count = -1;               /* unknown: ask */
	if (mbx_json_num(v, "totalItemCount", &f->total_count) < 0)
		f->total_count = -1;
	return 0;
}

/* ---------------------------------------------------------------- rename, delete */

/* Run r and free it: 0, or -1 with e. */
static int
run_err(struct mbx_graph *g, struct mbx_req *r, struct mbx_err *e)
{
	int rc = mbx_graph_run(g, r, e);

	mbx_req_free(r);
	return rc;
}

/* PATCH displayName (graph-api.md 3.6). */
int
mbx_graph_rename(struct mbx_graph *g, const char *mailbox, const char *id, const char *name,
		 struct mbx_err *e)
{
	struct mbx_req *r = mbx_graph_req("PATCH", mailbox, mbx_graph_url(g,
		"admin/exchange/mailboxes/%s/folders/%s", mailbox, id), 1);
	struct mbx_jw w;

	mbx_jw_init(&w, &r->body);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "displayName", name);
	mbx_jw_end(&w);
	return run_err(g, r, e);
}

/* DELETE with the /$ref of the v1.0 page (3.7; the emulator takes both forms). */
int
mbx_graph_rmfolder(struct mbx_graph *g, const char *mailbox, const char *id, struct mbx_err *e)
{
	return run_err(g, mbx_graph_req("DELETE", mailbox, mbx_graph_url(g,
		"admin/exchange/mailboxes/%s/folders/%s/$ref", mailbox, id), 0), e);
}

/* The mailbox a writer works on: resolved, or reported (an error record when the
 * service said it does not exist, mbx(7)) and the program ends with rc. */
void
mbx_graph_target(struct mbx_graph *g, const char *spec, int archive, struct mbx_mailbox *out)
{
	struct mbx_err e;
	int rc;

	if (mbx_graph_mailbox(g, spec, archive, out, &e) == 0)
		return;
	rc = mbx_exit_of(e.kind);
	mbx_report(rc, NULL, spec, "MailboxNotFound", "cannot find mailbox of '%s': %s", spec,
		   e.msg);
	mbx_graph_free(g);
	exit(rc);
}

/* ---------------------------------------------------------------- --stats */

/* A number with three decimals: seconds. */
static void
kdec(struct mbx_jw *w, const char *k, double v)
{
	char num[64];

	snprintf(num, sizeof num, "%.3f", v);
	mbx_jw_key(w, k);
	mbx_jw_raw(w, num);
}

double
mbx_graph_elapsed(const struct mbx_graph *g)
{
	return mbx_mono() - g->started;
}

static void
records_fields(struct mbx_jw *w, void *ctx)
{
	(void)ctx;
	mbx_jw_kint(w, "records", (long long)mbx_records_out);
	mbx_jw_kint(w, "errors", (long long)mbx_errors_out);
}

/* --stats FILE (mbx(7) STATISTICS): {"type":"stats","program", the program's own counts
 * from fields(), then requests, retries, throttled, waited and elapsed}. */
void
mbx_stats_write(const struct mbx_graph *g, void (*fields)(struct mbx_jw *w, void *ctx),
		void *ctx)
{
	const struct mbx_http_stats *h = mbx_http_stats(g->http);
	struct mbx_buf b;
	struct mbx_jw w;
	FILE *f;
	int ok;

	if (!mbx_opt.stats)
		return;
	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "stats");
	mbx_jw_kstr(&w, "program", mbx_progname);
	(fields ? fields : records_fields)(&w, ctx);
	mbx_jw_kint(&w, "requests", (long long)h->requests);
	mbx_jw_kint(&w, "retries", (long long)h->retries);
	mbx_jw_kint(&w, "throttled", (long long)h->throttled);
	kdec(&w, "waited", h->waited);
	kdec(&w, "elapsed", mbx_graph_elapsed(g));
	mbx_jw_end(&w);
	f = fopen(mbx_opt.stats, "w");
	ok = f && !w.err && fprintf(f, "%s\n", b.data) >= 0;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok)
		mbx_err("cannot write stats '%s'", mbx_opt.stats);
	mbx_buf_free(&b);
}
