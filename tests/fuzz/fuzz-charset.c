/* fuzz-charset.c: libFuzzer harness for the code-page decoders (lib/mime/charset.c) and
 * the HTML scanner: the first byte picks a code page of the table, the rest is text in
 * it. The UTF-8 that comes out must be valid; names must map back to a code page; the
 * HTML functions must not read out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned cps[] = { 65001, 20127, 28591, 1252, 1200, 1201, 12000, 65000, 1250,
	1251, 1253, 1255, 1258, 874, 932, 936, 949, 950, 951, 1361, 20866, 28592, 28605, 50220,
	50221, 50225, 51932, 51949, 52936, 54936, 10000, 437, 866 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned cp;
	const char *name;
	struct mbx_buf out;
	char err[128];
	size_t bad;

	if (size < 1)
		return 0;
	cp = cps[data[0] % (sizeof cps / sizeof cps[0])];
	mbx_buf_init(&out, 1 << 22);
	if (mime_decode_cp(&out, cp, data + 1, size - 1, &bad, err, sizeof err) == 0 &&
	    mime_utf8_valid_len(out.data ? out.data : "", out.len) != out.len) {
		fprintf(stderr, "code page %u made invalid UTF-8\n", cp);
		abort();
	}
	name = mime_cp_name(cp);
	if (!name || mime_cp_from_name(name) == 0)
		abort();
	mbx_buf_reset(&out);
	mime_html_text(&out, (const char *)data, size);
	mbx_buf_reset(&out);
	mime_html_utf8_meta(&out, (const char *)data, size);
	if (!memchr(data, '<', size) && (out.len != size || memcmp(out.data, data, size)))
		abort();                     /* without markup it is the same text */
	(void)mime_html_refers((const char *)data, size, "a@b", "x");
	mbx_buf_free(&out);
	return 0;
}
