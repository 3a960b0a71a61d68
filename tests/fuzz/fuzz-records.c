/* fuzz-records.c: libFuzzer harness for the NDJSON record reader (lib/base/record.c) and the
 * way records travel on (mbx_record_write's serialisation): every record read must be
 * writable (mbx_jw, which mbx_record_write uses without looking at w.err), and the text
 * written must read back and write again to the same text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t fuzz_sink;   /* keeps the reads of what the reader returned */

/* v as mbx_record_write would write it; -1 when the writer refused (w.err). */
static int
serialise(yajl_val v, struct mbx_buf *b)
{
	struct mbx_jw w;

	mbx_buf_init(b, 0);
	mbx_jw_init(&w, b);
	mbx_jw_val(&w, v);
	return w.err ? -1 : 0;
}

static void
round_trip(yajl_val v)
{
	struct mbx_buf a, b;
	char e[200];
	yajl_val again;

	if (serialise(v, &a) != 0) {
		fprintf(stderr, "a record that was read cannot be written: %s\n", a.data);
		abort();
	}
	again = mbx_json_parse(a.data, a.len, e, sizeof e);
	if (!again || !YAJL_IS_OBJECT(again)) {
		fprintf(stderr, "written record does not read back: %s\n%s\n", e, a.data);
		abort();
	}
	if (serialise(again, &b) != 0 || b.len != a.len || memcmp(a.data, b.data, a.len)) {
		fprintf(stderr, "record changed on a round trip:\n%s\n%s\n", a.data,
			b.data ? b.data : "");
		abort();
	}
	yajl_tree_free(again);
	mbx_buf_free(&b);
	mbx_buf_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbx_reader r;
	char err[512];
	size_t records = 0;
	yajl_val v;
	FILE *f;
	int rc;

	if (size == 0 || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	/* a small line cap, as mbx-testtool records uses, so the too-long path is reached */
	mbx_reader_init(&r, f, "fuzz", 1024);
	for (;;) {
		*err = '\0';
		rc = mbx_reader_next(&r, &v, err, sizeof err);
		if (rc == 0)
			break;
		if (rc > 0) {
			const char *t = mbx_record_type(v);
			if (!v || !YAJL_IS_OBJECT(v))
				abort();
			fuzz_sink += t ? strlen(t) : 0;
			round_trip(v);
			yajl_tree_free(v);
		} else if (v || !*err) {
			abort();                /* a bad line: no record, and a reason */
		}
		if (++records > size)
			abort();                /* every record or bad line consumed input */
	}
	mbx_reader_free(&r);
	fclose(f);
	return 0;
}
