/* fuzz-rtf.c: libFuzzer harness for RTF de-encapsulation (lib/mime/rtf.c, MS-OXRTFEX):
 * the input is decompressed RTF. What comes out is written into mail as UTF-8, so it
 * must be valid UTF-8; a refusal must say why and leave the output as it was. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbx_buf out, text;
	char err[256];
	int kind;

	mbx_buf_init(&out, 1 << 22);
	err[0] = '\0';
	if (mime_rtf_decode(&out, data, size, &kind, err, sizeof err) == 0) {
		if (kind < MIME_RTF_NONE || kind > MIME_RTF_TEXT ||
		    mime_utf8_valid_len(out.data ? out.data : "", out.len) != out.len) {
			fprintf(stderr, "kind %d, or output that is not UTF-8\n", kind);
			abort();
		}
		/* the writer then makes text of the HTML: that must hold too */
		mbx_buf_init(&text, 0);
		if (kind == MIME_RTF_HTML)
			mime_html_text(&text, out.data ? out.data : "", out.len);
		if (mime_utf8_valid_len(text.data ? text.data : "", text.len) != text.len)
			abort();
		mbx_buf_free(&text);
	} else if (!*err || out.len != 0) {
		fprintf(stderr, "refused without a reason or with output: '%s'\n", err);
		abort();
	}
	mbx_buf_free(&out);
	return 0;
}
