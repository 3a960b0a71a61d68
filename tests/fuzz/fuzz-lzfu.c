/* fuzz-lzfu.c: libFuzzer harness for the compressed-RTF decoder (lib/mime/lzfu.c,
 * MS-OXRTFCP): the input is a PidTagRtfCompressed value. What comes out must be exactly
 * RAWSIZE bytes; a refusal must say why and leave the output as it was. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbx_buf out;
	char err[256];
	uint32_t raw;

	mbx_buf_init(&out, 1 << 20);
	mbx_buf_puts(&out, "x");                 /* what was there before stays */
	err[0] = '\0';
	if (mime_lzfu_decompress(&out, data, size, err, sizeof err) == 0) {
		memcpy(&raw, data + 4, 4);       /* size >= 16 when it succeeded */
		if (out.len != 1 + (size_t)raw) {
			fprintf(stderr, "made %zu bytes, RAWSIZE %u\n", out.len - 1, (unsigned)raw);
			abort();
		}
	} else if (!*err || out.len != 1 || out.data[0] != 'x') {
		fprintf(stderr, "refused without a reason or with output: '%s'\n", err);
		abort();
	}
	mbx_buf_free(&out);
	return 0;
}
