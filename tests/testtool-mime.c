/* testtool-mime.c: mbx-testtool mime SUBCOMMAND, the pieces of lib/mime for the bats
 * tests (t7000):
 *   mime lzfu FILE            decompressed RTF on stdout; exit 5 with the reason
 *   mime crc FILE             the MS-OXRTFCP CRC of FILE, 8 hex digits
 *   mime rtf FILE             de-encapsulated UTF-8 on stdout, "html|text|none" on stderr
 *   mime decode CP FILE       FILE in code page CP as UTF-8; "N bad" on stderr when any
 *   mime cp NAME|NUMBER       the code page of a charset name, or the name of a code page
 *   mime html-text FILE       the text of an HTML file
 *   mime html-meta FILE       the HTML with its META charset made utf-8
 *   mime refers FILE CID [LOC]  exit 0 when the HTML refers to the cid (or location)
 *   mime hdr NAME VALUE       an unstructured field as written
 *   mime addrs NAME [DISPLAY ADDR]...   an address field as written
 *   mime param NAME VALUE PNAME PVALUE...  a field with parameters
 *   mime addr-spec ADDR TYPE  the addr-spec written for an address
 *   mime qp FILE | b64 FILE | text FILE   a body as written (sink, mbox quoting with -m)
 *   mime cte FILE [8]         the transfer encoding a text part gets
 *   mime date UNIX            an RFC 5322 date */
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int tt_mime(int argc, char **argv);

#define FILE_MAX ((size_t)256 << 20)

static void
slurp(const char *path, struct mbx_buf *b)
{
	char chunk[65536];
	size_t k;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");

	if (!f)
		mbx_die(MBX_EXIT_IO, "cannot open '%s'", path);
	mbx_buf_init(b, FILE_MAX);
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (mbx_buf_append(b, chunk, k) < 0)
			mbx_die(MBX_EXIT_BADINPUT, "'%s' is too large", path);
	if (f != stdin)
		fclose(f);
}

static void
out(const struct mbx_buf *b)
{
	if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len)
		mbx_die(MBX_EXIT_IO, "cannot write");
}

static int
t_lzfu(struct mbx_buf *in)
{
	struct mbx_buf o;
	char err[300];

	mbx_buf_init(&o, 0);
	if (mime_lzfu_decompress(&o, in->data, in->len, err, sizeof err) < 0) {
		mbx_err("%s", err);
		mbx_buf_free(&o);
		return MBX_EXIT_BADINPUT;
	}
	out(&o);
	mbx_buf_free(&o);
	return 0;
}

static int
t_rtf(struct mbx_buf *in)
{
	static const char *const kinds[] = { "none", "html", "text" };
	struct mbx_buf o;
	char err[300];
	int kind;

	mbx_buf_init(&o, 0);
	if (mime_rtf_decode(&o, in->data ? in->data : "", in->len, &kind, err, sizeof err) < 0) {
		mbx_err("%s", err);
		mbx_buf_free(&o);
		return MBX_EXIT_BADINPUT;
	}
	out(&o);
	fprintf(stderr, "%s\n", kinds[kind]);
	mbx_buf_free(&o);
	return 0;
}

static int
t_decode(const char *cp, struct mbx_buf *in)
{
	struct mbx_buf o;
	char err[300];
	size_t bad;
	long v;

	if (mbx_parse_long(cp, 1, 65535, &v) < 0)
		mbx_die(2, "bad code page '%s'", cp);
	mbx_buf_init(&o, 0);
	if (mime_decode_cp(&o, (unsigned)v, in->data ? in->data : "", in->len, &bad, err,
			   sizeof err) < 0) {
		mbx_err("%s", err);
		mbx_buf_free(&o);
		return MBX_EXIT_BADINPUT;
	}
	out(&o);
	if (bad)
		fprintf(stderr, "%zu bad\n", bad);
	mbx_buf_free(&o);
	return 0;
}

static int
t_cp(const char *arg)
{
	long v;
	const char *n;

	if (mbx_parse_long(arg, 1, 65535, &v) == 0) {
		n = mime_cp_name((unsigned)v);
		printf("%s %s\n", n ? n : "-", mime_cp_known((unsigned)v) ? "known" : "unknown");
	} else {
		printf("%u\n", mime_cp_from_name(arg));
	}
	return 0;
}

/* mime hdr / addrs / param / addr-spec / date */
static int
t_fields(int argc, char **argv)
{
	struct mbx_buf o;
	int i, n;

	mbx_buf_init(&o, 0);
	if (strcmp(argv[1], "hdr") == 0 && argc == 4) {
		mime_hdr_text(&o, argv[2], argv[3]);
	} else if (strcmp(argv[1], "addrs") == 0 && argc >= 3 && argc % 2 == 1) {
		struct mime_addr a[32];
		for (n = 0, i = 3; i + 1 < argc && n < 32; i += 2, n++)
			a[n].name = argv[i], a[n].addr = argv[i + 1];
		mime_hdr_addrs(&o, argv[2], a, (size_t)n);
	} else if (strcmp(argv[1], "param") == 0 && argc >= 4 && argc % 2 == 0) {
		struct mime_param p[16];
		for (n = 0, i = 4; i + 1 < argc && n < 16; i += 2, n++)
			p[n].name = argv[i], p[n].value = argv[i + 1];
		mime_hdr_params(&o, argv[2], argv[3], p, (size_t)n);
	} else if (strcmp(argv[1], "addr-spec") == 0 && argc == 4) {
		char *s = mime_addr_spec(argv[2], argv[3]);
		mbx_buf_printf(&o, "%s\n", s);
		free(s);
	} else if (strcmp(argv[1], "date") == 0 && argc == 3) {
		char d[64];
		long v;
		if (mbx_parse_long(argv[2], -(1L << 40), 1L << 40, &v) < 0)
			mbx_die(2, "bad time");
		mime_date(v, d, sizeof d);
		mbx_buf_printf(&o, "%s\n", d);
	} else {
		mbx_die(2, "bad arguments to mime %s", argv[1]);
	}
	out(&o);
	mbx_buf_free(&o);
	return 0;
}

/* mime qp|b64|text [-m|-c] FILE: through a sink on stdout (-m mboxrd, -c CRLF). */
static int
t_body(int argc, char **argv)
{
	struct mime_sink *s = mbx_xmalloc(sizeof *s);
	struct mbx_buf in;
	int mbox = argc == 4 && strcmp(argv[2], "-m") == 0, crlf = argc == 4 && strcmp(argv[2], "-c") == 0;

	slurp(argv[argc - 1], &in);
	mime_sink_init(s, stdout, crlf, mbox);
	if (strcmp(argv[1], "qp") == 0)
		mime_qp_body(s, in.data ? in.data : "", in.len);
	else if (strcmp(argv[1], "b64") == 0)
		mime_b64_body(s, in.data, in.len);
	else
		mime_sink_put(s, in.data, in.len);
	mime_sink_flush(s);
	free(s);
	mbx_buf_free(&in);
	return 0;
}

static int
t_html(const char *cmd, int argc, char **argv, struct mbx_buf *in)
{
	struct mbx_buf o;

	mbx_buf_init(&o, 0);
	if (strcmp(cmd, "refers") == 0)
		return mime_html_refers(in->data ? in->data : "", in->len, argv[3],
					argc > 4 ? argv[4] : NULL) ? 0 : 1;
	if (strcmp(cmd, "html-text") == 0)
		mime_html_text(&o, in->data ? in->data : "", in->len);
	else
		mime_html_utf8_meta(&o, in->data ? in->data : "", in->len);
	out(&o);
	mbx_buf_free(&o);
	return 0;
}

int
tt_mime(int argc, char **argv)
{
	struct mbx_buf in;
	const char *c = argc > 1 ? argv[1] : "";
	int rc;

	if (argc < 3)
		mbx_die(2, "usage: mbx-testtool mime SUBCOMMAND ARGS...");
	if (!strcmp(c, "cp"))
		return t_cp(argv[2]);
	if (!strcmp(c, "hdr") || !strcmp(c, "addrs") || !strcmp(c, "param") ||
	    !strcmp(c, "addr-spec") || !strcmp(c, "date"))
		return t_fields(argc, argv);
	if (!strcmp(c, "qp") || !strcmp(c, "b64") || !strcmp(c, "text"))
		return t_body(argc, argv);
	slurp(!strcmp(c, "decode") ? argv[argc - 1] : argv[2], &in);
	if (!strcmp(c, "lzfu"))
		rc = t_lzfu(&in);
	else if (!strcmp(c, "crc"))
		rc = printf("%08x\n", (unsigned)mime_lzfu_crc(in.data, in.len)) < 0;
	else if (!strcmp(c, "rtf"))
		rc = t_rtf(&in);
	else if (!strcmp(c, "decode") && argc == 4)
		rc = t_decode(argv[2], &in);
	else if (!strcmp(c, "cte"))
		rc = puts(mime_text_cte(in.data ? in.data : "", in.len, argc > 3)) < 0;
	else if (!strcmp(c, "html-text") || !strcmp(c, "html-meta") || (!strcmp(c, "refers") && argc >= 4))
		rc = t_html(c, argc, argv, &in);
	else
		mbx_die(2, "unknown mime subcommand '%s'", c);
	mbx_buf_free(&in);
	return rc;
}
