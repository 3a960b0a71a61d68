/* mbx-testtool: exposes library internals to the bats tests. Not installed.
 * usage: mbx-testtool COMMAND [ARGS...] */
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

int tt_fx_gen(int argc, char **argv);
int tt_fx_parse(int argc, char **argv);
int tt_auth_jwt_assert(int argc, char **argv);
int tt_http(int argc, char **argv);
int tt_mime(int argc, char **argv);
int tt_import_many(int argc, char **argv);
int tt_quota(int argc, char **argv);

static int
print_elem(void *ctx, yajl_val v)
{
	(void)ctx;
	mbx_record_write(v);
	return 0;
}

/* Two trees alike to the last detail yajl_tree_parse sets, number flags included. */
static int
same_tree(yajl_val a, yajl_val b)
{
	size_t i, n;

	if (!a || !b || a->type != b->type)
		return a == b;
	switch (a->type) {
	case yajl_t_string:
		return strcmp(a->u.string, b->u.string) == 0;
	case yajl_t_number:
		return strcmp(a->u.number.r, b->u.number.r) == 0 &&
		       a->u.number.flags == b->u.number.flags &&
		       (!(a->u.number.flags & YAJL_NUMBER_INT_VALID) || a->u.number.i == b->u.number.i) &&
		       (!(a->u.number.flags & YAJL_NUMBER_DOUBLE_VALID) || a->u.number.d == b->u.number.d);
	case yajl_t_object:
		if ((n = a->u.object.len) != b->u.object.len)
			return 0;
		for (i = 0; i < n; i++)
			if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) != 0 ||
			    !same_tree(a->u.object.values[i], b->u.object.values[i]))
				return 0;
		return 1;
	case yajl_t_array:
		if ((n = a->u.array.len) != b->u.array.len)
			return 0;
		for (i = 0; i < n; i++)
			if (!same_tree(a->u.array.values[i], b->u.array.values[i]))
				return 0;
		return 1;
	default:
		return 1;
	}
}

/* Each element of a json-stream against yajl_tree_parse of its own text: "same" or
 * "DIFFERENT", then the text. */
static int
check_elem(void *ctx, yajl_val v)
{
	struct mbx_buf b;
	struct mbx_jw w;
	yajl_val t;

	(void)ctx;
	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_val(&w, v);
	t = mbx_json_parse_buf(&b, NULL, 0);
	printf("%s %s\n", same_tree(v, t) ? "same" : "DIFFERENT", b.data);
	yajl_tree_free(t);
	mbx_buf_free(&b);
	return 0;
}

/* json-stream [CHUNK] [MAXELEM] [check]: stream stdin, print each "value" element (with
 * check: compared with yajl_tree_parse's tree, check_elem), then the top-level
 * @odata.nextLink; exit 5 with the parser's message on bad JSON. */
static int
tt_json_stream(int argc, char **argv)
{
	long chunk = 1, max = 1 << 20;
	struct mbx_jstream *s;
	char buf[65536];
	size_t n;
	int rc = 0;

	if ((argc > 1 && mbx_parse_long(argv[1], 1, 65536, &chunk) < 0) ||
	    (argc > 2 && mbx_parse_long(argv[2], 1, 1L << 30, &max) < 0) ||
	    (argc > 3 && strcmp(argv[3], "check") != 0))
		mbx_die(2, "usage: json-stream [CHUNK] [MAXELEM] [check]");
	s = mbx_jstream_new("value", argc > 3 ? check_elem : print_elem, NULL, (size_t)max);
	while (rc == 0 && (n = fread(buf, 1, (size_t)chunk, stdin)) > 0)
		rc = mbx_jstream_feed(s, buf, n);
	if (rc == 0)
		rc = mbx_jstream_finish(s);
	if (rc == 0 && mbx_jstream_top(s, "@odata.nextLink"))
		printf("next %s\n", mbx_jstream_top(s, "@odata.nextLink"));
	if (rc)
		mbx_err("bad JSON: %s", mbx_jstream_error(s));
	mbx_jstream_free(s);
	return rc ? MBX_EXIT_BADINPUT : 0;
}

static int
print_xitem(void *ctx, const struct mbx_xitem *it)
{
	char hex[65] = "-";

	(void)ctx;
	if (it->data)
		mbx_sha256_hex(it->data->data ? it->data->data : "", it->data->len, hex);
	printf("[%s] [%s] [%s] [%s] %s %zu\n", it->item_id, it->change_key, it->err_code,
	       it->err_message, hex, it->data ? it->data->len : 0);
	return 0;
}

/* xparse [CHUNK]: an exportItems response on stdin, one line per element. */
static int
tt_xparse(int argc, char **argv)
{
	long chunk = 1;
	struct mbx_xparse *x = mbx_xparse_new(print_xitem, NULL, 0);
	char buf[65536];
	size_t n;
	int rc = 0;

	if (argc > 1 && mbx_parse_long(argv[1], 1, 65536, &chunk) < 0)
		mbx_die(2, "usage: xparse [CHUNK]");
	while (rc == 0 && (n = fread(buf, 1, (size_t)chunk, stdin)) > 0)
		rc = mbx_xparse_feed(x, buf, n);
	if (rc == 0)
		rc = mbx_xparse_finish(x);
	if (rc)
		mbx_err("bad response: %s", mbx_xparse_error(x));
	mbx_xparse_free(x);
	return rc ? MBX_EXIT_BADINPUT : 0;
}

/* path-split PATH: one segment per line. */
static int
tt_path_split(int argc, char **argv)
{
	char **segs;
	size_t n, i;

	if (argc != 2 || mbx_path_split(argv[1], &segs, &n) < 0)
		mbx_die(MBX_EXIT_BADINPUT, "bad path '%s'", argc > 1 ? argv[1] : "");
	for (i = 0; i < n; i++)
		printf("[%s]\n", segs[i]);
	mbx_path_free(segs, n);
	return 0;
}

/* path-join NAME...: the escaped path of nested names. */
static int
tt_path_join(int argc, char **argv)
{
	struct mbx_buf b;
	int i;

	mbx_buf_init(&b, 0);
	mbx_buf_puts(&b, "/");
	for (i = 1; i < argc; i++) {
		char *parent = mbx_buf_steal(&b);
		mbx_buf_init(&b, 0);
		mbx_path_append(&b, parent, argv[i]);
		free(parent);
	}
	puts(b.data);
	mbx_buf_free(&b);
	return 0;
}

/* records: read NDJSON from stdin, echo each record compactly, errors to stderr. */
static int
tt_records(int argc, char **argv)
{
	struct mbx_reader r;
	char err[512];
	yajl_val v;
	int rc, bad = 0;

	(void)argc;
	(void)argv;
	mbx_reader_init(&r, stdin, "stdin", 1024);
	while ((rc = mbx_reader_next(&r, &v, err, sizeof err)) != 0) {
		if (rc < 0) {
			mbx_record_error(NULL, NULL, "BadRecord", "%s", err);
			bad = 1;
			continue;
		}
		print_elem(NULL, v);
		yajl_tree_free(v);
	}
	mbx_reader_free(&r);
	return bad ? MBX_EXIT_PARTIAL : 0;
}

/* redact TEXT / b64 ENC|DEC TEXT / sha256 TEXT / urlenc TEXT / urldec TEXT */
static int
tt_misc(int argc, char **argv)
{
	struct mbx_buf b;
	char out[4096], hex[65];
	int rc = 0;

	if (argc != 2)
		mbx_die(2, "usage: %s TEXT", argv[0]);
	mbx_buf_init(&b, 0);
	if (strcmp(argv[0], "redact") == 0)
		puts(mbx_redact(argv[1], out, sizeof out));
	else if (strcmp(argv[0], "b64enc") == 0)
		rc = mbx_b64_encode(&b, argv[1], strlen(argv[1]));
	else if (strcmp(argv[0], "b64urlenc") == 0)
		rc = mbx_b64url_encode(&b, argv[1], strlen(argv[1]));
	else if (strcmp(argv[0], "b64dec") == 0)
		rc = mbx_b64_decode(&b, argv[1], strlen(argv[1]));
	else if (strcmp(argv[0], "urlenc") == 0)
		rc = mbx_url_escape(&b, argv[1]);
	else if (strcmp(argv[0], "sha256") == 0)
		puts((mbx_sha256_hex(argv[1], strlen(argv[1]), hex), hex));
	if (b.data)
		puts(b.data);
	mbx_buf_free(&b);
	return rc ? MBX_EXIT_BADINPUT : 0;
}

/* b64dec-stream CHUNK: base64 on stdin decoded CHUNK characters per call (the way a
 * response arrives), raw bytes on stdout; exit 5 on bad input, after what decoded. */
static int
tt_b64dec_stream(int argc, char **argv)
{
	struct mbx_b64dec d;
	struct mbx_buf in, out;
	char chunk[65536];
	size_t k, off, step;
	long n;
	int rc = 0;

	if (argc != 2 || mbx_parse_long(argv[1], 1, 1 << 20, &n) < 0)
		mbx_die(2, "usage: b64dec-stream CHUNK");
	mbx_buf_init(&in, 0);
	mbx_buf_init(&out, 0);
	while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		mbx_buf_append(&in, chunk, k);
	mbx_b64dec_init(&d);
	for (off = 0; off < in.len && rc == 0; off += step) {
		step = in.len - off < (size_t)n ? in.len - off : (size_t)n;
		rc = mbx_b64dec_update(&d, &out, in.data + off, step);
	}
	if (rc == 0)
		rc = mbx_b64dec_final(&d, &out);
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	mbx_buf_free(&in);
	mbx_buf_free(&out);
	return rc ? MBX_EXIT_BADINPUT : 0;
}

/* b64enc-stream [url]: raw bytes on stdin as one line of base64 (or base64url). */
static int
tt_b64enc_stream(int argc, char **argv)
{
	struct mbx_buf in, out;
	char chunk[65536];
	size_t k;
	int url = argc > 1 && strcmp(argv[1], "url") == 0, rc;

	mbx_buf_init(&in, 0);
	mbx_buf_init(&out, 0);
	while ((k = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		mbx_buf_append(&in, chunk, k);
	rc = (url ? mbx_b64url_encode : mbx_b64_encode)(&out, in.data ? in.data : "", in.len);
	printf("%s\n", out.data ? out.data : "");
	mbx_buf_free(&in);
	mbx_buf_free(&out);
	return rc ? 1 : 0;
}

/* frames-write [--ndjson] FILE...: one item frame per file, id = the file name. */
static int
tt_frames_write(int argc, char **argv)
{
	int i = 1, ndjson = argc > 1 && strcmp(argv[1], "--ndjson") == 0;

	for (i += ndjson; i < argc; i++) {
		struct mbx_buf data, hdr;
		char chunk[4096];
		size_t k;
		yajl_val rec;
		FILE *f = fopen(argv[i], "rb");

		if (!f)
			mbx_die(6, "cannot open '%s'", argv[i]);
		mbx_buf_init(&data, 0);
		while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
			mbx_buf_append(&data, chunk, k);
		fclose(f);
		mbx_buf_init(&hdr, 0);
		mbx_buf_printf(&hdr, "{\"type\":\"item\",\"mailbox\":\"MBX:t@t\",\"id\":\"%s\"}",
			       argv[i]);
		rec = mbx_json_parse(hdr.data, hdr.len, NULL, 0);
		if (!rec || mbx_frame_write(stdout, rec, data.data, data.len, ndjson) < 0)
			mbx_die(6, "cannot write frame");
		yajl_tree_free(rec);
		mbx_buf_free(&hdr);
		mbx_buf_free(&data);
	}
	return 0;
}

/* frames-read [MAX]: "N OFFSET TYPE ID SIZE" per good frame on stdout, errors on stderr;
 * exit 5 when any frame was bad. MAX: the reader's payload limit (default the programs'). */
static int
tt_frames_read(int argc, char **argv)
{
	struct mbx_frame_reader r;
	struct mbx_frame fr;
	char err[512];
	long max = 0;
	int rc, bad = 0;

	if (argc > 1 && mbx_parse_long(argv[1], 1, 1L << 30, &max) < 0)
		mbx_die(2, "usage: frames-read [MAX]");
	mbx_frame_reader_init(&r, stdin, "stdin", (size_t)max);
	while ((rc = mbx_frame_read(&r, &fr, err, sizeof err)) != 0) {
		if (rc < 0) {
			mbx_err("%s", err);
			bad = 1;
		} else {
			const char *id = mbx_json_str(fr.hdr, "id");
			printf("%lu %llu %s %s %zu%s\n", fr.index, fr.offset, fr.type ? fr.type : "-",
			       id ? id : "-", fr.payload.len, fr.ndjson ? " ndjson" : "");
		}
		mbx_frame_clear(&fr);
	}
	mbx_frame_reader_free(&r);
	return bad ? MBX_EXIT_BADINPUT : 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{ "json-stream", tt_json_stream }, { "xparse", tt_xparse },
	{ "path-split", tt_path_split },
	{ "path-join", tt_path_join }, { "records", tt_records },
	{ "redact", tt_misc }, { "b64enc", tt_misc }, { "b64urlenc", tt_misc },
	{ "b64dec", tt_misc }, { "urlenc", tt_misc }, { "sha256", tt_misc },
	{ "b64dec-stream", tt_b64dec_stream }, { "b64enc-stream", tt_b64enc_stream },
	{ "frames-write", tt_frames_write }, { "frames-read", tt_frames_read },
	{ "fx-gen", tt_fx_gen }, { "fx-parse", tt_fx_parse },
	{ "jwt-assert", tt_auth_jwt_assert }, { "http", tt_http },
	{ "mime", tt_mime },
	{ "import-many", tt_import_many }, { "quota", tt_quota },
};

int
main(int argc, char **argv)
{
	size_t i;

	mbx_log_init("mbx-testtool");
	mbx_opts_init();
	if (argc < 2)
		mbx_die(2, "usage: mbx-testtool COMMAND [ARGS...]");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	mbx_die(2, "unknown command '%s'", argv[1]);
}
