/* testtool-fx.c: mbx-testtool fx-gen and fx-parse, the FastTransfer codec (lib/fx)
 * for the bats tests.
 *   fx-gen [--repeat N] SPEC.json   the framed blob on stdout
 *   fx-parse [--base64] [--check] FILE   the JSON report (or "ok") on stdout; exit 5 when
 *                                   truncated or corrupt, with the reason on stderr
 * Bare section numbers are those of docs/fasttransfer.md. */
#include <stdlib.h>
#include <string.h>
#include "fx.h"

int tt_fx_gen(int argc, char **argv);
int tt_fx_parse(int argc, char **argv);

#define SPEC_MAX ((size_t)64 << 20)
#define ATTACH_MAX ((size_t)64 << 20)

/* Whole file into b (at most max bytes); dies on error. */
static void
slurp(const char *path, struct mbx_buf *b, size_t max)
{
	char chunk[65536];
	size_t k;
	FILE *f = fopen(path, "rb");

	if (!f)
		mbx_die(MBX_EXIT_IO, "cannot open '%s'", path);
	mbx_buf_init(b, max);
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (mbx_buf_append(b, chunk, k) < 0)
			mbx_die(MBX_EXIT_BADINPUT, "'%s' is larger than %zu bytes", path, max);
	if (ferror(f))
		mbx_die(MBX_EXIT_IO, "cannot read '%s'", path);
	fclose(f);
}

/* ------------------------------------------------------------ fx-gen */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* "delivery": Unix seconds, or "YYYY-MM-DDTHH:MM:SSZ". */
static int64_t
spec_time(yajl_val spec)
{
	yajl_val v = mbx_json_get(spec, "delivery");
	int y, mo, d, h, mi, s, n = 0;

	if (!v)
		return 0;
	if (YAJL_IS_INTEGER(v))
		return YAJL_GET_INTEGER(v);
	if (!YAJL_IS_STRING(v) ||
	    sscanf(v->u.string, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
	    v->u.string[n] || mo < 1 || mo > 12 || d < 1 || d > 31)
		mbx_die(MBX_EXIT_BADINPUT, "bad \"delivery\": want Unix seconds or "
			"YYYY-MM-DDTHH:MM:SSZ");
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s;
}

static yajl_val
spec_array(yajl_val spec, const char *key, size_t *n)
{
	yajl_val v = mbx_json_get(spec, key);

	*n = 0;
	if (!v)
		return NULL;
	if (!YAJL_IS_ARRAY(v))
		mbx_die(MBX_EXIT_BADINPUT, "\"%s\" must be an array", key);
	*n = v->u.array.len;
	return v;
}

static int
recip_type(yajl_val r)
{
	const char *t = mbx_json_str(r, "type");
	long long n = 1;

	if (t)
		return strcmp(t, "cc") == 0 ? 2 : strcmp(t, "bcc") == 0 ? 3 : 1;
	mbx_json_num(r, "type", &n);
	return (int)n;
}

static struct fx_recip *
spec_recips(yajl_val spec, size_t *n)
{
	yajl_val a = spec_array(spec, "recipients", n);
	struct fx_recip *r = mbx_xcalloc(*n ? *n : 1, sizeof *r);
	size_t i;

	for (i = 0; i < *n; i++) {
		yajl_val e = a->u.array.values[i];
		r[i].name = mbx_json_str(e, "name");
		r[i].address = mbx_json_str(e, "address");
		r[i].type = recip_type(e);
	}
	return r;
}

/* "data": the bytes of a string, or "size": N deterministic pattern bytes. */
static struct fx_attach *
spec_attachs(yajl_val spec, size_t *n)
{
	yajl_val a = spec_array(spec, "attachments", n);
	struct fx_attach *at = mbx_xcalloc(*n ? *n : 1, sizeof *at);
	size_t i, k;
	long long size;

	for (i = 0; i < *n; i++) {
		yajl_val e = a->u.array.values[i];
		const char *data = mbx_json_str(e, "data");
		at[i].name = mbx_json_str(e, "name");
		at[i].mime = mbx_json_str(e, "mime");
		if (data) {
			at[i].data = data;
			at[i].len = strlen(data);
		} else if (mbx_json_num(e, "size", &size) == 0 && size >= 0 &&
			   (size_t)size <= ATTACH_MAX) {
			unsigned char *p = mbx_xmalloc((size_t)size);
			for (k = 0; k < (size_t)size; k++)
				p[k] = (unsigned char)(k * 31 + 7);
			at[i].data = p;
			at[i].len = (size_t)size;
		}
	}
	return at;
}

static const char **
spec_categories(yajl_val spec, size_t *n)
{
	yajl_val a = spec_array(spec, "categories", n);
	const char **c = mbx_xcalloc(*n ? *n : 1, sizeof *c);
	size_t i;

	for (i = 0; i < *n; i++)
		c[i] = YAJL_IS_STRING(a->u.array.values[i]) ? a->u.array.values[i]->u.string : "";
	return c;
}

static void
spec_msg(yajl_val spec, struct fx_msg *m)
{
	yajl_val sender = mbx_json_get(spec, "sender");
	long long flags = 0;

	memset(m, 0, sizeof *m);
	m->message_class = mbx_json_str(spec, "messageClass");
	m->subject = mbx_json_str(spec, "subject");
	m->body = mbx_json_str(spec, "body");
	m->sender_name = mbx_json_str(sender, "name");
	m->sender_address = mbx_json_str(sender, "address");
	m->delivery_time = spec_time(spec);
	mbx_json_num(spec, "flags", &flags);
	m->flags = (uint32_t)flags;
	m->minimal = mbx_json_bool(spec, "minimal");
	m->recips = spec_recips(spec, &m->nrecips);
	m->attachs = spec_attachs(spec, &m->nattachs);
	m->categories = spec_categories(spec, &m->ncategories);
}

static void
free_msg(struct fx_msg *m, yajl_val spec)
{
	size_t i;

	for (i = 0; i < m->nattachs; i++)
		if (!mbx_json_str(mbx_json_get(spec, "attachments")->u.array.values[i], "data"))
			free((void *)m->attachs[i].data);
	free((void *)m->recips);
	free((void *)m->attachs);
	free((void *)m->categories);
}

static yajl_val
read_spec(const char *path)
{
	struct mbx_buf text;
	char err[256] = "";
	yajl_val spec;

	slurp(path, &text, SPEC_MAX);
	spec = mbx_json_parse(text.data ? text.data : "", text.len, err, sizeof err);
	if (!spec || !YAJL_IS_OBJECT(spec))
		mbx_die(MBX_EXIT_BADINPUT, "'%s': not a JSON object: %s", path, err);
	mbx_buf_free(&text);
	return spec;
}

/* fx-gen [--repeat N] SPEC.json: N generations (for timing), the last one written. */
int
tt_fx_gen(int argc, char **argv)
{
	struct mbx_buf out;
	struct fx_msg m;
	yajl_val spec;
	long repeat = 1, i;
	int a = 1;

	if (argc == 4 && strcmp(argv[1], "--repeat") == 0 &&
	    mbx_parse_long(argv[2], 1, 1000000, &repeat) == 0)
		a = 3;
	if (argc != a + 1)
		mbx_die(MBX_EXIT_USAGE, "usage: fx-gen [--repeat N] SPEC.json");
	spec = read_spec(argv[a]);
	spec_msg(spec, &m);
	mbx_buf_init(&out, 0);
	for (i = 0; i < repeat; i++) {
		mbx_buf_reset(&out);
		if (fx_generate(&out, &m) < 0)
			mbx_die(MBX_EXIT_BADINPUT, "'%s': message larger than the buffer cap", argv[a]);
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout))
		mbx_die(MBX_EXIT_IO, "cannot write to stdout");
	free_msg(&m, spec);
	yajl_tree_free(spec);
	mbx_buf_free(&out);
	return 0;
}

/* ------------------------------------------------------------ fx-parse */

/* 11.1.1: whitespace stripped; a text cut in the middle of a quantum (length = 1 mod 4)
 * is decoded as far as it goes. Returns 1 when it was cut, 0 when whole; dies if bad. */
static int
decode_b64(const char *path, struct mbx_buf *text, struct mbx_buf *blob)
{
	size_t i, n = 0;
	int cut = 0;

	for (i = 0; i < text->len; i++)
		if (!strchr(" \t\r\n", text->data[i]))
			text->data[n++] = text->data[i];
	if (n % 4 == 1) {
		n--;
		cut = 1;
	}
	mbx_buf_init(blob, 0);
	if (mbx_b64_decode(blob, text->data ? text->data : "", n) < 0)
		mbx_die(MBX_EXIT_BADINPUT, "'%s': bad base64", path);
	return cut;
}

static int
parse_report(const char *path, const struct mbx_buf *blob)
{
	struct fx_item it;
	struct mbx_buf out;
	struct mbx_jw w;
	int st = fx_parse(&it, blob->data, blob->len);

	mbx_buf_init(&out, 0);
	mbx_jw_init(&w, &out);
	if (fx_report(&w, &it) < 0)
		mbx_die(MBX_EXIT_SOFTWARE, "'%s': report larger than the buffer cap", path);
	mbx_record_emit(&out);
	if (st)
		mbx_err("'%s': %s", path, it.error);
	fx_item_free(&it);
	mbx_buf_free(&out);
	return st;
}

static int
check(const char *path, const struct mbx_buf *blob)
{
	char err[256];
	int st = fx_check(blob->data, blob->len, err, sizeof err);

	if (st)
		mbx_err("'%s': %s", path, err);
	else
		puts("ok");
	return st;
}

int
tt_fx_parse(int argc, char **argv)
{
	struct mbx_buf text, blob;
	int i, b64 = 0, chk = 0, cut = 0, st;

	for (i = 1; i < argc - 1 && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--base64") == 0)
			b64 = 1;
		else if (strcmp(argv[i], "--check") == 0)
			chk = 1;
		else
			break;
	}
	if (i != argc - 1)
		mbx_die(MBX_EXIT_USAGE, "usage: fx-parse [--base64] [--check] FILE");
	slurp(argv[i], &text, MBX_FRAME_MAX_PAYLOAD);
	if (b64)
		cut = decode_b64(argv[i], &text, &blob);
	st = (chk ? check : parse_report)(argv[i], b64 ? &blob : &text);
	if (!st && cut)
		mbx_err("'%s': base64 text cut short", argv[i]);
	if (b64)
		mbx_buf_free(&blob);
	mbx_buf_free(&text);
	return st || cut ? MBX_EXIT_BADINPUT : 0;
}
