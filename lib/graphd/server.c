/* server.c: the emulator's HTTP(S) server on libmicrohttpd: one thread per connection,
 * raw request URIs (ids may hold %2F, which must not split a path), the request log,
 * and fault injection (mbx-graphd(1) FAULTS).
 * Bare section numbers are those of docs/graph-api.md. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>
#include "server.h"

#define BODY_MAX ((size_t)200 << 20)   /* above the 150 MB import ceiling (8.9) */

static double
wall(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

/* MHD hands this the URI before it unescapes anything: keep it (see top). */
static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct gd_req *r = mbx_xcalloc(1, sizeof *r);

	(void)cls;
	(void)c;
	r->url = mbx_strdup(uri);
	mbx_buf_init(&r->body, BODY_MAX);
	mbx_buf_init(&r->out, 0);
	return r;
}

static void
req_free(struct gd_req *r)
{
	size_t i;

	for (i = 0; i < r->nq; i++) {
		free(r->qk[i]);
		free(r->qv[i]);
	}
	free(r->qk);
	free(r->qv);
	free((char *)r->url);
	mbx_buf_free(&r->body);
	mbx_buf_free(&r->out);
	free(r);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	(void)cls;
	(void)c;
	(void)t;
	if (*con_cls)
		req_free(*con_cls);
	*con_cls = NULL;
}

/* Split "path?query" and decode the query options (names case-insensitive later). */
int
gd_parse_query(struct gd_req *r)
{
	char *q = strchr((char *)r->url, '?'), *p, *amp, *eq;

	if (!q)
		return 0;
	*q++ = '\0';
	for (p = q; *p; p = amp ? amp + 1 : p + strlen(p)) {
		amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len == 0)
			continue;
		eq = memchr(p, '=', len);
		r->qk = mbx_xrealloc(r->qk, (r->nq + 1) * sizeof *r->qk);
		r->qv = mbx_xrealloc(r->qv, (r->nq + 1) * sizeof *r->qv);
		r->qk[r->nq] = mbx_url_unescape(p, eq ? (size_t)(eq - p) : len, 1);
		r->qv[r->nq] = eq ? mbx_url_unescape(eq + 1, len - (size_t)(eq - p) - 1, 1)
				  : mbx_strdup("");
		if (!r->qk[r->nq] || !r->qv[r->nq]) {
			free(r->qk[r->nq]);
			free(r->qv[r->nq]);
			return -1;
		}
		r->nq++;
		if (!amp)
			break;
	}
	return 0;
}

const char *
gd_query(const struct gd_req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nq; i++)
		if (strcasecmp(r->qk[i], key) == 0)
			return r->qv[i];
	return NULL;
}

void
gd_json_error(struct gd_req *r, int status, const char *code, const char *fmt, ...)
{
	struct mbx_jw w;
	char msg[1024], date[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	r->status = status;
	mbx_buf_reset(&r->out);
	mbx_jw_init(&w, &r->out);
	mbx_jw_obj(&w);
	mbx_jw_key(&w, "error");
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "code", code);
	mbx_jw_kstr(&w, "message", msg);
	mbx_jw_key(&w, "innerError");
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "date", date);
	mbx_jw_kstr(&w, "request-id", "6e0b5a1c-9d2f-4e8a-b7c3-1f2e3d4c5b6a");
	mbx_jw_kstr(&w, "client-request-id", r->client_request_id ? r->client_request_id
		    : "6e0b5a1c-9d2f-4e8a-b7c3-1f2e3d4c5b6a");
	mbx_jw_end(&w);
	mbx_jw_end(&w);
	mbx_jw_end(&w);
}

/* ---------------------------------------------------------------- faults */

static int
fault_kv(struct gd_fault *f, const char *k, const char *v)
{
	long l;

	if (!strcmp(k, "match"))
		return mbx_strlcpy(f->match, v, sizeof f->match) < sizeof f->match ? 0 : -1;
	if (!strcmp(k, "method"))
		return mbx_strlcpy(f->method, v, sizeof f->method) < sizeof f->method ? 0 : -1;
	if (!strcmp(k, "body")) {
		if (strcmp(v, "malformed") != 0 && strcmp(v, "truncated") != 0)
			return -1;
		mbx_strlcpy(f->body, v, sizeof f->body);
		return 0;
	}
	if (!strcmp(k, "retry-after"))
		return mbx_parse_double(v, 0, 3600, &f->retry_after);
	if (!strcmp(k, "itemerror"))
		return mbx_strlcpy(f->itemerror, v, sizeof f->itemerror) < sizeof f->itemerror ? 0 : -1;
	if (!strcmp(k, "rate"))
		return mbx_parse_double(v, 0, 1, &f->rate);
	if (!strcmp(k, "retry-after-date"))
		return (f->date = !strcmp(v, "1")) || !strcmp(v, "0") ? 0 : -1;
	if (!strcmp(k, "location"))      /* with a 3xx status; "self", "chain" or a URL */
		return mbx_strlcpy(f->location, v, sizeof f->location) < sizeof f->location ? 0 : -1;
	if (mbx_parse_long(v, 0, 1L << 30, &l) < 0)
		return -1;
	if (!strcmp(k, "status") && l >= 100 && l < 600)
		f->status = (int)l;
	else if (!strcmp(k, "count"))
		f->count = l;
	else if (!strcmp(k, "skip"))
		f->skip = l;
	else if (!strcmp(k, "latency"))
		f->latency_ms = (int)l;
	else if (!strcmp(k, "omit"))
		f->omit = (int)l;
	else if (!strcmp(k, "seed"))
		f->seed = l;
	else if (!strcmp(k, "jitter"))
		f->jitter_ms = l;
	else if (!strcmp(k, "storm"))
		f->storm_s = l;
	else
		return -1;
	return 0;
}

static int
fault_parse(const char *rule, struct gd_fault *f, char *err, size_t n)
{
	char *copy = mbx_strdup(rule), *save = NULL, *tok;
	int rc = 0;

	memset(f, 0, sizeof *f);
	f->count = 1;
	f->retry_after = -1;
	for (tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			rc = -1;
			break;
		}
		*eq = '\0';
		rc = fault_kv(f, tok, eq + 1);
	}
	if (!rc && !f->status && !*f->body && !f->latency_ms && !f->jitter_ms && !f->omit &&
	    !*f->itemerror)
		rc = -1;
	if (rc)
		snprintf(err, n, "bad fault rule '%s' (keys: match, method, status, retry-after, "
			 "count, skip, body=malformed|truncated, latency, jitter, omit, itemerror, location, "
			 "rate, seed, storm, retry-after-date)", rule);
	free(copy);
	return rc;
}

int
gd_faults_set(struct gd_server *sv, const char *text, char *err, size_t n)
{
	struct gd_fault tmp[64];
	size_t k = 0;
	char *copy = mbx_strdup(text), *save = NULL, *line;
	int rc = 0;

	for (line = strtok_r(copy, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (!*line || *line == '#')
			continue;
		if (k == 64 || fault_parse(line, &tmp[k++], err, n) < 0)
			rc = -1;
	}
	free(copy);
	if (rc)
		return -1;
	pthread_mutex_lock(&sv->fault_mu);
	memcpy(sv->faults, tmp, k * sizeof *tmp);
	sv->nfaults = k;
	pthread_mutex_unlock(&sv->fault_mu);
	return 0;
}

/* Append one rule (for repeated --fault options). */
int
gd_fault_add(struct gd_server *sv, const char *rule, char *err, size_t n)
{
	if (sv->nfaults == 64) {
		snprintf(err, n, "too many fault rules (64)");
		return -1;
	}
	if (fault_parse(rule, &sv->faults[sv->nfaults], err, n) < 0)
		return -1;
	sv->nfaults++;
	return 0;
}

void
gd_faults_json(struct gd_server *sv, struct mbx_buf *out)
{
	struct mbx_jw w;
	size_t i;

	mbx_jw_init(&w, out);
	mbx_jw_obj(&w);
	mbx_jw_key(&w, "value");
	mbx_jw_arr(&w);
	pthread_mutex_lock(&sv->fault_mu);
	for (i = 0; i < sv->nfaults; i++) {
		const struct gd_fault *f = &sv->faults[i];
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "match", f->match);
		mbx_jw_kint(&w, "status", f->status);
		mbx_jw_kstr(&w, "body", f->body);
		mbx_jw_kint(&w, "hits", f->hits);
		mbx_jw_kint(&w, "remaining", f->count ? f->count - f->hits : -1);
		mbx_jw_end(&w);
	}
	mbx_jw_end(&w);
	mbx_jw_kint(&w, "violations", (long long)sv->violations);
	pthread_mutex_unlock(&sv->fault_mu);
	mbx_jw_end(&w);
}

uint64_t gd_mix(uint64_t x);

/* rate: a deterministic draw from (seed, n-th match), so a run can be repeated. */
static int
draw_fires(struct gd_fault *f)
{
	uint64_t x = gd_mix((uint64_t)f->seed * 0x9e3779b97f4a7c15ULL ^ ++f->draws);

	return f->rate <= 0 || (double)(x % 1000000) / 1e6 < f->rate;
}

/* storm: from its first match, every match for storm seconds, then never again. */
static int
storm_on(struct gd_fault *f)
{
	double t = wall();

	if (!f->storm_s)
		return 1;
	if (f->storm_until == 0)
		f->storm_until = t + (double)f->storm_s;
	return t < f->storm_until;
}

/* The first rule that takes this request, counted; a copy in *out. */
static int
fault_pick(struct gd_server *sv, const struct gd_req *r, struct gd_fault *out)
{
	size_t i;
	int hit = 0;

	pthread_mutex_lock(&sv->fault_mu);
	for (i = 0; i < sv->nfaults && !hit; i++) {
		struct gd_fault *f = &sv->faults[i];
		if ((*f->match && !strstr(r->url, f->match)) ||
		    (*f->method && strcasecmp(f->method, r->method)) ||
		    (f->count && f->hits >= f->count + f->skip))
			continue;
		if (!storm_on(f) || !draw_fires(f))
			continue;
		if (f->hits++ < f->skip)
			continue;
		*out = *f;
		if (f->jitter_ms)               /* latency plus 0..jitter ms, drawn */
			out->latency_ms += (int)(gd_mix((uint64_t)f->seed ^ f->draws ^ 0x5bd1e995ULL)
						 % (uint64_t)(f->jitter_ms + 1));
		hit = 1;
	}
	pthread_mutex_unlock(&sv->fault_mu);
	return hit;
}

/* Retry-After enforcement: a client that comes back early is throttled again and the
 * violation is logged (like Dev Proxy's RetryAfterPlugin). Requests that were on their
 * way before the client could have read the answer are not early: the window opens
 * when the answer is sent, plus a grace for the client to see it. */
#define WAIT_GRACE 0.25
static int
early(struct gd_server *sv, struct gd_req *r, const char *key)
{
	double t = wall();
	size_t i;
	int hit = 0;

	pthread_mutex_lock(&sv->fault_mu);
	for (i = 0; i < sv->nwaits; i++)
		if (strcmp(sv->waits[i].key, key) == 0 && t >= sv->waits[i].since &&
		    t < sv->waits[i].until) {
			snprintf(r->retry_after, sizeof r->retry_after, "%.0f",
				 ceil(sv->waits[i].until - t));
			sv->violations++;
			hit = 1;
		}
	pthread_mutex_unlock(&sv->fault_mu);
	return hit;
}

static void
remember_wait(struct gd_server *sv, const struct gd_req *r, const char *key, double secs)
{
	size_t i, slot = sv->nwaits;

	pthread_mutex_lock(&sv->fault_mu);
	for (i = 0; i < sv->nwaits; i++)
		if (strcmp(sv->waits[i].key, key) == 0)
			slot = i;
	if (slot == sv->nwaits)
		slot = sv->nwaits < 256 ? sv->nwaits++ : 0;
	mbx_strlcpy(sv->waits[slot].key, key, sizeof sv->waits[slot].key);
	sv->waits[slot].until = wall() + secs;
	sv->waits[slot].since = wall() + r->latency_ms / 1000.0 + WAIT_GRACE;
	pthread_mutex_unlock(&sv->fault_mu);
}

static void
wait_key(const struct gd_req *r, char *key, size_t n)
{
	snprintf(key, n, "%s %s", r->authorization ? "auth" : "anon", r->url);
}

void
gd_throttle(struct gd_server *sv, struct gd_req *r, double secs)
{
	char key[320];

	wait_key(r, key, sizeof key);
	snprintf(r->retry_after, sizeof r->retry_after, "%.0f", ceil(secs));
	remember_wait(sv, r, key, ceil(secs));
}

double
gd_now(void)
{
	return wall();
}

/* A fault or an early return answers the request before the route does: 1 if so. */
static int
apply_faults(struct gd_server *sv, struct gd_req *r)
{
	struct gd_fault f;
	char key[320];

	wait_key(r, key, sizeof key);
	if (early(sv, r, key)) {
		r->violation = 1;
		gd_json_error(r, 429, "ApplicationThrottled",
			      "Retry-After was not honoured: the request came back too early.");
		return 1;
	}
	if (!fault_pick(sv, r, &f))
		return 0;
	/* static strings: f is a copy that dies with this call */
	r->fault = f.status == 429 ? "429" : f.status == 503 ? "503" : f.status >= 500 ? "5xx"
		 : f.status ? "status" : !strcmp(f.body, "malformed") ? "malformed"
		 : !strcmp(f.body, "truncated") ? "truncated" : "latency";
	r->latency_ms = f.latency_ms;
	if (f.status >= 300 && f.status < 400) {
		if (strcmp(f.location, "self") == 0)      /* a loop */
			snprintf(r->location, sizeof r->location, "%s%s", r->self, r->url);
		else if (strcmp(f.location, "chain") == 0) /* a new URL each time */
			snprintf(r->location, sizeof r->location, "%s%s?hop=%ld", r->self, r->url,
				 f.hits);
		else
			mbx_strlcpy(r->location, f.location, sizeof r->location);
		r->status = f.status;
		mbx_buf_reset(&r->out);
		return 1;
	}
	if (f.status) {
		if (f.retry_after >= 0 && f.date) {
			time_t until = (time_t)ceil(wall() + f.retry_after);
			struct tm tm;
			gmtime_r(&until, &tm);
			strftime(r->retry_after, sizeof r->retry_after, "%a, %d %b %Y %H:%M:%S GMT", &tm);
			remember_wait(sv, r, key, (double)until - wall());
		} else if (f.retry_after >= 0) {
			snprintf(r->retry_after, sizeof r->retry_after, "%g", f.retry_after);
			remember_wait(sv, r, key, f.retry_after);
		}
		gd_json_error(r, f.status, f.status == 429 ? "ApplicationThrottled"
			      : f.status == 503 ? "serviceNotAvailable" : "generalException",
			      "Injected fault.");
		return 1;
	}
	r->malformed = !strcmp(f.body, "malformed");
	r->truncated = !strcmp(f.body, "truncated");
	r->omit = f.omit;
	mbx_strlcpy(r->itemerror, f.itemerror, sizeof r->itemerror);
	if (f.omit || *f.itemerror)
		r->fault = f.omit ? "omit" : "itemerror";
	return 0;
}

/* ---------------------------------------------------------------- the log */

static void
log_request(struct gd_server *sv, const struct gd_req *r, double started)
{
	struct mbx_buf b;
	struct mbx_jw w;
	char ts[40], path[2048], tnum[32];
	double t = wall();
	time_t sec = (time_t)t;
	struct tm tm;

	if (!sv->log)
		return;
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof ts - strlen(ts), ".%03dZ", (int)((t - sec) * 1000));
	mbx_redact(r->url, path, sizeof path);
	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "ts", ts);
	snprintf(tnum, sizeof tnum, "%.3f", t);
	mbx_jw_key(&w, "t");
	mbx_jw_raw(&w, tnum);
	mbx_jw_kstr(&w, "method", r->method);
	mbx_jw_kstr(&w, "path", path);
	mbx_jw_kint(&w, "status", r->status);
	mbx_jw_kstr(&w, "mailbox", *r->mailbox ? r->mailbox : NULL);
	mbx_jw_kstr(&w, "app", *r->app ? r->app : NULL);
	mbx_jw_kint(&w, "ms", (long long)((t - started) * 1000));
	mbx_jw_kint(&w, "bytes", (long long)r->body.len);      /* request body */
	if (r->fault)
		mbx_jw_kstr(&w, "fault", r->fault);
	mbx_jw_key(&w, "violation");
	mbx_jw_bool(&w, r->violation);
	mbx_jw_end(&w);
	pthread_mutex_lock(&sv->log_mu);
	fprintf(sv->log, "%s\n", b.data);
	fflush(sv->log);
	pthread_mutex_unlock(&sv->log_mu);
	mbx_buf_free(&b);
}

/* ---------------------------------------------------------------- responses */

/* Truncated-body fault: promise the whole body, send half, then fail the connection. */
struct partial {
	char *data;
	size_t len, sent;
};

static ssize_t
partial_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct partial *p = cls;
	size_t half = p->len / 2, k;

	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	k = half - pos < max ? half - pos : max;
	memcpy(buf, p->data + pos, k);
	return (ssize_t)k;
}

static void
partial_free(void *cls)
{
	struct partial *p = cls;

	free(p->data);
	free(p);
}

static struct MHD_Response *
make_response(struct gd_req *r)
{
	struct MHD_Response *resp;
	int has_body;

	if (r->malformed && r->status == 200) {
		mbx_buf_reset(&r->out);
		mbx_buf_puts(&r->out, "{\"value\":[{\"id\":\"AAMk\",\"displayName\":tru");
	}
	has_body = r->out.len || r->truncated || r->malformed;
	if (r->truncated && r->out.len > 1) {
		struct partial *p = mbx_xcalloc(1, sizeof *p);
		p->len = r->out.len;
		p->data = mbx_buf_steal(&r->out);
		resp = MHD_create_response_from_callback(p->len, 4096, partial_reader, p,
							 partial_free);
	} else {
		size_t len = r->out.len;       /* handed over, not copied: answers can be MBs */
		resp = MHD_create_response_from_buffer(len, mbx_buf_steal(&r->out),
						       MHD_RESPMEM_MUST_FREE);
	}
	if (has_body)
		MHD_add_response_header(resp, "Content-Type", "application/json;odata.metadata="
					"minimal;odata.streaming=true;IEEE754Compatible=false;"
					"charset=utf-8");
	MHD_add_response_header(resp, "request-id", "6e0b5a1c-9d2f-4e8a-b7c3-1f2e3d4c5b6a");
	if (r->client_request_id)
		MHD_add_response_header(resp, "client-request-id", r->client_request_id);
	if (*r->retry_after)
		MHD_add_response_header(resp, "Retry-After", r->retry_after);
	if (*r->location)
		MHD_add_response_header(resp, "Location", r->location);
	return resp;
}

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Injected latency is the time from arrival to answer, as a client sees a slow
 * service: the work done meanwhile counts against it. */
static void
hold_until(const struct gd_req *r, double arrived)
{
	double left = arrived + r->latency_ms / 1000.0 - wall();

	if (r->latency_ms && left > 0)
		usleep((useconds_t)(left * 1e6));
}

/* With --state, a change is on disk before it is acknowledged: an emulator killed with
 * SIGKILL comes back with every write it answered 2xx (as the service would). */
static void
persist(struct gd_server *sv, const struct gd_req *r)
{
	char err[512];

	if (!sv->state_dir || !strcmp(r->method, "GET") || r->status < 200 || r->status > 299)
		return;
	pthread_mutex_lock(&sv->save_mu);
	if (gd_state_save(&sv->store, sv->state_dir, err, sizeof err) < 0)
		mbx_err("%s", err);
	pthread_mutex_unlock(&sv->save_mu);
}

static void
serve(struct gd_server *sv, struct MHD_Connection *c, struct gd_req *r)
{
	double arrived = wall();
	int held;

	r->authorization = header(c, "Authorization");
	r->host = header(c, "Host");
	r->client_request_id = header(c, "client-request-id");
	r->content_type = header(c, "Content-Type");
	r->prefer = header(c, "Prefer");
	snprintf(r->self, sizeof r->self, "%s://%s", sv->tls ? "https" : "http",
		 r->host ? r->host : "localhost");
	if (gd_parse_query(r) < 0) {
		gd_json_error(r, 400, "BadRequest", "Malformed query string.");
		return;
	}
	if (gd_admin(sv, r)) {
		persist(sv, r);
		return;
	}
	held = gd_route_enter(sv, r);
	if (held >= 0 && !apply_faults(sv, r)) {
		gd_route(sv, r);
		persist(sv, r);
	}
	hold_until(r, arrived);
	if (held)
		gd_route_leave(sv, r);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct gd_server *sv = cls;
	struct gd_req *r = *con_cls;
	struct MHD_Response *resp;
	double started = wall();
	enum MHD_Result ret;

	(void)url;
	(void)version;
	if (!r)
		return MHD_NO;
	if (!r->method) {              /* the first call: headers only */
		r->method = method;
		return MHD_YES;
	}
	if (*upload_size) {
		if (mbx_buf_append(&r->body, upload, *upload_size) < 0)
			r->status = 413;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->status == 413)
		gd_json_error(r, 413, "RequestEntityTooLarge", "The request body is too large.");
	else
		serve(sv, c, r);
	resp = make_response(r);
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	log_request(sv, r, started);
	return ret;
}

/* ---------------------------------------------------------------- start, stop */

static int
loopback(const struct sockaddr_in *a)
{
	return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
}

static int
parse_listen(const char *spec, struct sockaddr_in *a, char *err, size_t n)
{
	const char *colon = strrchr(spec, ':');
	char host[64];
	long port;

	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	if (!colon || (size_t)(colon - spec) >= sizeof host ||
	    mbx_parse_long(colon + 1, 0, 65535, &port) < 0) {
		snprintf(err, n, "bad --listen '%s': expected ADDR:PORT", spec);
		return -1;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	if (strcmp(host, "localhost") == 0)
		mbx_strlcpy(host, "127.0.0.1", sizeof host);
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
		snprintf(err, n, "bad --listen address '%s': expected an IPv4 address", host);
		return -1;
	}
	a->sin_port = htons((uint16_t)port);
	return 0;
}

static char *
slurp(const char *path, char *err, size_t n)
{
	struct mbx_buf b;
	char chunk[4096];
	size_t k;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, n, "cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	mbx_buf_init(&b, 1 << 20);
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		mbx_buf_append(&b, chunk, k);
	fclose(f);
	return mbx_buf_steal(&b);
}

static int
write_port(const char *file, unsigned port, char *err, size_t n)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, file) < 0) {
		snprintf(err, n, "cannot write port file '%s': %s", file, strerror(errno));
		return -1;
	}
	return 0;
}

int
gd_server_start(struct gd_server *sv, const char *listen, const char *certf,
		const char *keyf, const char *port_file, char *err, size_t n)
{
	struct sockaddr_in a;
	char *cert = NULL, *key = NULL;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	if (parse_listen(listen, &a, err, n) < 0)
		return -1;
	if (!certf && !loopback(&a)) {
		snprintf(err, n, "refusing plain HTTP on '%s': give --tls-cert and --tls-key, "
			 "or listen on a loopback address", listen);
		return -1;
	}
	if (certf && (!(cert = slurp(certf, err, n)) || !(key = slurp(keyf, err, n)))) {
		free(cert);
		return -1;
	}
	sv->tls = certf != NULL;
	sv->mhd = MHD_start_daemon(flags | (sv->tls ? MHD_USE_TLS : 0), 0, NULL, NULL,
				   handler, sv,
				   MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				   /* a restart with --state comes back on the same port */
				   MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				   MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
				   MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				   MHD_OPTION_CONNECTION_TIMEOUT, 120u,
				   sv->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
				   MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	free(cert);
	if (key)
		memset(key, 0, strlen(key));
	free(key);
	if (!sv->mhd) {
		snprintf(err, n, "cannot listen on '%s'%s", listen,
			 sv->tls ? " (or the TLS certificate/key is unusable)" : "");
		return -1;
	}
	info = MHD_get_daemon_info(sv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (port_file && write_port(port_file, info ? info->port : 0, err, n) < 0)
		return -1;
	fprintf(stderr, "mbx-graphd: listening on %s://%s:%u\n", sv->tls ? "https" : "http",
		inet_ntoa(a.sin_addr), info ? info->port : 0);
	return 0;
}

void
gd_server_stop(struct gd_server *sv)
{
	if (sv->mhd)
		MHD_stop_daemon(sv->mhd);
	sv->mhd = NULL;
}
