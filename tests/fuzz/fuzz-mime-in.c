/* fuzz-mime-in.c: libFuzzer harness for the MIME parser and the MIME -> MAPI mapping
 * (lib/mime parse.c, hdr.c, decode.c, map.c) and the FastTransfer generator (lib/fx
 * gen.c) behind them: the input is one message. It is parsed, mapped, laid out and
 * written (every other input through the callback path of large attachments), and what
 * the generator wrote must be a FastTransfer stream that lib/fx parses without error,
 * with the attachments the mapping made, of the size the layout said. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t fuzz_sink;

static int
put(void *ctx, const void *p, size_t n)
{
	return mbx_buf_append(ctx, p, n);
}

/* The header readers programs use on every field of the message. */
static void
fields(const struct mime_part *p)
{
	struct mime_mbox *a;
	unsigned d = 0;
	long long t;
	size_t i, n;

	for (i = 0; i < p->nf && i < 64; i++) {
		char name[64], *v;
		size_t j = 0, k = p->f[i].nlen;
		if (k >= sizeof name)
			continue;
		memcpy(name, p->hdr + p->f[i].name, k);
		name[k] = '\0';
		if (!(v = mime_field_at(p, name, &j)))
			abort();                 /* the field is there: it must be found */
		free(mime_words(v, &d));
		n = mime_addrs(v, &a, &d);
		mime_addrs_free(a, n);
		fuzz_sink += (size_t)mime_date_parse(v, &t);
		free(mime_msgid(v));
		free(v);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_src src = { (const unsigned char *)(size ? (const char *)data : ""), -1, 0, size };
	struct mime_env env = { 1700000000, (int)(size & 1), (int)(size & 2), NULL, 0 };
	struct mime_msg m;
	struct mime_mapi mp;
	struct fx_blob *b;
	struct mbx_buf out;
	char err[512];

	if (mime_parse(&m, &src, err, sizeof err) < 0) {
		if (!*err)
			abort();                 /* a failure says why */
		mime_msg_free(&m);
		return 0;
	}
	fields(m.root);
	if (mime_to_mapi(&mp, &m, &env, err, sizeof err) == 0 && (b = fx_layout(&mp.m, 0))) {
		mbx_buf_init(&out, 0);
		if (fx_blob_write(b, put, &out) < 0 || out.len != fx_blob_size(b) ||
		    fx_check(out.data, out.len, err, sizeof err) != FX_OK)
			abort();                 /* the generator wrote what does not parse */
		mbx_buf_free(&out);
		fx_blob_free(b);
	}
	mime_mapi_free(&mp);
	mime_msg_free(&m);
	return 0;
}
