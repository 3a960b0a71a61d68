/* fuzz-frame.c: libFuzzer harness for the frame reader (lib/base/frame.c). The input is read
 * as a stream through fmemopen, frame after frame until the reader says it is done: the
 * frame form and the NDJSON form (inline base64 "data"), alone or concatenated. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t fuzz_sink;   /* keeps the reads of what the reader returned */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbx_frame_reader r;
	struct mbx_frame fr;
	char err[512];
	size_t frames = 0;
	FILE *f;
	int rc;

	if (size == 0 || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	mbx_frame_reader_init(&r, f, "fuzz", 0);
	for (;;) {
		*err = '\0';
		rc = mbx_frame_read(&r, &fr, err, sizeof err);
		if (rc == 1) {
			/* what mbx-frames -t and mbx-import look at */
			const char *id = mbx_json_str(fr.hdr, "id");
			if (!fr.hdr)
				abort();
			fuzz_sink += (fr.type ? strlen(fr.type) : 0) + (id ? strlen(id) : 0);
			if (fr.has_payload && fr.payload.len && !fr.payload.data)
				abort();
		} else if (rc < 0 && (!*err || (rc != MBX_FRAME_BAD && rc != MBX_FRAME_BROKEN))) {
			abort();                /* a bad frame must say why */
		}
		mbx_frame_clear(&fr);
		if (rc == 0)
			break;
		/* every frame the reader hands out consumed at least one byte */
		if (++frames > size)
			abort();
	}
	mbx_frame_reader_free(&r);
	fclose(f);
	return 0;
}
