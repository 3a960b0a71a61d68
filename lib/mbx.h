/* mbx.h: the one header of libmbx, grouped by the file that implements each part. */
#ifndef MBX_H
#define MBX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>
#include <yajl/yajl_tree.h>

#define MBX_ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---------------------------------------------------------------- log.c */

/* Exit codes, documented in mbx(7) and every man page. */
enum mbx_exit {
	MBX_EXIT_OK = 0,          /* everything done */
	MBX_EXIT_PARTIAL = 1,     /* some records/items failed; error records say which */
	MBX_EXIT_USAGE = 2,       /* bad command line */
	MBX_EXIT_AUTH = 3,        /* no token could be obtained, or the service refused it */
	MBX_EXIT_SERVICE = 4,     /* service unreachable, TLS refused, or unavailable after retries */
	MBX_EXIT_BADINPUT = 5,    /* input stream truncated or corrupt */
	MBX_EXIT_IO = 6,          /* local I/O error (stdout, state files) */
	MBX_EXIT_SOFTWARE = 70    /* internal error (a bug) */
};

extern const char *mbx_progname;  /* basename of argv[0] */
extern int mbx_verbosity;         /* -1 quiet, 0 normal, 1 -v, 2 -vv */

void mbx_log_init(const char *argv0);
/* "prog: message" on stderr. */
void mbx_err(const char *fmt, ...) MBX_ATTR_PRINTF(1, 2);
/* "prog: warning: message" on stderr, unless -q. */
void mbx_warn(const char *fmt, ...) MBX_ATTR_PRINTF(1, 2);
/* "prog: message" on stderr only with -v (level >= 1). */
void mbx_debug(const char *fmt, ...) MBX_ATTR_PRINTF(1, 2);
_Noreturn void mbx_die(int code, const char *fmt, ...) MBX_ATTR_PRINTF(2, 3);
/* Copy s to out (size n) with secrets masked: Bearer tokens, authtoken=, client_secret=,
 * client_assertion=, access_token/refresh_token JSON values. Returns out. */
char *mbx_redact(const char *s, char *out, size_t n);

/* ---------------------------------------------------------------- buf.c */

/* A growable byte buffer that refuses to grow past max (0 = the default cap of 64 MiB).
 * data is always NUL-terminated after a successful append. */
struct mbx_buf {
	char *data;
	size_t len, cap, max;
};

#define MBX_BUF_DEFAULT_MAX ((size_t)64 << 20)

void mbx_buf_init(struct mbx_buf *b, size_t max);
void mbx_buf_free(struct mbx_buf *b);
void mbx_buf_reset(struct mbx_buf *b);             /* len = 0, keep memory */
int mbx_buf_append(struct mbx_buf *b, const void *p, size_t n);   /* 0, or -1 over max / ENOMEM */
/* Room for n more bytes and the NUL at data[len + n]: 0, or -1 over max. */
int mbx_buf_reserve(struct mbx_buf *b, size_t n);
int mbx_buf_puts(struct mbx_buf *b, const char *s);
int mbx_buf_putc(struct mbx_buf *b, char c);
int mbx_buf_printf(struct mbx_buf *b, const char *fmt, ...) MBX_ATTR_PRINTF(2, 3);
char *mbx_buf_steal(struct mbx_buf *b);            /* hand over data (NUL-terminated), reset b */

/* String helpers that never overflow. */
size_t mbx_strlcpy(char *dst, const char *src, size_t n);
char *mbx_strdup(const char *s);                    /* aborts on ENOMEM; NULL in, NULL out */
char *mbx_strndup(const char *s, size_t n);
void *mbx_xmalloc(size_t n);                        /* aborts (exit 70) on ENOMEM */
void *mbx_xcalloc(size_t n, size_t m);
void *mbx_xrealloc(void *p, size_t n);
/* Seconds on the monotonic clock: for intervals, never for dates. */
double mbx_mono(void);
/* Parse a whole decimal integer in [min,max]; 0 ok, -1 otherwise. Use instead of atoi. */
int mbx_parse_long(const char *s, long min, long max, long *out);
int mbx_parse_double(const char *s, double min, double max, double *out);
/* Whether two URLs have the same scheme://host:port (the token may go to both). */
int mbx_url_same_origin(const char *a, const char *b);
/* A size (0 or more) with an optional K, M or G (powers of 1024); a rate
 * "BYTES/SECONDS[s]" (bytes above 0). */
int mbx_parse_size(const char *s, long long *out);
int mbx_parse_rate(const char *s, long long *bytes, double *secs);
/* An ISO 8601 date or date-time (offset or Z) as UTC "YYYY-MM-DDTHH:MM:SSZ"; 0, or -1. */
int mbx_parse_time(const char *s, char *out, size_t n);

/* base64 (RFC 4648) and base64url (no padding). Return bytes written, or -1. */
size_t mbx_b64_encoded_len(size_t n);
int mbx_b64_encode(struct mbx_buf *out, const void *in, size_t n);
int mbx_b64url_encode(struct mbx_buf *out, const void *in, size_t n);
int mbx_b64_decode(struct mbx_buf *out, const char *in, size_t n);     /* accepts both alphabets */
/* Streaming decoder: feed runs of base64 as they arrive, then final. 0, or -1 on a
 * character outside both alphabets, data after padding, or a bad length. */
struct mbx_b64dec {
	unsigned acc;
	int nacc, pad, bad;
};
void mbx_b64dec_init(struct mbx_b64dec *d);
int mbx_b64dec_update(struct mbx_b64dec *d, struct mbx_buf *out, const char *in, size_t n);
int mbx_b64dec_final(struct mbx_b64dec *d, struct mbx_buf *out);
/* Lowercase hex SHA-256 of p (65 bytes incl. NUL). */
void mbx_sha256_hex(const void *p, size_t n, char out[65]);
/* Percent-encode one URL path segment or query value (everything but unreserved chars). */
int mbx_url_escape(struct mbx_buf *out, const char *s);
/* Decode %XX (and '+' as space when plus != 0); returns malloc'd string or NULL on bad escape. */
char *mbx_url_unescape(const char *s, size_t n, int plus);

/* --------------------------------------------------------------- json.c */

/* Small documents as yajl trees. Returns NULL and fills err on failure. */
yajl_val mbx_json_parse(const char *text, size_t n, char *err, size_t errlen);
/* Object member by key, case-insensitive (Graph mixes innerError/innererror). */
yajl_val mbx_json_get(yajl_val obj, const char *key);
const char *mbx_json_str(yajl_val obj, const char *key);      /* NULL unless a string */
int mbx_json_num(yajl_val obj, const char *key, long long *out);  /* 0 ok, -1 absent/not int */
int mbx_json_bool(yajl_val obj, const char *key);             /* 1 true, 0 false/absent */
/* Set obj[key] to the string s, replacing the value or adding the member. */
void mbx_json_set_str(yajl_val obj, const char *key, const char *s);

/* A compact JSON writer onto an mbx_buf; tracks commas. Nesting depth <= 32. */
struct mbx_jw {
	struct mbx_buf *b;
	int depth;
	unsigned char need_comma[32];
	int after_key;
	int err;                       /* sticky: set if the buffer refused an append */
};
void mbx_jw_init(struct mbx_jw *w, struct mbx_buf *b);
void mbx_jw_obj(struct mbx_jw *w);       /* { */
void mbx_jw_arr(struct mbx_jw *w);       /* [ */
void mbx_jw_end(struct mbx_jw *w);       /* } or ] */
void mbx_jw_key(struct mbx_jw *w, const char *k);
void mbx_jw_str(struct mbx_jw *w, const char *s);               /* NULL writes null */
void mbx_jw_strn(struct mbx_jw *w, const char *s, size_t n);
void mbx_jw_int(struct mbx_jw *w, long long v);
void mbx_jw_bool(struct mbx_jw *w, int v);
void mbx_jw_null(struct mbx_jw *w);
void mbx_jw_raw(struct mbx_jw *w, const char *json);            /* already-valid JSON value */
/* A string the caller knows needs no escaping (base64, hex): quoted, copied as is. */
void mbx_jw_raw_str(struct mbx_jw *w, const char *s, size_t n);
void mbx_jw_b64(struct mbx_jw *w, const void *p, size_t n);       /* bytes as base64 string */
void mbx_jw_val(struct mbx_jw *w, yajl_val v);                  /* serialise a tree value */
/* Convenience: "key":"value" pairs. */
void mbx_jw_kstr(struct mbx_jw *w, const char *k, const char *s);
void mbx_jw_kint(struct mbx_jw *w, const char *k, long long v);

/* Large responses streamed: every element of the top-level array named array_key
 * ("value") is rebuilt as a small tree and handed to cb as soon as it is complete;
 * top-level string members (e.g. "@odata.nextLink") are kept for mbx_jstream_top.
 * Memory is bounded by max_elem (bytes of one element's JSON text). */
typedef int (*mbx_jstream_cb)(void *ctx, yajl_val elem);   /* non-zero stops parsing */
struct mbx_jstream;
struct mbx_jstream *mbx_jstream_new(const char *array_key, mbx_jstream_cb cb, void *ctx,
				    size_t max_elem);
int mbx_jstream_feed(struct mbx_jstream *s, const char *p, size_t n);  /* 0, or -1 */
int mbx_jstream_finish(struct mbx_jstream *s);                         /* 0, or -1 */
const char *mbx_jstream_error(struct mbx_jstream *s);
const char *mbx_jstream_top(struct mbx_jstream *s, const char *key);   /* NULL if absent */
void mbx_jstream_free(struct mbx_jstream *s);

/* ------------------------------------------------------------- record.c */

/* NDJSON records: one compact JSON object per line (mbx(7)). */
struct mbx_reader {
	FILE *f;
	const char *name;          /* for messages: "stdin" or a file name */
	unsigned long lineno;
	struct mbx_buf line;
	int eof;
};
void mbx_reader_init(struct mbx_reader *r, FILE *f, const char *name, size_t max_line);
/* 1: *out is a JSON object (free with yajl_tree_free); 0: end of input;
 * -1: a bad line (not JSON, not an object, too long): err says why and names the line,
 *     the caller reports it and carries on. */
int mbx_reader_next(struct mbx_reader *r, yajl_val *out, char *err, size_t errlen);
void mbx_reader_free(struct mbx_reader *r);
/* Record type ("mailbox", "folder", "item", "error", ...), or NULL. */
const char *mbx_record_type(yajl_val rec);
/* Write b's contents plus LF to stdout; dies with MBX_EXIT_IO on a write error. */
void mbx_record_emit(struct mbx_buf *b);
/* Records written by mbx_record_emit so far, and error records among them (--stats). */
extern unsigned long mbx_records_out, mbx_errors_out;
/* Emit {"type":"error","mailbox":..,"subject":..,"code":..,"message":..} on stdout
 * and the one-line message on stderr: "prog: <message>". mailbox/subject may be NULL. */
void mbx_record_error(const char *mailbox, const char *subject, const char *code,
		      const char *fmt, ...) MBX_ATTR_PRINTF(4, 5);

/* Report a failure with exit code rc: an error record (and stderr line) when it concerns
 * one record (MBX_EXIT_PARTIAL); only the stderr line when it stops the program (auth,
 * service, I/O), so a fatal failure leaves nothing on stdout. */
void mbx_report(int rc, const char *mailbox, const char *subject, const char *code,
		const char *fmt, ...) MBX_ATTR_PRINTF(5, 6);
/* Write a parsed record back out unchanged (compact), e.g. upstream error records. */
void mbx_record_write(yajl_val rec);
/* The loop of every filter: read records from stdin; error records pass through; records
 * of the accepted types (NULL-terminated list) go to cb with their line number; bad lines
 * and other types become error records. cb returns 0, MBX_EXIT_PARTIAL (it reported the
 * failure) or a fatal code, which stops the loop. Returns the worst code seen. */
typedef int (*mbx_record_cb)(void *ctx, yajl_val rec, const char *type, unsigned long line);
int mbx_records_run(const char *const *types, mbx_record_cb cb, void *ctx);
/* The worse of two exit codes: fatal codes beat partial, partial beats ok. */
int mbx_exit_worst(int a, int b);

/* -------------------------------------------------------------- frame.c */

/* Frame streams (mbx-frames(5)): header line, size payload bytes, LF; or the NDJSON form
 * with inline base64 "data". */
#define MBX_FRAME_VERSION 1
#define MBX_FRAME_MAX_PAYLOAD ((size_t)256 << 20)   /* above Exchange's 150 MB item cap */
enum { MBX_FRAME_BAD = -1, MBX_FRAME_BROKEN = -2 };
struct mbx_frame_reader {
	FILE *f;
	const char *name;
	unsigned long long pos;    /* byte offset of the next frame */
	unsigned long index;       /* frames started so far */
	size_t max_payload;
	struct mbx_buf line;
	int broken;                /* lost sync: no further frames are read */
};
struct mbx_frame {
	yajl_val hdr;              /* the header object (owned), NULL if it did not parse */
	const char *type;          /* its "type" */
	struct mbx_buf payload;    /* the item bytes, decoded in the NDJSON form */
	int has_payload, ndjson;
	unsigned long index;       /* 1-based position in the stream */
	unsigned long long offset; /* byte offset of its header */
};
void mbx_frame_reader_init(struct mbx_frame_reader *r, FILE *f, const char *name,
			   size_t max_payload);
void mbx_frame_reader_free(struct mbx_frame_reader *r);
/* 1 a frame; 0 the end (or nothing more after a broken frame); MBX_FRAME_BAD: this frame
 * is bad (header not JSON, payload corrupt) but the next can be read; MBX_FRAME_BROKEN:
 * truncated or out of sync, nothing more can be read. err names the frame, its position
 * and what is wrong. fr must be cleared with mbx_frame_clear in every case. */
int mbx_frame_read(struct mbx_frame_reader *r, struct mbx_frame *fr, char *err, size_t n);
void mbx_frame_clear(struct mbx_frame *fr);
/* Write rec's members plus v/size/sha256 (or v/data/sha256 when ndjson) and the payload. */
int mbx_frame_write(FILE *out, yajl_val rec, const void *payload, size_t len, int ndjson);

/* -------------------------------------------------------- exportitems.c */

/* The exportItems response (graph-api.md 3.13) read as it streams: each element of
 * "value" is handed out when it closes, its base64 "data" already decoded (data NULL for
 * an element without it). Strings are "" when absent. */
struct mbx_xitem {
	const char *item_id, *change_key, *err_code, *err_message;
	struct mbx_buf *data;
};
typedef int (*mbx_xitem_cb)(void *ctx, const struct mbx_xitem *it);  /* non-zero stops */
struct mbx_xparse;
struct mbx_xparse *mbx_xparse_new(mbx_xitem_cb cb, void *ctx, size_t max_data);
int mbx_xparse_feed(struct mbx_xparse *x, const char *p, size_t n);   /* 0, or -1 */
int mbx_xparse_finish(struct mbx_xparse *x);                          /* 0, or -1 */
const char *mbx_xparse_error(const struct mbx_xparse *x);
void mbx_xparse_free(struct mbx_xparse *x);

/* --------------------------------------------------------------- opts.c */

struct mbx_opts {
	int jobs;                  /* --jobs N, requests in flight per mailbox (default 4) */
	int dry_run;               /* -n */
	int archive;               /* --archive */
	int insecure;              /* --insecure: TLS verification off (warns every run) */
	double retry_max_time;     /* --retry-max-time S, total retry budget (default 300) */
	const char *stats;         /* --stats FILE */
	const char *cacert;        /* --cacert FILE, or $MBX_CACERT */
	const char *graph_url;     /* $MBX_GRAPH_URL, default https://graph.microsoft.com/beta */
};
extern struct mbx_opts mbx_opt;

/* Options every program takes, for getopt_long tables. */
enum {
	MBX_OPT_STATS = 0x100, MBX_OPT_CACERT, MBX_OPT_RETRY_MAX_TIME, MBX_OPT_VERSION,
	MBX_OPT_ARCHIVE, MBX_OPT_INSECURE, MBX_OPT_FIRST_LOCAL = 0x200
};
#define MBX_COMMON_SHORTOPTS "hvqnj:"
#define MBX_COMMON_LONGOPTS \
	{"help", 0, 0, 'h'}, {"verbose", 0, 0, 'v'}, {"quiet", 0, 0, 'q'}, \
	{"dry-run", 0, 0, 'n'}, {"jobs", 1, 0, 'j'}, {"stats", 1, 0, MBX_OPT_STATS}, \
	{"cacert", 1, 0, MBX_OPT_CACERT}, {"retry-max-time", 1, 0, MBX_OPT_RETRY_MAX_TIME}, \
	{"version", 0, 0, MBX_OPT_VERSION}, {"archive", 0, 0, MBX_OPT_ARCHIVE}, \
	{"insecure", 0, 0, MBX_OPT_INSECURE}

/* Set defaults and read the environment (MBX_GRAPH_URL, MBX_CACERT). */
void mbx_opts_init(void);
/* Handle one common option from getopt_long: 1 handled, 0 not a common option.
 * Prints usage and exits 0 for -h, exits 2 for '?' or bad values. */
int mbx_opts_common(int c, const char *arg, const char *usage);
_Noreturn void mbx_usage(const char *usage, int code);
/* Graph base URL without trailing slash; "v1.0" or "beta" from its last segment. */
const char *mbx_graph_version(void);

/* --------------------------------------------------------------- auth.c */

/* Token sources, in order: MBX_ACCESS_TOKEN; MBX_TOKEN_COMMAND; AZURE_CLIENT_SECRET;
 * AZURE_CLIENT_CERTIFICATE_PATH (JWT assertion, MBX_JWT_ALG=PS256|RS256); device code
 * (AZURE_CLIENT_ID alone, or MBX_AUTH=devicecode). Cache: $XDG_CACHE_HOME/mbx/. */
struct mbx_http;
struct mbx_auth;
struct mbx_auth *mbx_auth_new(struct mbx_http *http, char *err, size_t errlen);
/* A valid bearer token, from cache or fetched; force != 0 discards the current one
 * (after a 401). NULL with err filled when none can be had. The pointer stays valid
 * until the next call. */
const char *mbx_auth_token(struct mbx_auth *a, int force, char *err, size_t errlen);
const char *mbx_auth_source(const struct mbx_auth *a);   /* "secret", "certificate", ... */
/* The exit code for the last failure of mbx_auth_token: MBX_EXIT_AUTH when the identity
 * platform said no, MBX_EXIT_SERVICE when it could not be reached. */
int mbx_auth_exit_code(const struct mbx_auth *a);
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
/* Queue r; it runs when its lane has room (mbx_opt.jobs in flight per lane). */
void mbx_http_submit(struct mbx_http *h, struct mbx_req *r);
/* Drive transfers until nothing is queued or in flight; on_done callbacks may submit more. */
int mbx_http_run(struct mbx_http *h);
/* One round of the engine, then wait up to wait_ms for activity (0: do not block);
 * returns the number of requests still queued or in flight, so a caller can interleave
 * reading its input. */
int mbx_http_step(struct mbx_http *h, int wait_ms);
/* Requests queued or in flight on lane. */
int mbx_http_pending(const struct mbx_http *h, const char *lane);
/* Submit r and drive the engine until r is done. Returns r->status (0 if no response). */
long mbx_http_perform(struct mbx_http *h, struct mbx_req *r);
const struct mbx_http_stats *mbx_http_stats(const struct mbx_http *h);
void mbx_http_free(struct mbx_http *h);
/* Map a finished failed request to an exit code (auth, service, ...). */
int mbx_http_exit_code(const struct mbx_req *r);
/* "Not Found" for 404, "" for a status it does not know. */
const char *mbx_http_reason(long status);

/* -------------------------------------------------------------- graph.c */

struct mbx_graph {
	struct mbx_http *http;
	struct mbx_auth *auth;
	char base[512];            /* MBX_GRAPH_URL */
	double started;            /* monotonic seconds at mbx_graph_init */
};
/* Set up engine, auth and base URL from mbx_opt and the environment; dies on failure. */
void mbx_graph_init(struct mbx_graph *g);
void mbx_graph_free(struct mbx_graph *g);
/* Build base + "/" + path where each %s argument is percent-encoded as one segment;
 * fmt may contain only %s. Returns a malloc'd URL. */
char *mbx_graph_url(const struct mbx_graph *g, const char *fmt, ...);
/* One-line message for a failed request: "404 Not Found: ErrorItemNotFound: text". */
void mbx_graph_errmsg(const struct mbx_req *r, char *out, size_t n);
/* Graph error code of a failed request ("ErrorItemNotFound"), or the status text. */
void mbx_graph_errcode(const struct mbx_req *r, char *out, size_t n);
/* GET url and parse the JSON object. 0 ok; else an exit code with msg filled. */
int mbx_graph_get(struct mbx_graph *g, const char *url, const char *lane, yajl_val *out,
		  char *msg, size_t n);
/* GET url and every @odata.nextLink after it, one page at a time, streaming each
 * element of "value" to each(). 0 ok; else an exit code with msg filled. */
int mbx_graph_list(struct mbx_graph *g, const char *url, const char *lane,
		   mbx_jstream_cb each, void *ctx, char *msg, size_t n);

/* A delta round (graph-api.md 5) from url (the first request, or a saved deltaLink, which
 * must be on the Graph host): every changed object and every {"id","@removed"} to each(),
 * the new deltaLink in *link (malloc'd). 0; MBX_DELTA_EXPIRED when the service says the
 * state is gone (410, syncStateNotFound): start a new round; else an exit code + msg. */
#define MBX_DELTA_EXPIRED 100
int mbx_graph_delta(struct mbx_graph *g, const char *url, const char *lane,
		    mbx_jstream_cb each, void *ctx, char **link, char *msg, size_t n);

/* Mailbox resolution (DESIGN 2): "MBX:..." as is; otherwise a user resolved through
 * /users/{user}/settings/exchange to its primary (or, with archive, archive) id. */
struct mbx_mailbox {
	char id[192];
	char user[256];            /* "" when given by id */
	char kind[16];             /* "primary" or "archive" */
};
int mbx_graph_mailbox(struct mbx_graph *g, const char *spec, int archive,
		      struct mbx_mailbox *out, char *msg, size_t n);
/* As mbx_graph_mailbox, but a failure is reported and ends the program. */
void mbx_graph_target(struct mbx_graph *g, const char *spec, int archive,
		      struct mbx_mailbox *out);
/* Exchange settings: primary and (may be "") archive id. */
int mbx_graph_settings(struct mbx_graph *g, const char *user, char *primary, size_t np,
		       char *archive, size_t na, char *msg, size_t n);

/* Folder paths (DESIGN 2): "/Inbox/Projects"; a '/' or '\' inside a display name is
 * written "\/" or "\\". A spec not starting with '/' is a folder id or well-known name. */
int mbx_path_split(const char *path, char ***segs, size_t *nseg);  /* 0, or -1 bad escape */
void mbx_path_free(char **segs, size_t nseg);
int mbx_path_append(struct mbx_buf *out, const char *parent, const char *name);
struct mbx_folder {
	char *id, *parent_id, *display_name, *well_known, *cls, *path;
	long long child_count, total_count;
};
void mbx_folder_clear(struct mbx_folder *f);
/* Folder from a Graph mailboxFolder object (path left NULL). */
int mbx_folder_from_json(struct mbx_folder *f, yajl_val v);
/* Resolve spec (path or id) in mailbox to a folder with its path filled. */
int mbx_graph_folder(struct mbx_graph *g, const char *mailbox, const char *spec,
		     struct mbx_folder *out, char *msg, size_t n);
/* The folder at path, created with its missing parents (graph-api.md 3.5; existing folders
 * are reused, so it is idempotent). cls is the class of folders it creates. dry: create
 * nothing, the missing ones come back without an id. *created says whether the last one
 * was (or would be) created. */
int mbx_graph_mkpath(struct mbx_graph *g, const char *mailbox, const char *path,
		     const char *cls, int dry, struct mbx_folder *out, int *created, char *msg,
		     size_t n);

/* A request on mailbox's lane; url (malloc'd) is taken over; json: a JSON body. */
struct mbx_req *mbx_graph_req(const char *method, const char *mailbox, char *url, int json);
/* Seconds since mbx_graph_init: a run's elapsed time. */
double mbx_graph_elapsed(const struct mbx_graph *g);
/* --stats FILE, if given: the program's counts (fields; NULL for a program without its
 * own: the records it wrote on stdout and the error records among them), the HTTP
 * engine's, and the elapsed time. */
void mbx_stats_write(const struct mbx_graph *g,
		     void (*fields)(struct mbx_jw *w, void *ctx), void *ctx);
/* Run r to its end: 0 on 2xx; else an exit code with msg filled. */
int mbx_graph_run(struct mbx_graph *g, struct mbx_req *r, char *msg, size_t n);
/* Rename a folder (3.6) or delete it with its subtree (3.7): 0, or an exit code + msg. */
int mbx_graph_rename(struct mbx_graph *g, const char *mailbox, const char *id,
		     const char *name, char *msg, size_t n);
int mbx_graph_rmfolder(struct mbx_graph *g, const char *mailbox, const char *id, char *msg,
		       size_t n);

/* ----------------------------------------------------------- importer.c */

/* An import session (graph-api.md 3.14): the pre-authenticated URL is a secret. */
struct mbx_isession {
	char mailbox[192];
	char *url;
	double opened, expires;    /* Unix seconds */
	unsigned long gen;         /* renewals so far: uploads remember which URL they used */
};
/* Open or renew s for mailbox: 0, or an exit code with msg. */
int mbx_isession_open(struct mbx_graph *g, struct mbx_isession *s, const char *mailbox,
		      char *msg, size_t n);
/* Time to renew: less than a fifth of its lifetime (at most 5 minutes) left. */
int mbx_isession_due(const struct mbx_isession *s);
void mbx_isession_clear(struct mbx_isession *s);
/* The upload of one stream (3.15): Mode create, or update of item_id at ck. */
struct mbx_req *mbx_import_req(const struct mbx_isession *s, const char *folder_id,
			       const void *payload, size_t len, const char *item_id,
			       const char *ck);
/* The new itemId and changeKey of a successful upload (malloc'd): 0, or -1. */
int mbx_import_result(const struct mbx_req *r, char **id, char **ck);

/* ------------------------------------------------------------- dstate.c */

/* --delta STATE files: 1 and *out (the document) when it loads; 0 when there is none
 * yet; -1 with err when it is corrupt, another tool's (type != tool) or another
 * mailbox's (mailbox NULL: any). Saved atomically (temporary file, fsync, rename). */
int mbx_dstate_load(const char *path, const char *tool, const char *mailbox, yajl_val *out,
		    char *err, size_t n);
int mbx_dstate_save(const char *path, const struct mbx_buf *doc, char *err, size_t n);

/* ------------------------------------------------------------ journal.c */

/* mbx-import's --journal: what was imported, by source item, durable per item. */
struct mbx_jentry {
	char *src_mailbox, *src_id, *src_ck;   /* the source item and its version */
	char *id, *ck, *folder_id;             /* its copy in the target */
};
struct mbx_journal;
/* Open (or create) the journal of target; -1 with err when it is corrupt, belongs to
 * another target or cannot be written. A torn last line is dropped with a warning. */
int mbx_journal_open(const char *path, const char *target, struct mbx_journal **out,
		     char *err, size_t n);
const struct mbx_jentry *mbx_journal_find(const struct mbx_journal *j, const char *mailbox,
					  const char *id);
/* Append e and fsync: 0, or -1 (errno). */
int mbx_journal_add(struct mbx_journal *j, const struct mbx_jentry *e);
void mbx_journal_close(struct mbx_journal *j);

/* --------------------------------------------------------------- tree.c */

/* Walk the folder tree of mailbox depth-first from the folder named by spec (a path or id;
 * NULL or "/" = the root, which is not itself reported), calling each() for every folder
 * with its path filled. Children are listed with childFolders (graph-api.md 3.4), which
 * works whichever way the service scopes /folders (graph-api.md 8.10).
 * 0 ok; else an exit code with msg filled, or with msg "" when the failures were already
 * reported as error records (folders below the top that could not be listed). */
typedef int (*mbx_folder_cb)(void *ctx, const char *mailbox, const struct mbx_folder *f);
int mbx_folder_walk(struct mbx_graph *g, const char *mailbox, const char *spec,
		    mbx_folder_cb each, void *ctx, char *msg, size_t n);
/* Write a folder record (mbx(7)) for f in mailbox to stdout. */
void mbx_folder_emit(const char *mailbox, const struct mbx_folder *f);
/* {"type": item|folder, mailbox, [folderId], folderPath|path, id, FLAG: true}: a
 * removal ("removed") or a listing in full again ("resync"), mbx(7). */
void mbx_mark_emit(const char *type, const char *mailbox, const char *folder_id,
		   const char *path, const char *id, const char *flag);
/* Write a mailbox record. */
void mbx_mailbox_emit(const struct mbx_mailbox *m);

/* ----------------------------------------------------------------- fx.c */

/* FastTransfer streams (docs/fasttransfer.md). The generator builds the framed blob
 * (Config, IsInterfaceOk, TellPartnerVersion, TransferBuffers <= 31680 bytes). */
struct mbx_fx_recip {
	const char *name, *address;
	int type;                  /* 1 To, 2 Cc, 3 Bcc */
};
struct mbx_fx_attach {
	const char *name;          /* long file name */
	const char *mime;          /* may be NULL */
	const void *data;
	size_t len;
};
struct mbx_fx_msg {
	const char *message_class; /* "IPM.Note" */
	const char *subject;
	const char *body;          /* plain text, may be NULL */
	const char *sender_name, *sender_address;   /* may be NULL */
	int64_t delivery_time;     /* Unix seconds; 0 = omit */
	uint32_t flags;            /* PidTagMessageFlags; 0 = omit */
	const struct mbx_fx_recip *recips;
	size_t nrecips;
	const struct mbx_fx_attach *attachs;
	size_t nattachs;
	int minimal;               /* 1: only the properties given (golden sample layout) */
	const char *const *categories;   /* Keywords in PS_PUBLIC_STRINGS; may be NULL */
	size_t ncategories;
};
/* Append the framed blob for m to out. 0, or -1 (buffer cap). */
int mbx_fx_generate(struct mbx_buf *out, const struct mbx_fx_msg *m);

/* The parser (fasttransfer.md 4-8, 11). Input: the decoded blob, framed (it starts with
 * the Config record) or a bare FastTransfer stream. Lenient about structure and unknown
 * tags (warnings); stops at truncation, an unknown type or a corrupt named property and
 * keeps everything read before. */
enum { MBX_FX_OK = 0, MBX_FX_TRUNCATED = 1, MBX_FX_CORRUPT = 2 };
enum { MBX_FX_MESSAGE, MBX_FX_RECIP, MBX_FX_ATTACH };
struct mbx_fx_prop {
	uint32_t tag;              /* as on the wire: strings usually have type 0x84B0 */
	size_t offset;             /* stream offset of the tag */
	const unsigned char *guid; /* named property (id >= 0x8000): 16-byte set, else NULL */
	int kind;                  /* named: 0 LID, 1 name */
	uint32_t lid;
	const unsigned char *name; /* kind 1: UTF-16LE, name_len bytes without the NUL */
	size_t name_len;
	const unsigned char *val;  /* the value: fixed bytes, the variable payload after its
				    * length, or a multi-valued one's values after the count */
	size_t len;
	uint32_t count;            /* multi-valued: number of values */
};
struct mbx_fx_obj {            /* a message, recipient or attachment */
	int kind;
	struct mbx_fx_prop *props;
	size_t nprops, capprops;
	struct mbx_fx_obj **recips, **attachs;     /* a message's lists */
	size_t nrecips, nattachs, caprecips, capattachs;
	struct mbx_fx_obj *embedded;              /* an attachment's StartEmbed message */
};
struct mbx_fx_item {
	int status;                /* MBX_FX_OK, MBX_FX_TRUNCATED or MBX_FX_CORRUPT */
	char error[256];           /* why it stopped, with the offset; "" when OK */
	int framed, has_version;
	unsigned char version[6];  /* TellPartnerVersion words */
	size_t *tbufs, ntbufs;     /* TransferBuffer payload sizes (bytes present) */
	size_t blob_bytes;
	struct mbx_buf stream;     /* the joined stream; every prop points into it */
	struct mbx_fx_obj root;
	unsigned long nprops, nnamed;     /* all property values (meta ones too), named ones */
	char **warnings;           /* the first 64 */
	size_t nwarnings;
	unsigned long nwarn_total;
};
/* Parse blob into it (it keeps its own copy). Returns it->status; free it in any case. */
int mbx_fx_parse(struct mbx_fx_item *it, const void *blob, size_t n);
void mbx_fx_item_free(struct mbx_fx_item *it);
/* "Does this parse without error", cheaply: no tree, no copy for a single TransferBuffer.
 * Returns MBX_FX_OK, or the failure status with err filled. */
int mbx_fx_check(const void *blob, size_t n, char *err, size_t errlen);
/* First tagged property with this id (any type), or a named one by set and LID (name
 * NULL) or name; NULL when absent. */
const struct mbx_fx_prop *mbx_fx_get(const struct mbx_fx_obj *o, uint16_t id);
const struct mbx_fx_prop *mbx_fx_get_named(const struct mbx_fx_obj *o,
					   const unsigned char guid[16], uint32_t lid,
					   const char *name);
/* A string value (or element i of a multi-valued one) as malloc'd UTF-8 of at most max
 * bytes (0 = all); NULL when it is not a string. */
char *mbx_fx_text(const struct mbx_fx_prop *p, size_t max);
char *mbx_fx_text_at(const struct mbx_fx_prop *p, uint32_t i, size_t max);
/* Integer16/32, ErrorCode, Boolean, Integer64, Time (raw FILETIME): 0, or -1. */
int mbx_fx_int(const struct mbx_fx_prop *p, long long *out);
/* The JSON report of fasttransfer.md 11.5 as one object. 0, or -1 (w->err). */
int mbx_fx_report(struct mbx_jw *w, const struct mbx_fx_item *it);

#endif
