/* http.h: the HTTP engine and the token sources of the Graph client (lib/graph).
 * Private to the client and its tests: programs use mbx.h. */
#ifndef MBX_HTTP_H
#define MBX_HTTP_H

#include "base.h"

/* --------------------------------------------------------------- auth.c */

/* Which calls may run callbacks: only mbx_http_run, mbx_http_step(_in) and
 * mbx_http_perform drive the engine, so only they run requests' on_done/on_body/on_reset
 * (of any request of the engine, not only the caller's) and start queued requests; every
 * other function here runs none. A callback never drives its own engine: one of those
 * three called from inside a callback of the same engine is an internal error (exit 70,
 * http.c's step()); a callback may submit. A token is fetched inside a request's start,
 * on an engine of its own (mbx_http_perform_apart): it runs no callback of the caller's
 * engine and never re-enters it.
 *
 * Token sources, in order: MBX_ACCESS_TOKEN; MBX_TOKEN_COMMAND; AZURE_CLIENT_SECRET;
 * AZURE_CLIENT_CERTIFICATE_PATH (JWT assertion, MBX_JWT_ALG=PS256|RS256); device code
 * (AZURE_CLIENT_ID alone, or MBX_AUTH=devicecode). Cache: $XDG_CACHE_HOME/mbx/. */
struct mbx_http;
struct mbx_auth;
/* Runs no callback (fetches nothing). */
struct mbx_auth *mbx_auth_new(struct mbx_http *http, char *err, size_t errlen);
/* A valid bearer token, from cache or fetched; force != 0 discards the current one
 * (after a 401). NULL with e set when none can be had (kind AUTH when the identity
 * platform said no, SERVICE when it could not be reached); e is cleared on success. The
 * pointer stays valid until the next call. A fetch uses mbx_http_perform_apart on http:
 * it runs no callback of http's requests. */
const char *mbx_auth_token(struct mbx_auth *a, int force, struct mbx_err *e);
/* A signed client assertion (graph-api.md 2.3) with the key and certificate in pem:
 * alg "PS256" (x5t#S256) or "RS256" (x5t), exp = now + exp_offset. 0, or -1 with err. */
int mbx_auth_jwt_assertion(const char *pem, const char *client, const char *aud,
			   const char *alg, long exp_offset, struct mbx_buf *out, char *err,
			   size_t n);
void mbx_auth_free(struct mbx_auth *a);

/* --------------------------------------------------------------- http.c */

/* One request. The caller fills the "in" part, submits, and gets on_done exactly once. */
enum {
	MBX_REQ_NOAUTH = 1,        /* no Authorization header (token endpoint, import URL) */
	MBX_REQ_NORETRY = 2,       /* a single attempt */
	MBX_REQ_SECRET_URL = 4,    /* never log the URL's query (import URL) */
	MBX_REQ_UNSAFE = 8         /* not idempotent: a broken connection is not retried */
};
struct mbx_req {
	/* in */
	const char *method;        /* "GET", "POST", "PATCH", "DELETE" */
	char *url;                 /* owned by the request (mbx_req_free) */
	struct mbx_buf body;       /* request body, may be empty */
	const char *ctype;         /* request Content-Type, NULL for none */
	const char *prefer;        /* Prefer header value (delta page size), NULL for none */
	char lane[192];            /* in-flight limit key (mailbox id); "" = the shared lane */
	unsigned flags;
	/* streaming: if set, 2xx response bytes go here instead of into resp; on a retry of
	 * a streamed request on_reset is called first so the consumer can drop partial state */
	int (*on_body)(struct mbx_req *r, const char *p, size_t n);
	void (*on_reset)(struct mbx_req *r);
	void (*on_done)(struct mbx_req *r);
	void *ctx;
	/* out */
	long status;               /* final HTTP status, 0 when no response at all */
	int curl_code;             /* CURLcode of the last attempt */
	struct mbx_buf resp;       /* response body (bounded; for non-2xx always buffered) */
	char location[1024];       /* Location header, if any */
	char errmsg[512];          /* one line describing a failure, for messages */
	int attempts;
	/* engine private */
	void *priv;
};
struct mbx_http_stats {
	unsigned long requests, retries, throttled, failures;
	double waited;             /* seconds slept on Retry-After / back-off */
	unsigned long long bytes_in, bytes_out;
};
struct mbx_http *mbx_http_new(char *err, size_t errlen);
void mbx_http_set_auth(struct mbx_http *h, struct mbx_auth *a);
struct mbx_req *mbx_req_new(const char *method, const char *url);
void mbx_req_free(struct mbx_req *r);
/* Queue r; it runs when its lane has room (mbx_opt.jobs in flight per lane). Starts
 * nothing and runs no callback, except r's own on_done when r is refused at once (a
 * plain http:// URL to another machine). */
void mbx_http_submit(struct mbx_http *h, struct mbx_req *r);
/* Drive transfers until nothing is queued or in flight; runs the callbacks of every
 * request of h, which may submit more. */
int mbx_http_run(struct mbx_http *h);
/* One round of the engine, then wait up to wait_ms for activity (0: do not block; no
 * wait either when a request completed in the round, so that what its callback made
 * ready runs first); returns the number of requests still queued or in flight, so a caller can interleave
 * reading its input. Runs the callbacks of whichever requests of h complete. */
int mbx_http_step(struct mbx_http *h, int wait_ms);
/* mbx_http_step whose wait also ends when fd is readable (or at its end): a caller that
 * reads its input between rounds takes a record as soon as it comes, not when a
 * transfer or the wait's end wakes the engine; the upstream stage, which blocks while
 * the pipe is full, waits no longer than that. fd < 0: mbx_http_step. */
int mbx_http_step_in(struct mbx_http *h, int wait_ms, int fd);
/* Submit r and drive the engine until r is done. Returns r->status (0 if no response).
 * Runs the callbacks of h's other requests too (it is mbx_http_step until r is done), so
 * it may not be called from inside a callback of h (exit 70). */
long mbx_http_perform(struct mbx_http *h, struct mbx_req *r);
/* As mbx_http_perform, on an engine of h's own (its own multi handle, connections and
 * lanes, made on first use): runs only r's callbacks, never one of h's other requests,
 * so it may be called from inside h (the token fetch in a request's start). Counts go
 * to h's stats; whether the service has answered yet is shared both ways. */
long mbx_http_perform_apart(struct mbx_http *h, struct mbx_req *r);
const struct mbx_http_stats *mbx_http_stats(const struct mbx_http *h);
void mbx_http_free(struct mbx_http *h);
/* The remaining calls run no callback. */
/* The outcome of a finished request: NONE for a 2xx answer, else what failed (RECORD:
 * the service refused this request; AUTH: no token, or 401/403; SERVICE: unreachable,
 * TLS, or retries spent). mbx_exit_of gives its exit status. */
enum mbx_err_kind mbx_http_err_kind(const struct mbx_req *r);
/* "Not Found" for 404, "" for a status it does not know. */
const char *mbx_http_reason(long status);

/* --------------------------------------------------------------- slots.c */

/* A mailbox's slots on this machine (graph-api.md 7: 4 in flight per app and mailbox),
 * shared by every process of the same service and app (MBX_SLOTS_DIR, mbx(7) FILES).
 * NULL when the mailbox is "" or sharing is off. */
struct mbx_slots;
struct mbx_slots *mbx_slots_get(const char *mailbox);
/* Take a slot for one request: its number (> 0); 0 when none may be taken now (all
 * held, or a process holding none waits for one: try again shortly); -1 when sharing
 * went off (the request runs without one). */
int mbx_slots_take(struct mbx_slots *s);
/* The request that waited goes without a slot: no longer waiting for one. */
void mbx_slots_unwant(struct mbx_slots *s);
/* Give slot back (a number from mbx_slots_take); idle: nothing more is queued for the
 * mailbox, and with no other slot held its files are removed. */
void mbx_slots_give(struct mbx_slots *s, int slot, int idle);

#endif
