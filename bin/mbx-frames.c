/* mbx-frames: inspect and convert frame streams (mbx-frames(5)): list headers, verify,
 * decode the FastTransfer payloads (docs/fasttransfer.md 11.5), convert between the frame
 * and the NDJSON form, and split a stream into one file per item (for tar) and back. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fx.h"
#include "mbx.h"
#include "mime.h"

static const char usage[] =
	"mbx-frames [options] -t | --verify | --decode | --to-ndjson | --to-frames [FILE...]\n"
	"       mbx-frames [options] --annotate [--to-ndjson | --to-frames] [FILE...]\n"
	"       mbx-frames [options] --split DIR [FILE...]\n"
	"       mbx-frames [options] --join DIR";

#define HEADER_FILE_MAX ((size_t)1 << 20)   /* as frame.c: a header is a record */

enum mode { M_NONE, M_LIST, M_VERIFY, M_DECODE, M_TO_NDJSON, M_TO_FRAMES, M_SPLIT, M_JOIN };
enum { OPT_VERIFY = MBX_OPT_FIRST_LOCAL, OPT_DECODE, OPT_TO_NDJSON, OPT_TO_FRAMES,
       OPT_SPLIT, OPT_JOIN, OPT_ANNOTATE };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "list", 't', 0, NULL, "list the headers, one JSON line per frame", 't' },
	{ "verify", 0, 0, NULL, "check every frame; a summary on stderr", OPT_VERIFY },
	{ "decode", 0, 0, NULL,
	  "one JSON line per item: its headers and decoded properties", OPT_DECODE },
	{ "to-ndjson", 0, 0, NULL, "write the NDJSON form", OPT_TO_NDJSON },
	{ "to-frames", 0, 0, NULL, "write the frame form", OPT_TO_FRAMES },
	{ "annotate", 0, 0, NULL, "add the decoded properties to each header", OPT_ANNOTATE },
	{ "split", 0, 1, "DIR", "write each frame to files in DIR", OPT_SPLIT },
	{ "join", 0, 1, "DIR", "read what --split wrote in DIR, as one stream", OPT_JOIN },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_LOG };

static enum mode mode;
static const char *dir;        /* --split / --join */
static int dirfd_split = -1;
static int annotate;           /* --annotate: the item's summary into its header */
static struct {
	unsigned long frames, ok, bad, errors, seq;
	int worst;
} st;

/* ------------------------------------------------------------------ reporting */

/* A frame was bad: the message names it (file, index, byte offset, id), exit 5. */
static void
bad(const char *fmt, ...) MBX_ATTR_PRINTF(1, 2);

static void
bad(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mbx_err("%s", msg);
	st.bad++;
	st.worst = mbx_exit_worst(st.worst, MBX_EXIT_BADINPUT);
}

/* "stdin: frame 3 at byte 1234 ('AAMk...')", the way frame.c names a frame. */
static void
where(const struct mbx_frame *fr, const char *name, char *out, size_t n)
{
	const char *id = mbx_json_str(fr->hdr, "id");

	snprintf(out, n, "%s: frame %lu at byte %llu%s%s%s", name, fr->index, fr->offset,
		 id ? " ('" : "", id ? id : "", id ? "')" : "");
}

static void
bad_frame(const struct mbx_frame *fr, const char *name, const char *what)
{
	char w[512];

	where(fr, name, w, sizeof w);
	bad("%s: %s", w, what);
}

/* Error frames travel down the pipe and make the run partial (mbx(7)). */
static int
is_error_frame(const struct mbx_frame *fr)
{
	return !fr->has_payload && fr->type && strcmp(fr->type, "error") == 0;
}

/* --------------------------------------------------------------- -t, --decode */

/* The header members; an inline "data" is shown as its decoded "size", so both forms
 * list alike and stdout never carries a payload. */
static void
put_header(struct mbx_jw *w, const struct mbx_frame *fr)
{
	yajl_val h = fr->hdr;
	size_t i;

	for (i = 0; i < h->u.object.len; i++) {
		if (fr->ndjson && strcmp(h->u.object.keys[i], "data") == 0) {
			mbx_jw_kint(w, "size", (long long)fr->payload.len);
			continue;
		}
		mbx_jw_key(w, h->u.object.keys[i]);
		mbx_jw_val(w, h->u.object.values[i]);
	}
}

static void
list_frame(const struct mbx_frame *fr)
{
	struct mbx_buf b;
	struct mbx_jw w;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	put_header(&w, fr);
	mbx_jw_end(&w);
	if (w.err)                   /* a header line is at most 1 MiB (frame.c) */
		mbx_die(MBX_EXIT_SOFTWARE, "header of frame %lu too large to list", fr->index);
	mbx_record_emit(&b);
	mbx_buf_free(&b);
}

/* The header plus the parser's report under "fx". A stream that does not parse is
 * still shown (the report says how far it got) but counts as bad input. */
static void
decode_frame(const struct mbx_frame *fr, const char *name)
{
	struct fx_item it;
	struct mbx_buf b;
	struct mbx_jw w;
	char what[400];

	fx_parse(&it, fr->payload.data, fr->payload.len);
	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	put_header(&w, fr);
	mbx_jw_key(&w, "fx");
	fx_report(&w, &it);
	mbx_jw_end(&w);
	if (w.err) {
		bad_frame(fr, name, "decoded report larger than 64 MiB");
	} else {
		mbx_record_emit(&b);
		if (it.status) {
			snprintf(what, sizeof what, "not a FastTransfer stream: %s", it.error);
			bad_frame(fr, name, what);
		} else {
			st.ok++;
		}
	}
	mbx_buf_free(&b);
	fx_item_free(&it);
}

/* ---------------------------------------------------------------- --verify */

/* The reader already checked the size (LF after the payload) and any sha256; --verify
 * also wants the sha256 to be there and the payload to parse. */
static void
verify_frame(const struct mbx_frame *fr, const char *name)
{
	char err[300], what[400];

	if (!mbx_json_str(fr->hdr, "sha256")) {
		bad_frame(fr, name, "no sha256 in the header: the payload cannot be verified");
		return;
	}
	if (fx_check(fr->payload.data, fr->payload.len, err, sizeof err) != FX_OK) {
		snprintf(what, sizeof what, "not a FastTransfer stream: %s", err);
		bad_frame(fr, name, what);
		return;
	}
	st.ok++;
}

/* -------------------------------------------------- --to-ndjson, --to-frames */

/* --annotate: the summary comes from lib/mime (mime_summary); a payload that does not
 * parse is written as it is, and counts as a bad frame. */
static void
convert_frame(const struct mbx_frame *fr, const char *name, int ndjson)
{
	char err[400];
	yajl_val h = annotate ? mime_annotate(fr->hdr, fr->payload.data, fr->payload.len, err,
					      sizeof err) : NULL;

	if (mbx_frame_write(stdout, h ? h : fr->hdr, fr->payload.data, fr->payload.len,
			    ndjson) < 0)
		mbx_die(MBX_EXIT_IO, "cannot write to stdout");
	if (annotate && !h)
		bad_frame(fr, name, err);
	else
		st.ok++;
	yajl_tree_free(h);
}

/* ----------------------------------------------------------------- --split */

/* Create name in the split directory, never replacing a file. */
static void
write_file(const char *name, const void *p, size_t n)
{
	int fd = openat(dirfd_split, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
	int ok, saved;

	if (!f)
		mbx_die(MBX_EXIT_IO, "cannot create '%s/%s': %s", dir, name, strerror(errno));
	ok = !n || fwrite(p, 1, n, f) == n;
	saved = errno;
	if (fclose(f) != 0 || !ok)
		mbx_die(MBX_EXIT_IO, "cannot write '%s/%s': %s", dir, name,
			strerror(ok ? errno : saved));
}

/* The header as the frame form writes it: members, then v, size and sha256 of the
 * payload (an NDJSON-form input loses its inline data here, the payload is beside it). */
static void
split_header(struct mbx_jw *w, const struct mbx_frame *fr)
{
	static const char *const own[] = { "v", "size", "sha256", "data" };
	yajl_val h = fr->hdr;
	char hex[65];
	size_t i, k;

	for (i = 0; i < h->u.object.len; i++) {
		for (k = 0; k < 4 && strcmp(h->u.object.keys[i], own[k]) != 0; k++)
			;
		if (k < 4 && fr->has_payload)
			continue;
		mbx_jw_key(w, h->u.object.keys[i]);
		mbx_jw_val(w, h->u.object.values[i]);
	}
	if (!fr->has_payload)
		return;
	mbx_sha256_hex(fr->payload.data ? fr->payload.data : "", fr->payload.len, hex);
	mbx_jw_kint(w, "v", MBX_FRAME_VERSION);
	mbx_jw_kint(w, "size", (long long)fr->payload.len);
	mbx_jw_kstr(w, "sha256", hex);
}

/* NNNNNN.fxs (the payload), then NNNNNN.json (the header): a header file on disk
 * means its payload is complete. */
static void
split_frame(const struct mbx_frame *fr)
{
	struct mbx_buf b;
	struct mbx_jw w;
	char name[32];

	st.seq++;
	if (fr->has_payload) {
		snprintf(name, sizeof name, "%06lu.fxs", st.seq);
		write_file(name, fr->payload.data, fr->payload.len);
	}
	mbx_buf_init(&b, HEADER_FILE_MAX);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	split_header(&w, fr);
	mbx_jw_end(&w);
	if (w.err || mbx_buf_putc(&b, '\n') < 0)
		mbx_die(MBX_EXIT_SOFTWARE, "header of frame %lu larger than 1 MiB", st.seq);
	snprintf(name, sizeof name, "%06lu.json", st.seq);
	write_file(name, b.data, b.len);
	mbx_buf_free(&b);
	if (fr->has_payload)
		st.ok++;
}

/* DIR is created if missing; an existing one must be empty, so nothing is clobbered
 * and --join later finds only this stream's files. */
static void
split_open(void)
{
	struct dirent *e;
	DIR *d;

	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		mbx_die(MBX_EXIT_IO, "cannot create directory '%s': %s", dir, strerror(errno));
	if (!(d = opendir(dir)))
		mbx_die(MBX_EXIT_IO, "cannot open directory '%s': %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			mbx_die(MBX_EXIT_USAGE, "cannot split into '%s': directory is not empty",
				dir);
	closedir(d);
	if ((dirfd_split = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		mbx_die(MBX_EXIT_IO, "cannot open directory '%s': %s", dir, strerror(errno));
}

/* ------------------------------------------------------------ reading frames */

static void
handle(const struct mbx_frame *fr, const char *name)
{
	if (!fr->has_payload) {
		if (fr->type && strcmp(fr->type, "item") == 0 && !mbx_json_bool(fr->hdr, "removed")) {
			bad_frame(fr, name, "item frame without a payload (no size or data)");
			return;
		}
		if (is_error_frame(fr)) {
			st.errors++;
			st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
		}
	}
	if (mode == M_VERIFY) {
		if (fr->has_payload)                /* a record is counted, nothing more */
			verify_frame(fr, name);
	} else if (mode == M_LIST) {
		list_frame(fr);
	} else if (mode == M_SPLIT) {
		split_frame(fr);
	} else if (!fr->has_payload) {              /* records pass through unchanged */
		mbx_record_write(fr->hdr);
	} else if (mode == M_DECODE) {
		decode_frame(fr, name);
	} else {
		convert_frame(fr, name, mode == M_TO_NDJSON);
	}
}

static void
read_stream(FILE *f, const char *name)
{
	struct mbx_frame_reader r;
	struct mbx_frame fr;
	char err[1024];
	int rc;

	mbx_frame_reader_init(&r, f, name, 0);
	while ((rc = mbx_frame_read(&r, &fr, err, sizeof err)) != 0) {
		st.frames++;
		if (rc < 0)
			bad("%s", err);
		else
			handle(&fr, name);
		mbx_frame_clear(&fr);
	}
	mbx_frame_reader_free(&r);
}

/* ------------------------------------------------------------------ --join */

struct entry {
	unsigned long num;
	char stem[32];             /* the name without .json/.fxs, as split wrote it */
	int has_json, has_fxs;
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return strcmp(x->stem, y->stem);
}

/* "000012.json" -> num 12, stem "000012", has_json; -1 for names that are not ours. */
static int
parse_name(const char *name, struct entry *e)
{
	size_t digits = strspn(name, "0123456789");
	const char *ext = name + digits;
	long n;

	if (digits == 0 || digits >= sizeof e->stem)
		return -1;
	if (strcmp(ext, ".json") != 0 && strcmp(ext, ".fxs") != 0)
		return -1;
	memset(e, 0, sizeof *e);
	memcpy(e->stem, name, digits);
	if (mbx_parse_long(e->stem, 0, 2147483647L, &n) < 0)
		return -1;
	e->num = (unsigned long)n;
	e->has_json = ext[1] == 'j';
	e->has_fxs = !e->has_json;
	return 0;
}

/* The numbered files of DIR in stream order, a header and its payload merged into one
 * entry. Other names (a README someone added) are left alone. */
static struct entry *
join_list(DIR *d, size_t *n)
{
	struct entry *v = NULL, e;
	struct dirent *de;
	size_t cap = 0, i, k = 0;

	*n = 0;
	while ((de = readdir(d)) != NULL) {
		if (parse_name(de->d_name, &e) < 0)
			continue;
		if (*n == cap)
			v = mbx_xrealloc(v, (cap = cap ? 2 * cap : 256) * sizeof *v);
		v[(*n)++] = e;
	}
	if (*n)
		qsort(v, *n, sizeof *v, entry_cmp);
	for (i = 0; i < *n; i++) {
		if (k && entry_cmp(&v[k - 1], &v[i]) == 0) {
			v[k - 1].has_json |= v[i].has_json;
			v[k - 1].has_fxs |= v[i].has_fxs;
		} else {
			v[k++] = v[i];
		}
	}
	*n = k;
	return v;
}

/* The whole file name in DIR into b (at most b's max); 0, or -1 with err saying why. */
static int
slurp(int dfd, const char *name, struct mbx_buf *b, char *err, size_t n)
{
	char chunk[65536];
	size_t k;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC), rc = 0;
	FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");

	if (!f) {
		snprintf(err, n, "cannot open: %s", strerror(errno));
		return -1;
	}
	while (rc == 0 && (k = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (mbx_buf_append(b, chunk, k) < 0) {
			snprintf(err, n, "larger than %zu bytes", b->max);
			rc = -1;
		}
	if (rc == 0 && ferror(f)) {
		snprintf(err, n, "cannot read: %s", strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

/* "DIR/000003.fxs ('AAMk...')": a file of the split directory and the item it holds. */
static void
file_name(char *out, size_t n, const char *file, yajl_val h)
{
	const char *id = mbx_json_str(h, "id");

	snprintf(out, n, "%s/%s%s%s%s", dir, file, id ? " ('" : "", id ? id : "",
		 id ? "')" : "");
}

/* The header file as a JSON object, or NULL (reported). */
static yajl_val
join_header(int dfd, const char *file)
{
	struct mbx_buf b;
	char err[300], what[600];
	yajl_val h = NULL;

	mbx_buf_init(&b, HEADER_FILE_MAX);
	if (slurp(dfd, file, &b, err, sizeof err) == 0) {
		h = mbx_json_parse(b.data ? b.data : "", b.len, err, sizeof err);
		if (h && !YAJL_IS_OBJECT(h)) {
			yajl_tree_free(h);
			h = NULL;
			snprintf(err, sizeof err, "not an object");
		}
		if (!h)
			snprintf(what, sizeof what, "header is not a JSON object: %s", err);
	} else {
		snprintf(what, sizeof what, "%s", err);
	}
	if (!h)
		bad("%s/%s: %s", dir, file, what);
	mbx_buf_free(&b);
	return h;
}

/* Size and sha256 of the payload file against its header, as the frame reader checks
 * them in a stream. */
static int
join_check(const char *file, yajl_val h, const struct mbx_buf *p)
{
	const char *want = mbx_json_str(h, "sha256");
	long long size;
	char got[65], name[512];

	file_name(name, sizeof name, file, h);
	if (mbx_json_num(h, "size", &size) == 0 && (size < 0 || (size_t)size != p->len)) {
		bad("%s: size %lld in the header, the file has %zu bytes", name, size, p->len);
		return -1;
	}
	mbx_sha256_hex(p->data ? p->data : "", p->len, got);
	if (want && strcmp(want, got) != 0) {
		bad("%s: sha256 mismatch: the payload is corrupt", name);
		return -1;
	}
	return 0;
}

/* A header file without a payload file: an error frame or another record, written back
 * as it is; a header that promises a payload is missing its file. */
static void
join_record(const char *file, yajl_val h)
{
	const char *type = mbx_json_str(h, "type");
	int item = type && strcmp(type, "item") == 0;
	char name[512];

	file_name(name, sizeof name, file, h);
	if (mbx_json_get(h, "size") || (item && !mbx_json_get(h, "data"))) {
		bad("%s: the payload file is missing", name);
		return;
	}
	if (type && strcmp(type, "error") == 0) {
		st.errors++;
		st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
	}
	mbx_record_write(h);
}

/* One numbered entry of the split directory, written as a frame. */
static void
join_one(int dfd, const struct entry *e)
{
	char jname[48], fname[48], err[300];
	struct mbx_buf p;
	yajl_val h;

	snprintf(jname, sizeof jname, "%s.json", e->stem);
	snprintf(fname, sizeof fname, "%s.fxs", e->stem);
	st.frames++;
	if (!e->has_json) {
		bad("%s/%s: payload file without its header file %s", dir, fname, jname);
		return;
	}
	if (!(h = join_header(dfd, jname)))
		return;
	if (!e->has_fxs) {
		join_record(jname, h);
		yajl_tree_free(h);
		return;
	}
	mbx_buf_init(&p, MBX_FRAME_MAX_PAYLOAD);
	if (slurp(dfd, fname, &p, err, sizeof err) < 0) {
		bad("%s/%s: %s", dir, fname, err);
	} else if (join_check(fname, h, &p) == 0) {
		if (mbx_frame_write(stdout, h, p.data, p.len, 0) < 0)
			mbx_die(MBX_EXIT_IO, "cannot write to stdout");
		st.ok++;
	}
	mbx_buf_free(&p);
	yajl_tree_free(h);
}

static void
join_dir(void)
{
	struct entry *v;
	size_t n, i;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), dfd2;
	DIR *d = NULL;

	if (dfd >= 0 && (dfd2 = dup(dfd)) >= 0 && !(d = fdopendir(dfd2)))
		close(dfd2);
	if (!d)
		mbx_die(MBX_EXIT_IO, "cannot open directory '%s': %s", dir, strerror(errno));
	v = join_list(d, &n);
	closedir(d);
	for (i = 0; i < n; i++)
		join_one(dfd, &v[i]);
	free(v);
	close(dfd);
}

/* -------------------------------------------------------------------- main */

static void
set_mode(enum mode m, const char *arg)
{
	if (mode != M_NONE)
		mbx_die(MBX_EXIT_USAGE, "give one of -t, --verify, --decode, --to-ndjson, "
			"--to-frames, --split, --join");
	mode = m;
	dir = arg;
}

static void
parse_options(int argc, char **argv)
{
	static const struct { int opt; enum mode mode; } modes[] = {
		{ 't', M_LIST }, { OPT_VERIFY, M_VERIFY }, { OPT_DECODE, M_DECODE },
		{ OPT_TO_NDJSON, M_TO_NDJSON }, { OPT_TO_FRAMES, M_TO_FRAMES },
		{ OPT_SPLIT, M_SPLIT }, { OPT_JOIN, M_JOIN },
	};
	size_t i;
	int c;

	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1) {
		annotate |= c == OPT_ANNOTATE;
		for (i = 0; i < sizeof modes / sizeof modes[0]; i++)
			if (modes[i].opt == c)
				set_mode(modes[i].mode, optarg);
	}
	if (annotate && mode == M_NONE)
		mode = M_TO_FRAMES;
	if (annotate && mode != M_TO_FRAMES && mode != M_TO_NDJSON)
		mbx_die(MBX_EXIT_USAGE, "--annotate goes with --to-frames or --to-ndjson");
	if (mode == M_NONE)
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
	if (mode == M_JOIN && optind < argc)
		mbx_die(MBX_EXIT_USAGE, "--join reads its directory, not files");
}

int
main(int argc, char **argv)
{

	mbx_log_init(argv[0]);
	mbx_opts_init();
	parse_options(argc, argv);
	if (mode == M_SPLIT)
		split_open();
	if (mode == M_JOIN)
		join_dir();
	else
		st.worst = mbx_exit_worst(st.worst, mbx_frame_files(argc - optind, argv + optind,
								    read_stream));
	if (fflush(stdout) == EOF || ferror(stdout))
		mbx_die(MBX_EXIT_IO, "cannot write to stdout");
	if (dirfd_split >= 0)
		close(dirfd_split);
	if (mode == M_VERIFY && mbx_verbosity >= 0)
		mbx_err("%lu frames: %lu items ok, %lu bad, %lu error frames", st.frames, st.ok,
			st.bad, st.errors);
	return st.worst;
}
