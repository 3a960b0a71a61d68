/* fuzz-mbox.c: libFuzzer harness for the mbox reader and the frame writer of mbx-mime
 * --to-frames (lib/mime mbox.c, toframes.c): the input is an mbox, read through
 * fmemopen. Every message becomes a frame (or fails with a reason) written into memory,
 * alternately held and made in two passes, in both frame forms; then the frames are
 * read back with the frame reader: each must pass its sha256, and its payload must be a
 * FastTransfer stream lib/fx parses. No message may be longer than the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	struct mime_in in;
	size_t input, frames;
};

static int
item(void *p, struct mime_item *it)
{
	struct ctx *c = p;
	const char *code;
	char why[512], id[1024];

	if (it->src.len > c->input)
		abort();
	if (mime_in_convert(&c->in, it, &code, why, sizeof why, id, sizeof id) == 0)
		c->frames++;
	else if (!code || !*why)
		abort();                         /* a failure says what and why */
	return 0;
}

/* Every frame reads back whole, its payload a stream lib/fx parses. */
static void
read_back(const char *buf, size_t len, size_t want)
{
	struct mbx_frame_reader r;
	struct mbx_frame fr;
	char err[512];
	size_t n = 0;
	FILE *f;
	int rc;

	if (len == 0 && want == 0)
		return;
	if (!(f = fmemopen((void *)buf, len, "r")))
		abort();
	mbx_frame_reader_init(&r, f, "fuzz", 0);
	while ((rc = mbx_frame_read(&r, &fr, err, sizeof err)) == 1) {
		if (!fr.has_payload || fx_check(fr.payload.data, fr.payload.len, err, sizeof err) != FX_OK)
			abort();
		n++;
		mbx_frame_clear(&fr);
	}
	mbx_frame_clear(&fr);
	if (rc != 0 || n != want)
		abort();
	mbx_frame_reader_free(&r);
	fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c;
	char *buf = NULL, err[1024];
	size_t len = 0;
	FILE *in, *out;

	if (size == 0 || !(in = fmemopen((void *)data, size, "r")))
		return 0;
	if (!(out = open_memstream(&buf, &len)))
		abort();
	memset(&c, 0, sizeof c);
	mime_in_init(&c.in, out);
	c.in.hold = data[0] & 1 ? MIME_FRAME_HOLD : 0;     /* held, or in two passes */
	c.in.ndjson = (data[0] & 2) != 0;
	c.in.labels = data[0] % 3;
	c.input = size;
	if (mime_mbox_read(in, "fuzz", item, &c, err, sizeof err) != 0)
		abort();
	fclose(in);
	fclose(out);
	read_back(buf, len, c.frames);
	free(buf);
	return 0;
}
