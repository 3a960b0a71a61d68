/* fuzz-fx.c: libFuzzer harness for the FastTransfer parser (lib/fx): the input is a
 * decoded export blob (framed or a bare stream). It is parsed into a tree, the tree is
 * reported as JSON (fx_report), and the cheap check (fx_check) must agree with
 * the full parse about whether and how the blob failed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t fuzz_sink;

/* The accessors programs use on every property of o and of what it holds. */
static void
walk(const struct fx_obj *o, int depth)
{
	size_t i;
	uint32_t k;

	if (!o || depth > 64)
		return;
	for (i = 0; i < o->nprops; i++) {
		const struct fx_prop *p = &o->props[i];
		long long v;
		char *t = fx_text(p, i % 2 ? 16 : 0);
		fuzz_sink += t ? strlen(t) : 0;
		free(t);
		for (k = 0; k < p->count && k < 4; k++) {
			t = fx_text_at(p, k, 0);
			fuzz_sink += t ? strlen(t) : 0;
			free(t);
		}
		if (fx_int(p, &v) == 0)
			fuzz_sink += (size_t)v;
		if (p->guid)
			fuzz_sink += fx_get_named(o, p->guid, p->lid,
						      p->kind ? "Keywords" : NULL) != NULL;
	}
	fuzz_sink += fx_get(o, 0x001A) != NULL;
	for (i = 0; i < o->nrecips; i++)
		walk(o->recips[i], depth + 1);
	for (i = 0; i < o->nattachs; i++)
		walk(o->attachs[i], depth + 1);
	walk(o->embedded, depth + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fx_item it;
	struct mbx_buf out;
	struct mbx_jw w;
	char err[256], e[200];
	yajl_val v;
	int st, chk;

	st = fx_parse(&it, data, size);
	if (st != it.status || (st != FX_OK && !*it.error))
		abort();
	walk(&it.root, 0);
	mbx_buf_init(&out, 0);
	mbx_jw_init(&w, &out);
	/* the report is one JSON object (mbx-frames --decode writes it as a record), within
	 * the writer's nesting and the buffer cap */
	if (fx_report(&w, &it) != 0) {
		fprintf(stderr, "report failed (nesting or size): %zu bytes\n", out.len);
		abort();
	}
	v = mbx_json_parse(out.data, out.len, e, sizeof e);
	if (!v || !YAJL_IS_OBJECT(v)) {
		fprintf(stderr, "report is not a JSON object: %s\n%s\n", e, out.data);
		abort();
	}
	yajl_tree_free(v);
	mbx_buf_free(&out);
	chk = fx_check(data, size, err, sizeof err);
	if (chk != st || strcmp(err, it.error) != 0) {
		fprintf(stderr, "fx_check says %d '%s', fx_parse %d '%s'\n", chk, err, st,
			it.error);
		abort();
	}
	fx_item_free(&it);
	return 0;
}
