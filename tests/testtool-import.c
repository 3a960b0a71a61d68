/* testtool-import.c: the import engine (lib/graph/import.c) and its upload window
 * (quota.c) driven directly, for what mbx-import alone cannot show. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

int tt_import_many(int argc, char **argv);
int tt_quota(int argc, char **argv);

static void
print_rec(void *ctx, const struct mbx_import_rec *r)
{
	(void)ctx;
	if (r->status)
		printf("%s %s %s %s\n", r->status, r->mailbox, r->folder_path ? r->folder_path : "-",
		       mbx_json_str(r->source, "id"));
	else
		printf("error %s %s\n", r->code, r->message);
}

/* A copy of hdr for another engine: each takes its records over. */
static yajl_val
copy_hdr(yajl_val hdr)
{
	struct mbx_buf b;
	struct mbx_jw w;
	yajl_val v;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_val(&w, hdr);
	v = mbx_json_parse(b.data, b.len, NULL, 0);
	mbx_buf_free(&b);
	return v;
}

static void
add_all(struct mbx_import **im, int n, struct mbx_frame *fr)
{
	struct mbx_buf p;
	struct mbx_err e;
	int i;

	for (i = 0; i < n; i++) {
		mbx_buf_init(&p, 0);
		mbx_buf_append(&p, fr->payload.data, fr->payload.len);
		if (mbx_import_add(im[i], copy_hdr(fr->hdr), &p, &e) || mbx_import_run(im[i], &e))
			mbx_die(MBX_EXIT_SERVICE, "%s", e.msg);
	}
}

/* import-many UNDER MAILBOX...: the item frames of stdin into every MAILBOX (ids) at
 * once, one engine each on one HTTP engine; one line per outcome. */
int
tt_import_many(int argc, char **argv)
{
	struct mbx_import_opts o = { 0 };
	struct mbx_import *im[8];
	struct mbx_frame_reader rd;
	struct mbx_frame fr;
	struct mbx_graph g;
	struct mbx_err e;
	char msg[1024];
	int i, n = argc - 2;

	if (n < 1 || n > 8)
		mbx_die(MBX_EXIT_USAGE, "usage: import-many UNDER MAILBOX...");
	o.under = argv[1];
	o.limit_bytes = 150LL << 20;
	o.limit_window = 300;
	o.jobs = 4;
	mbx_opts_init();
	mbx_graph_init(&g);
	for (i = 0; i < n; i++)
		if (mbx_import_new(&g, argv[i + 2], &o, print_rec, NULL, &im[i], &e))
			mbx_die(MBX_EXIT_SERVICE, "%s", e.msg);
	mbx_frame_reader_init(&rd, stdin, "stdin", 0);
	while (mbx_frame_read(&rd, &fr, msg, sizeof msg) > 0) {
		if (fr.has_payload && fr.type && strcmp(fr.type, "item") == 0)
			add_all(im, n, &fr);
		mbx_frame_clear(&fr);
	}
	mbx_frame_reader_free(&rd);
	for (i = 0; i < n; i++) {
		if (mbx_import_finish(im[i], &e))
			mbx_die(MBX_EXIT_SERVICE, "%s", e.msg);
		mbx_import_free(im[i]);
	}
	mbx_graph_free(&g);
	return 0;
}

static void
say_wait(struct mbx_quota *q, size_t bytes)
{
	double w = mbx_quota_wait(q, bytes);

	printf("wait %zu: %s\n", bytes, w < 0 ? "until one finishes" : w == 0 ? "none" :
	       w > 9 && w <= 10 ? "about the window" : "other");
}

/* quota: a 100-byte, 10-second window walked through its states. */
int
tt_quota(int argc, char **argv)
{
	struct mbx_quota *q = mbx_quota_new(100, 10);
	struct mbx_quota_slot *s;

	(void)argc;
	(void)argv;
	say_wait(q, 500);                        /* more than the limit, and nothing in it */
	s = mbx_quota_take(q, 60);
	say_wait(q, 40);
	say_wait(q, 50);                         /* in flight: no end known */
	mbx_quota_done(s);
	say_wait(q, 50);                         /* counted for a window from now */
	say_wait(q, 40);
	mbx_quota_free(q);
	return 0;
}
