/* base.h: the base layer (lib/base): buffers, strings, parsing, base64, JSON, log and
 * exit codes, records, frames, folder paths, common options. No network: used by the
 * Graph client, the FastTransfer codec, the emulator and the tests. */
#ifndef MBX_BASE_H
#define MBX_BASE_H

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
/* Append the bytes of f up to its next LF (dropping those past max: *over); returns how
 * many were read, *end is the LF or EOF that ended them. */
size_t mbx_buf_getline(struct mbx_buf *b, FILE *f, int *end, int *over);
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

/* Lowercase hex SHA-256 of p (65 bytes incl. NUL). */
void mbx_sha256_hex(const void *p, size_t n, char out[65]);
/* The same over data that comes in pieces: new, update as often as needed, then final
 * (which frees the context). new returns NULL only when the digest is unavailable. */
struct mbx_sha256;
struct mbx_sha256 *mbx_sha256_new(void);
void mbx_sha256_update(struct mbx_sha256 *h, const void *p, size_t n);
void mbx_sha256_final(struct mbx_sha256 *h, char out[65]);
/* Percent-encode one URL path segment or query value (everything but unreserved chars). */
int mbx_url_escape(struct mbx_buf *out, const char *s);
/* Decode %XX (and '+' as space when plus != 0); returns malloc'd string or NULL on bad escape. */
char *mbx_url_unescape(const char *s, size_t n, int plus);

/* -------------------------------------------------------------- base64.c */

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

/* --------------------------------------------------------------- json.c */

/* Small documents as yajl trees. Returns NULL and fills err on failure. */
yajl_val mbx_json_parse(const char *text, size_t n, char *err, size_t errlen);
yajl_val mbx_json_parse_buf(const struct mbx_buf *b, char *err, size_t errlen);   /* in place */
/* Object member by key, case-insensitive (Graph mixes innerError/innererror). */
yajl_val mbx_json_get(yajl_val obj, const char *key);
const char *mbx_json_str(yajl_val obj, const char *key);      /* NULL unless a string */
int mbx_json_num(yajl_val obj, const char *key, long long *out);  /* 0 ok, -1 absent/not int */
int mbx_json_bool(yajl_val obj, const char *key);             /* 1 true, 0 false/absent */
/* Set obj[key] to the string s, replacing the value or adding the member. */
void mbx_json_set_str(yajl_val obj, const char *key, const char *s);

/* The nesting that mbx_jw writes, and so the most that the readers (mbx_json_parse,
 * mbx_jstream) accept: what is read may have to be written again. */
#define MBX_JSON_MAX_DEPTH 32

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 (RFC 3629). */
size_t mbx_utf8_seq(const unsigned char *p, size_t n);
/* A compact JSON writer onto an mbx_buf; tracks commas. Strings come out as valid
 * UTF-8 whatever they hold. */
struct mbx_jw {
	struct mbx_buf *b;
	int depth;
	unsigned char need_comma[MBX_JSON_MAX_DEPTH];
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
void mbx_jw_b64(struct mbx_jw *w, const void *p, size_t n);       /* bytes as base64 string */
void mbx_jw_val(struct mbx_jw *w, yajl_val v);                  /* serialise a tree value */
/* Convenience: "key":"value" pairs. */
void mbx_jw_kstr(struct mbx_jw *w, const char *k, const char *s);
void mbx_jw_kint(struct mbx_jw *w, const char *k, long long v);

/* Large responses streamed: every element of the top-level array named array_key
 * ("value") is built as a small tree (the shape yajl_tree_parse makes; the caller's
 * callback does not own it) and handed to cb as soon as it is complete; top-level
 * string members (e.g. "@odata.nextLink") are kept for mbx_jstream_top. Memory is
 * bounded by max_elem (about the bytes of one element's JSON text, strings counted
 * decoded) and by 32 levels of nesting in an element. */
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
/* Whether a read of in would block now: the engine should run meanwhile. */
int mbx_input_waits(FILE *in);
/* Record type ("mailbox", "folder", "item", "error", ...), or NULL. */
const char *mbx_record_type(yajl_val rec);
/* Write b's contents plus LF to stdout; dies with MBX_EXIT_IO on a write error. The
 * one way to stdout for records (frame headers of mbx-frames -t too). */
void mbx_record_emit(struct mbx_buf *b);
/* Write out the records still buffered (mbx_record_emit): called before this process may
 * block (a wait of the HTTP engine, a read, a lock); exits MBX_EXIT_IO when a write fails. */
void mbx_records_flush(void);
/* Records written by mbx_record_emit so far, and error records among them (--stats). */
extern unsigned long mbx_records_out, mbx_errors_out;

/* The record writer: every record shape of mbx(7) RECORD FORMAT is written through it,
 * error and mail records here, the Graph shapes (mailbox, folder, item, imported, the
 * removed/resync marks) in lib/graph/emit.c. Begin writes {"type":TYPE; members follow
 * in the order given; end closes the object, writes it (mbx_record_emit) and frees it.
 * w is there for nested values (mbx_jw_*), between begin and end only. */
struct mbx_rec {
	struct mbx_buf b;
	struct mbx_jw w;
};
void mbx_rec_begin(struct mbx_rec *r, const char *type);
void mbx_rec_str(struct mbx_rec *r, const char *k, const char *v);   /* NULL writes null */
void mbx_rec_int(struct mbx_rec *r, const char *k, long long v);
void mbx_rec_bool(struct mbx_rec *r, const char *k, int v);
void mbx_rec_val(struct mbx_rec *r, const char *k, yajl_val v);     /* NULL writes null */
void mbx_rec_end(struct mbx_rec *r);

/* The error codes mbx's programs write in error records (besides the Graph and OAuth
 * codes they pass on, mbx(7) "ERROR CODES"): name, the exit status class of a run that
 * writes it, and what it means. t9000 checks this table against mbx(7) both ways. */
struct mbx_code {
	const char *name;
	int exit;
	const char *meaning;
};
extern const struct mbx_code mbx_codes[];          /* ends with a NULL name */

/* Begin an error record {"type":"error",mailbox,subject,code,message,program} (NULL
 * mailbox or subject left out, NULL code "error") and write msg on stderr; the caller
 * may add members, then mbx_rec_end. Counted in mbx_errors_out. */
void mbx_rec_error(struct mbx_rec *r, const char *mailbox, const char *subject,
		   const char *code, const char *msg);
/* Emit {"type":"error","mailbox":..,"subject":..,"code":..,"message":..} on stdout
 * and the one-line message on stderr: "prog: <message>". mailbox/subject may be NULL. */
void mbx_record_error(const char *mailbox, const char *subject, const char *code,
		      const char *fmt, ...) MBX_ATTR_PRINTF(4, 5);
/* {"type":"mail", mailbox, id, folderPath (those hdr has), class, file} (mbx-mime). */
void mbx_mail_emit(yajl_val hdr, const char *cls, const char *file);

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

/* One error value: what kind of failure (which decides the exit status, in one place:
 * mbx_exit_of), the service's or mbx's code when there is one, and the one-line message.
 * The token sources (lib/graph/auth*.c), the engine's auth path, graph.c's requests, the
 * folder calls (lib/graph/tree.c), the import engine's API, the import session, the
 * journal and the --delta state files use it; the export engine and the HTTP engine
 * still pass exit codes (DESIGN-NOTES "Errors"). An out-parameter e is set on entry
 * (mbx_err_clear), whatever the result. */
enum mbx_err_kind {
	MBX_ERR_NONE = 0,
	MBX_ERR_RECORD,            /* one record or item failed: exit 1, an error record */
	MBX_ERR_NOTFOUND,          /* what was asked for does not exist: exit 1 */
	MBX_ERR_USAGE,             /* exit 2 */
	MBX_ERR_AUTH,              /* no token, or the service refused it: exit 3 */
	MBX_ERR_SERVICE,           /* unreachable, TLS refused, unavailable: exit 4 */
	MBX_ERR_INPUT,             /* a stream or trusted file corrupt: exit 5 */
	MBX_ERR_IO,                /* exit 6 */
	MBX_ERR_INTERNAL           /* exit 70 */
};
struct mbx_err {
	enum mbx_err_kind kind;
	char code[64];             /* "" when none */
	char msg[1024];            /* "" when none; room for a Graph message whole */
	int reported;              /* already told (error records, stderr): say it again nowhere */
};
/* e cleared: kind NONE, no code, no message, not reported. */
void mbx_err_clear(struct mbx_err *e);
/* kind, code (NULL: none) and the message, all at once; not reported. */
void mbx_err_set(struct mbx_err *e, enum mbx_err_kind kind, const char *code,
		 const char *fmt, ...) MBX_ATTR_PRINTF(4, 5);
/* The exit status of a kind: the one mapping (mbx(7) EXIT STATUS). */
int mbx_exit_of(enum mbx_err_kind kind);
/* The kind of an exit code, for the calls that still return one (http.c's requests,
 * mbx_folder_walk's each()). */
enum mbx_err_kind mbx_err_kind_of(int exitcode);

/* -------------------------------------------------------------- frame.c */

/* Frame streams (mbx-frames(5)): header line, size payload bytes, LF; or the NDJSON form
 * with inline base64 "data". */
#define MBX_FRAME_VERSION 1
#define MBX_FRAME_MAX_PAYLOAD ((size_t)256 << 20)   /* above Exchange's 150 MB item cap */
#define MBX_FRAME_HEADER_MAX ((size_t)1 << 20)      /* a record, not a payload: 1 MiB */
enum { MBX_FRAME_BAD = -1, MBX_FRAME_BROKEN = -2 };
struct mbx_frame_reader {
	FILE *f;
	const char *name;
	unsigned long long pos;    /* byte offset of the next frame */
	unsigned long index;       /* frames started so far */
	size_t max_payload;
	struct mbx_buf line;
	unsigned long long lines;  /* lines read, while no frame-form payload came */
	int binary;                /* a frame-form payload was read */
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
/* Each input of a filter to each(): the files of argv ("-": stdin), or stdin when argc
 * is 0. 0, or MBX_EXIT_IO when a file could not be opened (reported, the others read). */
int mbx_frame_files(int argc, char *const *argv, void (*each)(FILE *f, const char *name));

/* ---------------------------------------------------------------- path.c */

/* Folder paths (mbx(7)): "/Inbox/Projects"; a '/' or '\' inside a display name is
 * written "\/" or "\\". A spec not starting with '/' is a folder id or well-known name. */
int mbx_path_split(const char *path, char ***segs, size_t *nseg);  /* 0, or -1 bad escape */
void mbx_path_free(char **segs, size_t nseg);
int mbx_path_append(struct mbx_buf *out, const char *parent, const char *name);

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

/* One option of a program: its table drives getopt_long and --help (mbx(7) COMMON
 * OPTIONS). name is the long name (or NULL), shortopt its letter (or 0), has_arg 0 or 1,
 * arg the value's name in --help ("STATE"), help one line, id what mbx_opts_next returns
 * (the letter, or MBX_OPT_FIRST_LOCAL and up). A table ends with a zeroed entry. */
struct mbx_optdef {
	const char *name;
	int shortopt;
	int has_arg;
	const char *arg;
	const char *help;
	int id;
};

/* The groups of common options a program declares it uses; the others are unknown
 * options to it (exit 2). -h/--help and --version every program takes. */
enum {
	MBX_COMMON_VERBOSE = 1 << 0,  /* -v, --verbose */
	MBX_COMMON_QUIET = 1 << 1,    /* -q, --quiet */
	MBX_COMMON_DRYRUN = 1 << 2,   /* -n, --dry-run */
	MBX_COMMON_NET = 1 << 3,      /* -j/--jobs, --cacert, --retry-max-time, --insecure */
	MBX_COMMON_STATS = 1 << 4,    /* --stats FILE */
	MBX_COMMON_ARCHIVE = 1 << 5,  /* --archive */
	MBX_COMMON_LOG = MBX_COMMON_VERBOSE | MBX_COMMON_QUIET,
	MBX_COMMON_CLIENT = MBX_COMMON_LOG | MBX_COMMON_NET | MBX_COMMON_STATS | MBX_COMMON_ARCHIVE
};

/* A program's command line: usage lines (without "usage: "), its own options, the
 * common groups it takes. */
struct mbx_optset {
	const char *usage;
	const struct mbx_optdef *opts;
	unsigned common;
};

enum {
	MBX_OPT_STATS = 0x100, MBX_OPT_CACERT, MBX_OPT_RETRY_MAX_TIME, MBX_OPT_VERSION,
	MBX_OPT_ARCHIVE, MBX_OPT_INSECURE, MBX_OPT_FIRST_LOCAL = 0x200
};

/* Set defaults and read the environment (MBX_GRAPH_URL, MBX_CACERT). */
void mbx_opts_init(void);
/* The next option of the program's own, with its value in optarg; -1 at the end
 * (operands from optind). Common options are handled here: -h prints --help and exits
 * 0; an unknown option, a missing value or a bad common value exits 2. */
int mbx_opts_next(const struct mbx_optset *set, int argc, char **argv);
/* The usage lines, then (code 0, on stdout) every option one line each; exits code. */
_Noreturn void mbx_usage(const struct mbx_optset *set, int code);

/* ----------------------------------------------------------- progress.c */

/* The progress line of a long run (mbx(7) PROGRESS), on stderr when it is the terminal of
 * the foreground process group, unless -q, MBX_PROGRESS=0 or TERM=dumb. The program (or
 * its engine) keeps the counts up to date, or gives fill, which the line calls before it
 * is drawn to copy them; mbx_progress_tick() from its loop draws at most 10 times a
 * second. Each stage of a pipeline on one terminal gets a line of its own. */
struct mbx_progress {
	const char *unit;                  /* "items" (default), "records", ... */
	unsigned long long done;           /* finished, the failed included */
	unsigned long long total;          /* expected, 0 when unknown: no ETA */
	unsigned long long failed, bytes;
	unsigned long long waits;          /* throttled answers (429, 503 with Retry-After) */
	double waited;                     /* seconds spent waiting on them */
	void (*fill)(struct mbx_progress *p);
	void *ctx;                         /* for fill */
};
/* Show p (one per process) until mbx_progress_end, exit, or a fatal signal: 1 when it is
 * shown, 0 when not (not a terminal, -q, ...). p must stay valid until the end. */
int mbx_progress_start(struct mbx_progress *p);
/* Cheap when nothing is due (a clock read): call it as often as the loop goes round. */
void mbx_progress_tick(void);
/* Erase the line (the final stats line, if any, comes after it). */
void mbx_progress_end(void);
/* Around other output to the terminal (stderr, or stdout when it is the terminal): the
 * lines of the pipeline's stages go while it is written and come back below it. */
void mbx_progress_hold(FILE *f);
void mbx_progress_release(void);
/* Add a folder record's totalItemCount to p->total: folder records travel down the
 * pipe before their items (mbx(7) RECORD FORMAT), so a stage learns what is coming. */
void mbx_progress_folder(struct mbx_progress *p, yajl_val rec);

#endif
