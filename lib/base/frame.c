/* frame.c: the frame stream of mbx-frames(5). A frame is one header line (a JSON object:
 * the item record with "v", "size" and "sha256"), then exactly size payload bytes, then
 * LF. An error frame is a header line of type "error" with no payload. The NDJSON form
 * carries the payload inline as base64 "data" instead of "size", so the same reader
 * takes both, and frames of both forms may be concatenated. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base.h"

#define HEADER_MAX MBX_FRAME_HEADER_MAX

/* The longest line: a header, and in the NDJSON form the base64 of the largest payload
 * (mbx-frames(5) "Reading"): 1 MiB + 4/3 of 256 MiB by default. */
static size_t
line_max(size_t max_payload)
{
	return HEADER_MAX + mbx_b64_encoded_len(max_payload);
}

void
mbx_frame_reader_init(struct mbx_frame_reader *r, FILE *f, const char *name,
		      size_t max_payload)
{
	memset(r, 0, sizeof *r);
	r->f = f;
	r->name = name ? name : "stdin";
	r->max_payload = max_payload ? max_payload : MBX_FRAME_MAX_PAYLOAD;
	mbx_buf_init(&r->line, line_max(r->max_payload));   /* grows as lines need */
}

void
mbx_frame_reader_free(struct mbx_frame_reader *r)
{
	mbx_buf_free(&r->line);
}

void
mbx_frame_clear(struct mbx_frame *fr)
{
	yajl_tree_free(fr->hdr);
	fr->hdr = NULL;
	mbx_buf_free(&fr->payload);
	memset(fr, 0, sizeof *fr);
}

/* One header line without its LF: 1, 0 at a clean end, -1 over line_max. */
static int
header_line(struct mbx_frame_reader *r)
{
	int c, over;
	size_t n;

	mbx_buf_reset(&r->line);
	n = mbx_buf_getline(&r->line, r->f, &c, &over);
	if (c == EOF && ferror(r->f))
		mbx_die(MBX_EXIT_IO, "cannot read %s: %s", r->name, strerror(errno));
	r->pos += n + (c == '\n');
	r->lines += c == '\n' || n > 0;
	if (c == EOF && n == 0)
		return 0;
	return over ? -1 : 1;
}

static int
fail(struct mbx_frame_reader *r, const struct mbx_frame *fr, int rc, char *err, size_t n,
     const char *what)
{
	const char *id = fr->hdr ? mbx_json_str(fr->hdr, "id") : NULL;

	snprintf(err, n, "%s: frame %lu at byte %llu%s%s%s: %s", r->name, fr->index,
		 fr->offset, id ? " ('" : "", id ? id : "", id ? "')" : "", what);
	if (rc == MBX_FRAME_BROKEN)
		r->broken = 1;
	return rc;
}

/* The size payload bytes and the LF after them. */
static int
read_payload(struct mbx_frame_reader *r, struct mbx_frame *fr, size_t size, char *err,
	     size_t n)
{
	char chunk[65536], what[160];
	size_t got = 0, k;
	int c;

	mbx_buf_init(&fr->payload, r->max_payload);
	while (got < size) {
		k = size - got < sizeof chunk ? size - got : sizeof chunk;
		k = fread(chunk, 1, k, r->f);
		if (k == 0)
			break;
		mbx_buf_append(&fr->payload, chunk, k);
		got += k;
	}
	r->pos += got;
	r->binary = 1;                          /* line numbers mean nothing from here on */
	if (got < size) {
		snprintf(what, sizeof what, "truncated: payload has %zu of %zu bytes", got, size);
		return fail(r, fr, MBX_FRAME_BROKEN, err, n, what);
	}
	c = getc_unlocked(r->f);
	r->pos += c != EOF;
	if (c != '\n')
		return fail(r, fr, MBX_FRAME_BROKEN, err, n,
			    "no LF after the payload: the size is wrong or the stream is corrupt");
	return 1;
}

static int
check_sha(struct mbx_frame_reader *r, struct mbx_frame *fr, char *err, size_t n)
{
	const char *want = mbx_json_str(fr->hdr, "sha256");
	char got[65];

	if (!want)
		return 1;
	mbx_sha256_hex(fr->payload.data ? fr->payload.data : "", fr->payload.len, got);
	if (strcmp(want, got) != 0)
		return fail(r, fr, MBX_FRAME_BAD, err, n, "sha256 mismatch: the payload is corrupt");
	return 1;
}

/* The NDJSON form: payload from the base64 "data" member. The rest of the record is
 * held to a header's bound, as in the frame form. */
static int
inline_payload(struct mbx_frame_reader *r, struct mbx_frame *fr, const char *data,
	       char *err, size_t n)
{
	size_t dlen = strlen(data);

	if (r->line.len - (dlen < r->line.len ? dlen : r->line.len) > HEADER_MAX)
		return fail(r, fr, MBX_FRAME_BAD, err, n,
			    "record longer than 1 MiB without its \"data\"");
	mbx_buf_init(&fr->payload, r->max_payload);
	fr->ndjson = 1;
	fr->has_payload = 1;
	if (dlen > mbx_b64_encoded_len(r->max_payload))
		return fail(r, fr, MBX_FRAME_BAD, err, n,
			    "\"data\" holds more than the reader's payload limit");
	if (mbx_b64_decode(&fr->payload, data, dlen) < 0)
		return fail(r, fr, MBX_FRAME_BAD, err, n, "\"data\" is not valid base64");
	return check_sha(r, fr, err, n);
}

static int
parse_header(struct mbx_frame_reader *r, struct mbx_frame *fr, char *err, size_t n)
{
	char e[200], what[300];

	fr->hdr = mbx_json_parse_buf(&r->line, e, sizeof e);
	if (!fr->hdr || !YAJL_IS_OBJECT(fr->hdr)) {
		snprintf(what, sizeof what, "header is not a JSON object%s%s", fr->hdr ? "" : ": ",
			 fr->hdr ? "" : e);
		yajl_tree_free(fr->hdr);
		fr->hdr = NULL;
		/* a line-oriented reader can go on at the next line; a frame reader cannot
		 * know where the next header starts, but the next line is its best guess */
		return fail(r, fr, MBX_FRAME_BAD, err, n, what);
	}
	fr->type = mbx_json_str(fr->hdr, "type");
	return 1;
}

/* A header from a later format version is refused after its payload was read, so
 * the next frame can still be found (mbx-frames(5): readers reject v > theirs).
 * A header without "v" is version 1: hand-made NDJSON records need not carry it. */
static int
check_version(struct mbx_frame_reader *r, struct mbx_frame *fr, char *err, size_t n)
{
	long long v;
	char what[80];

	if (mbx_json_num(fr->hdr, "v", &v) < 0 || (v >= 1 && v <= MBX_FRAME_VERSION))
		return 1;
	snprintf(what, sizeof what, "unsupported frame version %lld (this reader knows %d)",
		 v, MBX_FRAME_VERSION);
	return fail(r, fr, MBX_FRAME_BAD, err, n, what);
}

int
mbx_frame_read(struct mbx_frame_reader *r, struct mbx_frame *fr, char *err, size_t n)
{
	long long size;
	const char *data;
	int rc;

	memset(fr, 0, sizeof *fr);
	if (r->broken)
		return 0;
	fr->offset = r->pos;
	fr->index = ++r->index;
	mbx_records_flush();             /* the read may block */
	do {
		if ((rc = header_line(r)) == 0)
			return 0;
	} while (rc > 0 && r->line.len == 0);   /* blank lines between frames are allowed */
	if (rc < 0) {
		char what[160];

		if (r->binary)
			snprintf(what, sizeof what, "header line longer than %zu bytes",
				 line_max(r->max_payload));
		else if (r->max_payload % ((size_t)1 << 20) == 0)
			snprintf(what, sizeof what, "line %llu is longer than %zu bytes (1 MiB of "
				 "record and the base64 of the largest payload, %zu MiB)", r->lines,
				 line_max(r->max_payload), r->max_payload >> 20);
		else
			snprintf(what, sizeof what, "line %llu is longer than %zu bytes (1 MiB of "
				 "record and the base64 of the largest payload, %zu bytes)", r->lines,
				 line_max(r->max_payload), r->max_payload);
		return fail(r, fr, MBX_FRAME_BROKEN, err, n, what);
	}
	if ((rc = parse_header(r, fr, err, n)) != 1)
		return rc;
	if (!mbx_json_str(fr->hdr, "data") && r->line.len > HEADER_MAX)
		return fail(r, fr, MBX_FRAME_BROKEN, err, n, "header line longer than 1 MiB");
	if ((data = mbx_json_str(fr->hdr, "data")) != NULL)
		return check_version(r, fr, err, n) == 1 ? inline_payload(r, fr, data, err, n)
							  : MBX_FRAME_BAD;
	if (mbx_json_num(fr->hdr, "size", &size) < 0)
		return 1;                       /* a record without payload: error frames */
	if (size < 0 || (unsigned long long)size > r->max_payload)
		return fail(r, fr, MBX_FRAME_BROKEN, err, n, "size out of range");
	fr->has_payload = 1;
	if ((rc = read_payload(r, fr, (size_t)size, err, n)) != 1)
		return rc;
	if ((rc = check_version(r, fr, err, n)) != 1)
		return rc;
	return check_sha(r, fr, err, n);
}

/* Header members of rec, except those the frame writer sets itself. */
static void
copy_members(struct mbx_jw *w, yajl_val rec)
{
	static const char *const own[] = { "v", "size", "sha256", "data", NULL };
	size_t i;
	int k, skip;

	for (i = 0; rec && YAJL_IS_OBJECT(rec) && i < rec->u.object.len; i++) {
		for (skip = 0, k = 0; own[k]; k++)
			skip |= strcmp(rec->u.object.keys[i], own[k]) == 0;
		if (skip)
			continue;
		mbx_jw_key(w, rec->u.object.keys[i]);
		mbx_jw_val(w, rec->u.object.values[i]);
	}
}

int
mbx_frame_write(FILE *out, yajl_val rec, const void *payload, size_t len, int ndjson)
{
	struct mbx_buf b;
	struct mbx_jw w;
	char hex[65];
	int rc = 0;

	mbx_sha256_hex(payload ? payload : "", len, hex);
	mbx_buf_init(&b, ndjson ? MBX_FRAME_MAX_PAYLOAD * 2 : HEADER_MAX);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	copy_members(&w, rec);
	mbx_jw_kint(&w, "v", MBX_FRAME_VERSION);
	if (ndjson) {
		struct mbx_buf enc;
		mbx_buf_init(&enc, MBX_FRAME_MAX_PAYLOAD * 2);
		rc = mbx_b64_encode(&enc, payload, len);
		mbx_jw_key(&w, "data");
		mbx_jw_strn(&w, enc.data ? enc.data : "", enc.len);
		mbx_buf_free(&enc);
	} else {
		mbx_jw_kint(&w, "size", (long long)len);
	}
	mbx_jw_kstr(&w, "sha256", hex);
	mbx_jw_end(&w);
	if (rc < 0 || w.err || fwrite(b.data, 1, b.len, out) != b.len || putc('\n', out) == EOF ||
	    (!ndjson && ((len && fwrite(payload, 1, len, out) != len) || putc('\n', out) == EOF)))
		rc = -1;
	mbx_buf_free(&b);
	return rc;
}

/* The inputs of a filter (mbx-frames, mbx-mime): each file named ("-": stdin), or stdin
 * when none is; one that cannot be opened is reported and skipped. */
int
mbx_frame_files(int argc, char *const *argv, void (*each)(FILE *f, const char *name))
{
	FILE *f;
	int i, rc = 0;

	if (argc == 0)
		each(stdin, "stdin");
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			each(stdin, "stdin");
		} else if (!(f = fopen(argv[i], "rb"))) {
			mbx_err("cannot open '%s': %s", argv[i], strerror(errno));
			rc = MBX_EXIT_IO;
		} else {
			each(f, argv[i]);
			fclose(f);
		}
	}
	return rc;
}
