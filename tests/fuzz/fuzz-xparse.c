/* fuzz-xparse.c: libFuzzer harness for the streaming exportItems response parser
 * (lib/graph/xitems.c). The first 4 input bytes are chunk sizes (1..256, used in turn);
 * the rest is the response body, fed in those chunks so that chunk boundaries fall
 * everywhere. The same body fed in one piece must give the same elements and result:
 * the parser's answer may not depend on how the network cut the bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NCHUNK 4

/* What the consumer saw: each element's fields and its decoded data. */
static int
log_item(void *ctx, const struct mbx_xitem *it)
{
	struct mbx_buf *log = ctx;
	char hex[65] = "-";

	if (!it->item_id || !it->change_key || !it->err_code || !it->err_message)
		abort();
	if (it->data)
		mbx_sha256_hex(it->data->data ? it->data->data : "", it->data->len, hex);
	mbx_buf_printf(log, "[%s] [%s] [%s] [%s] %s %zu\n", it->item_id, it->change_key,
		       it->err_code, it->err_message, hex, it->data ? it->data->len : 0);
	return 0;
}

/* Feed body in chunks of the given sizes (one piece when sizes is NULL). */
static int
run(const char *body, size_t n, const uint8_t *sizes, struct mbx_buf *log)
{
	struct mbx_xparse *x = mbx_xparse_new(log_item, log, 0);
	size_t off = 0, k, i = 0;
	int rc = 0;

	while (rc == 0 && off < n) {
		k = sizes ? (size_t)sizes[i++ % NCHUNK] + 1 : n;
		if (k > n - off)
			k = n - off;
		rc = mbx_xparse_feed(x, body + off, k);
		off += k;
	}
	if (rc == 0)
		rc = mbx_xparse_finish(x);
	if (rc != 0 && rc != -1)
		abort();
	if (rc < 0 && (!mbx_xparse_error(x) || !*mbx_xparse_error(x)))
		abort();                        /* a failure says why */
	if (rc == 0 && mbx_xparse_error(x))
		abort();
	mbx_buf_printf(log, "rc %d %s\n", rc, rc ? mbx_xparse_error(x) : "");
	mbx_xparse_free(x);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbx_buf chunked, whole;

	if (size < NCHUNK)
		return 0;
	mbx_buf_init(&chunked, 0);
	mbx_buf_init(&whole, 0);
	run((const char *)data + NCHUNK, size - NCHUNK, data, &chunked);
	run((const char *)data + NCHUNK, size - NCHUNK, NULL, &whole);
	if (chunked.len != whole.len || memcmp(chunked.data, whole.data, whole.len) != 0) {
		fprintf(stderr, "chunked:\n%s\nwhole:\n%s\n", chunked.data, whole.data);
		abort();
	}
	mbx_buf_free(&chunked);
	mbx_buf_free(&whole);
	return 0;
}
