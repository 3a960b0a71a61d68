/* testtool-http.c: mbx-testtool http METHOD URL [--body S] [--lane L] [--noauth]
 * [--count N] [--reenter]: requests through lib/graph/http.c; bodies on stdout, "status N"
 * on stderr. --reenter: the first request's on_done performs one more request on the same
 * engine, which http.c must refuse (http.h: callbacks do not drive their engine). */
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

int tt_http(int argc, char **argv);

static struct mbx_http *engine;

static void
reenter(struct mbx_req *r)
{
	struct mbx_req *again = mbx_req_new(r->method, r->url);

	mbx_http_perform(engine, again);
	mbx_req_free(again);
}

int
tt_http(int argc, char **argv)
{
	struct mbx_graph g;
	struct mbx_req **reqs;
	const char *body = NULL, *lane = "";
	long count = 1, i;
	int k, noauth = 0, reent = 0, worst = 0;

	if (argc < 3)
		mbx_die(2, "usage: http METHOD URL [--body S] [--lane L] [--noauth] [--count N] [-v]");
	for (k = 3; k < argc; k++) {
		if (!strcmp(argv[k], "--noauth"))
			noauth = 1;
		else if (!strcmp(argv[k], "--reenter"))
			reent = 1;
		else if (!strcmp(argv[k], "-v"))
			mbx_verbosity++;
		else if (k + 1 < argc && !strcmp(argv[k], "--body"))
			body = argv[++k];
		else if (k + 1 < argc && !strcmp(argv[k], "--lane"))
			lane = argv[++k];
		else if (k + 1 < argc && !strcmp(argv[k], "--count") &&
			 mbx_parse_long(argv[k + 1], 1, 1000, &count) == 0)
			k++;
		else
			mbx_die(2, "bad option '%s'", argv[k]);
	}
	mbx_graph_init(&g);
	engine = g.http;
	reqs = mbx_xcalloc((size_t)count, sizeof *reqs);
	for (i = 0; i < count; i++) {
		reqs[i] = mbx_req_new(argv[1], argv[2]);
		mbx_strlcpy(reqs[i]->lane, lane, sizeof reqs[i]->lane);
		reqs[i]->flags = noauth ? MBX_REQ_NOAUTH : 0;
		if (body) {
			mbx_buf_puts(&reqs[i]->body, body);
			reqs[i]->ctype = "application/json";
		}
		if (reent && i == 0)
			reqs[i]->on_done = reenter;
		mbx_http_submit(g.http, reqs[i]);
	}
	mbx_http_run(g.http);
	for (i = 0; i < count; i++) {
		char msg[1024];
		if (reqs[i]->resp.len)
			fwrite(reqs[i]->resp.data, 1, reqs[i]->resp.len, stdout), putchar('\n');
		if (mbx_http_err_kind(reqs[i]) != MBX_ERR_NONE) {
			mbx_graph_errmsg(reqs[i], msg, sizeof msg);
			mbx_err("%s", msg);
			worst = mbx_exit_worst(worst, mbx_exit_of(mbx_http_err_kind(reqs[i])));
		}
		fprintf(stderr, "status %ld attempts %d\n", reqs[i]->status, reqs[i]->attempts);
		mbx_req_free(reqs[i]);
	}
	free(reqs);
	mbx_graph_free(&g);
	return worst;
}
