/* http.c: the libcurl multi engine: reused connections, HTTP/2 when offered,
 * at most --jobs requests in flight per lane (mailbox), retries like curl --retry that
 * honour Retry-After, one token refresh on 401, and a request log with secrets redacted.
 * Bare section numbers are those of docs/graph-api.md. */
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "mbx.h"

#define BACKOFF_BASE 1.0       /* seconds; doubled per attempt, full jitter */
#define BACKOFF_CAP 60.0
#define LONG_WAIT 10.0         /* seconds: a wait longer than this is announced */
#define LOW_SPEED_TIME 60L     /* abort a transfer that moves < 1 byte/s for this long */

struct lane {
	char key[192];
	int inflight;
	double paused_until;       /* a 429/503 Retry-After pauses the whole lane */
	double last_start;         /* pacing: see lane_due() */
	double lat[8];             /* the latest call times, a ring */
	int nlat;
	struct mbx_req *head, *tail;
	struct mbx_slots *slots;   /* the mailbox's slots on this machine: see slot_take() */
	int slots_known;
	struct lane *next;
};

#define MAX_HOPS 5             /* redirects followed per request (graph-api.md 3.17) */

struct priv {
	struct mbx_req *next;      /* lane queue */
	struct lane *lane;
	CURL *easy;
	struct curl_slist *hdrs;
	double first, started, not_before, retry_after;
	int refreshed, done, too_large;
	enum mbx_err_kind kind;    /* the outcome, once done: NONE for a 2xx */
	int hops;                  /* redirects followed */
	int slot;                  /* the lane's slot held in flight (slots.c), 0 none */
	int sent;                  /* this attempt's request went out (on_prereq), times */
	double slot_wait;          /* since when it waits for one, 0 not */
	char *visited[MAX_HOPS + 1];
	char errbuf[CURL_ERROR_SIZE];      /* curl's detailed message of the last attempt */
};

struct mbx_http {
	CURLM *multi;
	struct lane *lanes;
	CURL *pool[64];
	int npool, inflight, queued;
	struct mbx_auth *auth;
	struct mbx_http_stats st;
	int warned_insecure;
	int reached;               /* an answer came back: connection errors are weather now */
	struct mbx_http *apart;    /* the engine of mbx_http_perform_apart, made when needed */
	int in_step;               /* inside a round: transfers and their callbacks running */
};

struct mbx_http *
mbx_http_new(char *err, size_t errlen)
{
	struct mbx_http *h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return NULL;
	}
	h = mbx_xcalloc(1, sizeof *h);
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		snprintf(err, errlen, "cannot initialise libcurl");
		return NULL;
	}
	/* HTTP/2 multiplexing over one connection per host when the server offers it */
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	return h;
}

void
mbx_http_set_auth(struct mbx_http *h, struct mbx_auth *a)
{
	h->auth = a;
}

const struct mbx_http_stats *
mbx_http_stats(const struct mbx_http *h)
{
	return &h->st;
}

void
mbx_http_free(struct mbx_http *h)
{
	struct lane *l, *n;
	int i;

	if (!h)
		return;
	mbx_http_free(h->apart);
	for (i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	for (l = h->lanes; l; l = n) {
		n = l->next;
		free(l);
	}
	curl_multi_cleanup(h->multi);
	free(h);
	curl_global_cleanup();
}

struct mbx_req *
mbx_req_new(const char *method, const char *url)
{
	struct mbx_req *r = mbx_xcalloc(1, sizeof *r);

	r->method = method;
	r->url = mbx_strdup(url);
	mbx_buf_init(&r->body, 0);
	mbx_buf_init(&r->resp, 0);
	r->priv = mbx_xcalloc(1, sizeof(struct priv));
	return r;
}

void
mbx_req_free(struct mbx_req *r)
{
	if (!r)
		return;
	free(r->url);
	mbx_buf_free(&r->body);
	mbx_buf_free(&r->resp);
	if (r->priv) {
		struct priv *p = r->priv;
		int i;
		for (i = 0; i < p->hops; i++)
			free(p->visited[i]);
	}
	free(r->priv);
	free(r);
}

/* ---------------------------------------------------------------- lanes */

static struct lane *
lane_of(struct mbx_http *h, const char *key)
{
	struct lane *l;

	for (l = h->lanes; l; l = l->next)
		if (strcmp(l->key, key) == 0)
			return l;
	l = mbx_xcalloc(1, sizeof *l);
	mbx_strlcpy(l->key, key, sizeof l->key);
	l->next = h->lanes;
	h->lanes = l;
	return l;
}

static void
enqueue(struct mbx_http *h, struct mbx_req *r, int front)
{
	struct priv *p = r->priv;
	struct lane *l = p->lane;

	p->next = NULL;
	if (front) {
		p->next = l->head;
		l->head = r;
		if (!l->tail)
			l->tail = r;
	} else {
		if (l->tail)
			((struct priv *)l->tail->priv)->next = r;
		else
			l->head = r;
		l->tail = r;
	}
	h->queued++;
}

static struct mbx_req *
dequeue(struct mbx_http *h, struct lane *l)
{
	struct mbx_req *r = l->head;

	l->head = ((struct priv *)r->priv)->next;
	if (!l->head)
		l->tail = NULL;
	h->queued--;
	return r;
}

#define PACE_MAX 0.5            /* seconds: the most a start waits for pacing */

static void
lane_latency(struct lane *l, double secs)
{
	l->lat[l->nlat++ % 8] = secs;
}

/* A lane's typical call time: the median of its latest successful calls, so that one
 * huge item does not slow the calls after it. */
static double
lane_typical(const struct lane *l)
{
	double v[8], t;
	int n = l->nlat < 8 ? l->nlat : 8, i, j;

	memcpy(v, l->lat, sizeof v);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? v[n / 2] : 0;
}

/* When the lane's next call may start. Calls started together come back together, and
 * a client reading several answers at once finishes them all late, so the lane stays
 * in step and every call pays for its neighbours. Spacing starts by a little less than
 * latency / jobs spreads them over the service's latency; it is under the lane's natural
 * rhythm, so a lane that keeps --jobs calls in flight is not held back. */
static double
lane_due(const struct lane *l, const struct priv *p)
{
	double due = p->not_before > l->paused_until ? p->not_before : l->paused_until;
	double gap = 0.9 * lane_typical(l) / mbx_opt.jobs;
	double spaced = l->last_start + (gap < PACE_MAX ? gap : PACE_MAX);

	return mbx_opt.jobs > 1 && l->inflight > 0 && spaced > due ? spaced : due;
}

#define SLOT_POLL 0.002         /* seconds: how soon a request waiting for a slot looks again */
#define SLOT_WAIT_MAX 2.0       /* seconds a request waits for a slot before it goes without */

/* A call to a mailbox (.../mailboxes/{id}/...) holds one of that mailbox's slots on this
 * machine while in flight (slots.c), so that processes sharing an app and a mailbox stay
 * within its 4 requests together (graph-api.md 7) instead of drawing 429s from each
 * other; calls that name no mailbox (token, /users, settings, import uploads) take none.
 * A call that waited SLOT_WAIT_MAX goes without: the holders may be stuck behind this
 * process (mbx-export blocked writing to an mbx-import of the same mailbox that waits
 * for a slot), and the service's 429s then decide, as without slots.
 * 0: no slot may be taken now. */
static int
slot_take(struct lane *l, struct mbx_req *r, double t)
{
	struct priv *p = r->priv;

	if (!*l->key || !strcasestr(r->url, "/mailboxes/"))
		return 1;
	if (!l->slots_known) {
		l->slots = mbx_slots_get(l->key);
		l->slots_known = 1;
	}
	p->slot = l->slots ? mbx_slots_take(l->slots) : -1;
	if (p->slot < 0)
		p->slot = 0;           /* sharing is off: the lane's own bound only */
	else if (p->slot == 0) {
		if (!p->slot_wait)
			p->slot_wait = t;
		if (t - p->slot_wait < SLOT_WAIT_MAX)
			return 0;
		mbx_slots_unwant(l->slots);
		mbx_debug("no slot of '%s' for %.0f s: going without", l->key, SLOT_WAIT_MAX);
	}
	p->slot_wait = 0;
	return 1;
}

static void
slot_give(struct priv *p)
{
	if (p->slot)
		mbx_slots_give(p->lane->slots, p->slot, !p->lane->head);
	p->slot = 0;
}

/* ---------------------------------------------------------------- logging */

/* The URL as it may be logged: secrets redacted, no query at all for import URLs. */
static const char *
log_url(const struct mbx_req *r, char *out, size_t n)
{
	char tmp[2048];

	mbx_strlcpy(tmp, r->url, sizeof tmp);
	if (r->flags & MBX_REQ_SECRET_URL)
		tmp[strcspn(tmp, "?")] = '\0';
	return mbx_redact(tmp, out, n);
}

static const char *
reason(long status)
{
	static const struct { long code; const char *text; } t[] = {
		{ 200, "OK" }, { 201, "Created" }, { 204, "No Content" },
		{ 308, "Permanent Redirect" }, { 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
		{ 413, "Payload Too Large" }, { 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].code == status)
			return t[i].text;
	return "";
}

const char *
mbx_http_reason(long status)
{
	return reason(status);
}

/* ---------------------------------------------------------------- callbacks */

static size_t
on_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct mbx_req *r = ud;
	struct priv *pr = r->priv;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(pr->easy, CURLINFO_RESPONSE_CODE, &status);
	if (r->on_body && status >= 200 && status < 300)
		return r->on_body(r, p, n) == 0 ? n : 0;
	if (mbx_buf_append(&r->resp, p, n) < 0) {
		pr->too_large = 1;
		return 0;              /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

/* Retry-After: delta-seconds (fractional seen in the docs) or an HTTP-date. */
static double
parse_retry_after(const char *v)
{
	double d;
	time_t t;
	char buf[128];

	mbx_strlcpy(buf, v, sizeof buf);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (mbx_parse_double(buf, 0, 86400, &d) == 0)
		return d;
	t = curl_getdate(buf, NULL);
	if (t > 0) {
		d = difftime(t, time(NULL));
		return d > 0 ? d : 0;
	}
	return -1;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct mbx_req *r = ud;
	struct priv *pr = r->priv;
	size_t n = size * nmemb, k;
	char line[1200];

	k = n < sizeof line - 1 ? n : sizeof line - 1;
	memcpy(line, p, k);
	line[k] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {          /* a new response (after 100) */
		pr->retry_after = -1;
		r->location[0] = '\0';
	} else if (strncasecmp(line, "retry-after:", 12) == 0) {
		pr->retry_after = parse_retry_after(line + 12 + strspn(line + 12, " \t"));
	} else if (strncasecmp(line, "location:", 9) == 0) {
		mbx_strlcpy(r->location, line + 9 + strspn(line + 9, " \t"), sizeof r->location);
	}
	if (mbx_verbosity >= 2 && *line) {
		char red[1300];
		mbx_debug("< %s", mbx_redact(line, red, sizeof red));
	}
	return n;
}

/* ---------------------------------------------------------------- attempts */

/* Plain http:// only to this machine: tokens must not cross a network in clear. */
static int
plain_http_allowed(const char *url)
{
	const char *host;
	size_t n;

	if (strncasecmp(url, "https://", 8) == 0)
		return 1;
	if (strncasecmp(url, "http://", 7) != 0)
		return 0;
	host = url + 7;
	n = strcspn(host, "/?#");
	if (memchr(host, '@', n))       /* user@host: the host is what follows the '@' */
		return 0;
	n = strcspn(host, ":/?#");
	return (n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	       (strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == n) ||
	       (strncmp(host, "[::1]", 5) == 0 && strchr(":/?#", host[5]));
}

static void
set_tls(struct mbx_http *h, CURL *e)
{
	if (mbx_opt.cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, mbx_opt.cacert);
	if (mbx_opt.insecure) {
		if (!h->warned_insecure++)      /* even with -q: it is the one that matters */
			mbx_err("warning: --insecure: the service's TLS certificate is not verified");
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/* libcurl calls this once a connection is ready, just before it sends the request; it
 * calls it again when it resends on a fresh connection by itself (a reused connection that
 * died before any answer byte: curl's "Connection died, retrying a fresh connect"). So
 * sent > 0 says the request may have reached the service even when the attempt ends in
 * CURLE_COULDNT_CONNECT (that fresh connect refused). */
static int
on_prereq(void *ctx, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
	  int conn_local_port)
{
	struct priv *p = ((struct mbx_req *)ctx)->priv;

	(void)conn_primary_ip, (void)conn_local_ip, (void)conn_primary_port;
	(void)conn_local_port;
	p->sent++;
	return CURL_PREREQFUNC_OK;
}

static CURL *
easy_for(struct mbx_http *h, struct mbx_req *r)
{
	CURL *e = h->npool ? h->pool[--h->npool] : curl_easy_init();

	if (!e)
		mbx_die(MBX_EXIT_SOFTWARE, "out of memory");
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	((struct priv *)r->priv)->errbuf[0] = '\0';
	((struct priv *)r->priv)->sent = 0;
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ((struct priv *)r->priv)->errbuf);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	if (strcmp(r->method, "GET") != 0 || r->body.len) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body.data ? r->body.data : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
	}
	set_tls(h, e);
	return e;
}

/* Headers of one attempt; the token is fetched anew each time (it may have been
 * refreshed by another request, or after a 401). NONE, or the kind of the auth
 * failure (its message in r->errmsg). */
static enum mbx_err_kind
headers_for(struct mbx_http *h, struct mbx_req *r)
{
	struct priv *p = r->priv;
	struct mbx_buf b;
	const char *tok;
	struct mbx_err e;

	curl_slist_free_all(p->hdrs);
	p->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (r->ctype) {
		mbx_buf_init(&b, 0);
		mbx_buf_printf(&b, "Content-Type: %s", r->ctype);
		p->hdrs = curl_slist_append(p->hdrs, b.data);
		mbx_buf_free(&b);
	}
	if (r->prefer) {
		mbx_buf_init(&b, 0);
		mbx_buf_printf(&b, "Prefer: %s", r->prefer);
		p->hdrs = curl_slist_append(p->hdrs, b.data);
		mbx_buf_free(&b);
	}
	if (!(r->flags & MBX_REQ_NOAUTH) && h->auth) {
		/* a fetch runs on its own engine (mbx_http_perform_apart): h is not driven
		 * meanwhile, so no other call starts and no callback runs inside start() */
		tok = mbx_auth_token(h->auth, p->refreshed == 1, &e);
		if (!tok) {
			mbx_strlcpy(r->errmsg, e.msg, sizeof r->errmsg);
			return e.kind;
		}
		if (p->refreshed == 1)
			p->refreshed = 2;
		mbx_buf_init(&b, 0);
		mbx_buf_printf(&b, "Authorization: Bearer %s", tok);
		p->hdrs = curl_slist_append(p->hdrs, b.data);
		memset(b.data, 0, b.len);      /* do not leave the token in freed memory */
		mbx_buf_free(&b);
	}
	return MBX_ERR_NONE;
}

static void finish(struct mbx_http *h, struct mbx_req *r, enum mbx_err_kind kind);

static void
start(struct mbx_http *h, struct mbx_req *r)
{
	struct priv *p = r->priv;
	char u[2048];
	enum mbx_err_kind k = headers_for(h, r);

	if (k != MBX_ERR_NONE) {
		slot_give(p);
		finish(h, r, k);
		return;
	}
	p->easy = easy_for(h, r);
	curl_easy_setopt(p->easy, CURLOPT_HTTPHEADER, p->hdrs);
	mbx_buf_reset(&r->resp);
	r->attempts++;
	p->started = mbx_mono();
	p->retry_after = -1;
	p->too_large = 0;
	h->st.requests++;
	h->st.bytes_out += r->body.len;
	mbx_debug("> %s %s", r->method, log_url(r, u, sizeof u));
	curl_multi_add_handle(h->multi, p->easy);
	p->lane->inflight++;
	h->inflight++;
}

/* ---------------------------------------------------------------- outcomes */

static void
finish(struct mbx_http *h, struct mbx_req *r, enum mbx_err_kind kind)
{
	struct priv *p = r->priv;

	p->done = 1;
	p->kind = kind;
	if (kind != MBX_ERR_NONE)
		h->st.failures++;
	curl_slist_free_all(p->hdrs);
	p->hdrs = NULL;
	if (r->on_done)
		r->on_done(r);
}

static int
retryable_status(long s)
{
	return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

/* Certificate problems are configuration, not weather: never retried. */
static int
tls_fatal(CURLcode c)
{
	return c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
	       c == CURLE_SSL_CERTPROBLEM || c == CURLE_SSL_ISSUER_ERROR ||
	       c == CURLE_SSL_PINNEDPUBKEYNOTMATCH || c == CURLE_SSL_CRL_BADFILE;
}

/* A non-idempotent request (an import) that lost its connection may have been carried
 * out: only a request that never went out is safe to try again. A refused connect is
 * not proof of that when curl had sent the request once on a reused connection (on_prereq):
 * the service that took it and died is then refused on the fresh connect. */
static int
transport_retryable(struct mbx_req *r, CURLcode c)
{
	const struct priv *p = r->priv;
	size_t k;

	if (!(r->flags & MBX_REQ_UNSAFE))
		return 1;
	if (!p->sent && (c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
			 c == CURLE_COULDNT_RESOLVE_PROXY))
		return 1;
	k = strlen(r->errmsg);
	snprintf(r->errmsg + k, sizeof r->errmsg - k, " (the request may have been carried out)");
	return 0;
}

/* A uniform draw in [0, 1), seeded per process: processes throttled together must not
 * all come back together (rand() unseeded draws the same delays in every process). */
static double
jitter(void)
{
	static uint64_t x;

	if (!x)
		x = ((uint64_t)getpid() << 32) ^ (uint64_t)(mbx_mono() * 1e9) ^ 0x9e3779b97f4a7c15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (double)(x >> 11) / 9007199254740992.0;
}

static double
backoff(int attempt)
{
	double cap = BACKOFF_BASE * pow(2, attempt - 1);

	if (cap > BACKOFF_CAP)
		cap = BACKOFF_CAP;
	return cap * jitter();     /* full jitter */
}

/* The reason a try failed, short: "connection refused", "503 Service Unavailable". */
static const char *
why(const struct mbx_req *r)
{
	const char *e = ((const struct priv *)r->priv)->errbuf;

	if (r->curl_code)
		return *e ? e : curl_easy_strerror((CURLcode)r->curl_code);
	return r->errmsg;
}

/* A connection error before any answer: the URL is wrong, waiting cannot help. */
static int
unreachable(const struct mbx_http *h, CURLcode c)
{
	return !h->reached && (c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
			       c == CURLE_COULDNT_RESOLVE_PROXY);
}

/* Queue r again after delay seconds, unless that would exceed the retry budget. */
static int
retry(struct mbx_http *h, struct mbx_req *r, double delay, int lane_wide)
{
	struct priv *p = r->priv;
	double t = mbx_mono();

	if (t + delay - p->first > mbx_opt.retry_max_time)
		return 0;
	if (r->on_body && r->on_reset)
		r->on_reset(r);
	p->not_before = t + delay;
	if (lane_wide && p->lane->paused_until < p->not_before)
		p->lane->paused_until = p->not_before;
	h->st.retries++;
	h->st.waited += delay;
	mbx_debug("retrying in %.1f s (attempt %d)", delay, r->attempts + 1);
	if (delay > LONG_WAIT && mbx_verbosity >= 0)    /* never wait in silence (mbx(7) RETRIES) */
		mbx_err("waiting %.0f s before try %d: %s", delay, r->attempts + 1, why(r));
	enqueue(h, r, 1);
	return 1;
}

static void
describe(struct mbx_req *r, CURLcode c)
{
	char u[1024];

	if (c == CURLE_WRITE_ERROR && ((struct priv *)r->priv)->too_large)
		snprintf(r->errmsg, sizeof r->errmsg, "response from '%s' larger than %zu bytes",
			 log_url(r, u, sizeof u), r->resp.max);
	else if (c != CURLE_OK)
		snprintf(r->errmsg, sizeof r->errmsg, "cannot connect to '%.300s': %.180s",
			 log_url(r, u, sizeof u), *((struct priv *)r->priv)->errbuf
			 ? ((struct priv *)r->priv)->errbuf : curl_easy_strerror(c));
	else
		snprintf(r->errmsg, sizeof r->errmsg, "%ld %s", r->status, reason(r->status));
}

/* 3.17: an expanded archive folder answers 308 with the same request on another
 * mailbox. Followed by hand, with the token, only on the host the request went to, at
 * most MAX_HOPS times and never in a loop. -1 re-queued, else the kind of the failure. */
static int
follow(struct mbx_http *h, struct mbx_req *r)
{
	struct priv *p = r->priv;
	char u[600];
	int i;

	for (i = 0; i <= p->hops; i++)
		if (strcmp(i < p->hops ? p->visited[i] : r->url, r->location) == 0) {
			snprintf(r->errmsg, sizeof r->errmsg, "redirect loop at '%.400s'",
				 log_url(r, u, sizeof u));
			return MBX_ERR_RECORD;
		}
	if (!mbx_url_same_origin(r->location, r->url)) {
		snprintf(r->errmsg, sizeof r->errmsg, "refusing a redirect to another host: "
			 "'%.300s'", mbx_redact(r->location, u, sizeof u));
		return MBX_ERR_RECORD;
	}
	if (p->hops == MAX_HOPS) {
		snprintf(r->errmsg, sizeof r->errmsg, "more than %d redirects from '%.400s'",
			 MAX_HOPS, log_url(r, u, sizeof u));
		return MBX_ERR_RECORD;
	}
	p->visited[p->hops++] = r->url;
	r->url = mbx_strdup(r->location);
	if (r->on_body && r->on_reset)
		r->on_reset(r);
	p->not_before = 0;
	enqueue(h, r, 1);
	return -1;
}

/* -1: re-queued (a retry, a fresh token, a redirect); else the outcome's kind. */
static int
classify(struct mbx_http *h, struct mbx_req *r, CURLcode c)
{
	struct priv *p = r->priv;
	double delay;

	describe(r, c);
	if (c != CURLE_OK)
		return tls_fatal(c) || p->too_large || unreachable(h, c) ||
		       !transport_retryable(r, c) ? MBX_ERR_SERVICE
			: retry(h, r, backoff(r->attempts), 0) ? -1 : MBX_ERR_SERVICE;
	if (r->status == 301 || r->status == 302 || r->status == 307 || r->status == 308)
		return follow(h, r);
	if (r->status >= 200 && r->status < 300)
		return 0;
	if (r->status == 401 && !(r->flags & MBX_REQ_NOAUTH) && h->auth && !p->refreshed) {
		p->refreshed = 1;              /* once: a fresh token, then the answer stands */
		enqueue(h, r, 1);
		return -1;
	}
	if (retryable_status(r->status) && !(r->flags & MBX_REQ_NORETRY)) {
		if (r->status == 429 || r->status == 503)
			h->st.throttled++;
		delay = p->retry_after >= 0 ? p->retry_after : backoff(r->attempts);
		if (retry(h, r, delay, p->retry_after >= 0))
			return -1;
		return MBX_ERR_SERVICE;
	}
	if (r->status == 401 || r->status == 403)
		return r->flags & MBX_REQ_NOAUTH ? MBX_ERR_RECORD : MBX_ERR_AUTH;
	return MBX_ERR_RECORD;
}

static void
complete(struct mbx_http *h, CURL *e, CURLcode c)
{
	struct mbx_req *r = NULL;
	struct priv *p;
	char u[1024];
	curl_off_t dl = 0;
	int rc;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
	p = r->priv;
	curl_multi_remove_handle(h->multi, e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &dl);
	h->st.bytes_in += (unsigned long long)dl;
	r->curl_code = (int)c;
	h->reached |= r->status > 0;
	if (h->npool < (int)(sizeof h->pool / sizeof h->pool[0]))
		h->pool[h->npool++] = e;
	else
		curl_easy_cleanup(e);
	p->easy = NULL;
	p->lane->inflight--;
	h->inflight--;
	slot_give(p);
	if (c == CURLE_OK && r->status >= 200 && r->status < 300)
		lane_latency(p->lane, mbx_mono() - p->started);
	mbx_debug("< %s %ld %s (%.0f ms, %lld bytes)", log_url(r, u, sizeof u), r->status,
		  c ? curl_easy_strerror(c) : reason(r->status), (mbx_mono() - p->started) * 1000,
		  (long long)dl);
	rc = classify(h, r, c);
	if (rc >= 0) {
		if (rc == MBX_ERR_SERVICE && r->attempts > 1) {
			char tmp[sizeof r->errmsg];
			mbx_strlcpy(tmp, r->errmsg, sizeof tmp);
			snprintf(r->errmsg, sizeof r->errmsg, "gave up after %d attempts: %.440s",
				 r->attempts, tmp);
		}
		finish(h, r, (enum mbx_err_kind)rc);
	}
}

/* ---------------------------------------------------------------- driving */

void
mbx_http_submit(struct mbx_http *h, struct mbx_req *r)
{
	struct priv *p = r->priv;
	char u[1024];

	memset(p, 0, sizeof *p);
	p->first = mbx_mono();
	p->lane = lane_of(h, r->lane);
	r->attempts = 0;
	r->status = 0;
	r->errmsg[0] = '\0';
	if (!plain_http_allowed(r->url)) {
		snprintf(r->errmsg, sizeof r->errmsg,
			 "refusing '%s': only https://, or http:// to this machine",
			 log_url(r, u, sizeof u));
		finish(h, r, MBX_ERR_SERVICE);
		return;
	}
	enqueue(h, r, 0);
}

/* Start what may start; return ms until the next queued request may, or -1. */
static long
pump(struct mbx_http *h)
{
	struct lane *l;
	double t = mbx_mono(), next = -1, due;

	for (l = h->lanes; l; l = l->next) {
		while (l->head && l->inflight < mbx_opt.jobs) {
			due = lane_due(l, l->head->priv);
			if (due > t) {
				if (next < 0 || due < next)
					next = due;
				break;
			}
			if (!slot_take(l, l->head, t)) {
				if (next < 0 || t + SLOT_POLL < next)
					next = t + SLOT_POLL;
				break;
			}
			l->last_start = t;
			start(h, dequeue(h, l));
		}
	}
	return next < 0 ? -1 : (long)((next - t) * 1000) + 1;
}

/* One round: transfer, collect, start what the completions made room for; then wait up
 * to max_ms for sockets or for the next paused request to come due. Starting after
 * collecting matters: a lane whose calls all finished at once must not sit idle for the
 * whole wait. A round that completed a request does not wait at all: its callbacks may
 * have made work ready that only the caller runs (a listing task to resume, task.c),
 * and that work would otherwise sleep until the next answer of another request. */
static void
step(struct mbx_http *h, int max_ms, int fd)
{
	struct curl_waitfd in = { fd, CURL_WAIT_POLLIN, 0 };
	CURLMsg *m;
	int running, left, done = 0;
	long wait;

	/* A round inside a round: a callback (on_done, on_body, on_reset) drove the engine
	 * that runs it, which the callers must not do (http.h; a request's own engine for a
	 * token is mbx_http_perform_apart). Checked always: it is cheap, and a re-entry
	 * runs other requests' callbacks in the middle of one's. */
	if (h->in_step)
		mbx_die(MBX_EXIT_SOFTWARE, "internal error: the HTTP engine was driven from "
			"inside one of its callbacks");
	h->in_step = 1;
	pump(h);
	curl_multi_perform(h->multi, &running);
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE) {
			complete(h, m->easy_handle, m->data.result);
			done = 1;
		}
	wait = pump(h);
	h->in_step = 0;
	if ((h->inflight == 0 && h->queued == 0) || max_ms <= 0 || done)
		return;
	mbx_records_flush();            /* the wait may be long: the next stage has them */
	curl_multi_poll(h->multi, fd >= 0 ? &in : NULL, fd >= 0 ? 1 : 0,
			wait >= 0 && wait < max_ms ? (int)wait : max_ms, NULL);
}

int
mbx_http_step_in(struct mbx_http *h, int wait_ms, int fd)
{
	if (h->inflight || h->queued)
		step(h, wait_ms, fd);
	return h->inflight + h->queued;
}

int
mbx_http_step(struct mbx_http *h, int wait_ms)
{
	return mbx_http_step_in(h, wait_ms, -1);
}

int
mbx_http_run(struct mbx_http *h)
{
	while (h->inflight || h->queued)
		step(h, 1000, -1);
	return 0;
}

long
mbx_http_perform(struct mbx_http *h, struct mbx_req *r)
{
	struct priv *p = r->priv;

	mbx_http_submit(h, r);
	while (!p->done)
		step(h, 1000, -1);
	return r->status;
}

static void
stats_add(struct mbx_http_stats *to, const struct mbx_http_stats *now,
	  const struct mbx_http_stats *before)
{
	to->requests += now->requests - before->requests;
	to->retries += now->retries - before->retries;
	to->throttled += now->throttled - before->throttled;
	to->failures += now->failures - before->failures;
	to->waited += now->waited - before->waited;
	to->bytes_in += now->bytes_in - before->bytes_in;
	to->bytes_out += now->bytes_out - before->bytes_out;
}

/* The engine apart shares what belongs to the run, not to a connection: whether the
 * service answered yet (fail fast before that), the --insecure warning, the counts. */
long
mbx_http_perform_apart(struct mbx_http *h, struct mbx_req *r)
{
	struct mbx_http_stats before;
	char err[200];
	long status;

	if (!h->apart && !(h->apart = mbx_http_new(err, sizeof err)))
		mbx_die(MBX_EXIT_SOFTWARE, "%s", err);
	h->apart->reached = h->reached;
	h->apart->warned_insecure = h->warned_insecure;
	before = h->apart->st;
	status = mbx_http_perform(h->apart, r);
	stats_add(&h->st, &h->apart->st, &before);
	h->reached |= h->apart->reached;
	h->warned_insecure = h->apart->warned_insecure;
	return status;
}

enum mbx_err_kind
mbx_http_err_kind(const struct mbx_req *r)
{
	return ((const struct priv *)r->priv)->kind;
}

