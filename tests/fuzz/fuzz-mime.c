/* fuzz-mime.c: libFuzzer harness for the whole MAPI -> MIME writer (lib/mime): the input
 * is a FastTransfer blob, as mbx-mime reads it from a frame. It is parsed (in its own
 * memory, as mbx-mime does) and written as mboxrd and as an .eml; the summary of
 * mbx-frames --annotate is made too and must parse as JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *null;

static void
write_as(const struct fx_item *it, int crlf, int mbox)
{
	static struct mime_sink s;
	struct mime_meta m = { "MBX:fuzz", "fuzz-id", "/Inbox", NULL, NULL, mbox };
	struct mime_result r;

	mime_sink_init(&s, null, crlf, mbox);
	mime_describe(it, &m, &r);
	if (mime_write(&s, it, &m, &r) < 0 || mime_sink_flush(&s) < 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbx_buf blob;
	struct fx_item it;
	char err[256];
	yajl_val h;

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	mbx_buf_init(&blob, 0);
	mbx_buf_append(&blob, data, size);
	if (fx_parse_take(&it, &blob) == FX_OK) {
		write_as(&it, 0, 1);
		write_as(&it, 1, 0);
	}
	fx_item_free(&it);
	mbx_buf_free(&blob);
	h = mime_annotate(NULL, data, size, err, sizeof err);
	if (!h && !*err)
		abort();
	yajl_tree_free(h);
	return 0;
}
