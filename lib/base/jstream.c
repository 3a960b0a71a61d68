/* jstream.c: a streaming reader that hands out the elements of a large response's
 * "value" array one at a time, each as a small tree (bounded). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>
#include "base.h"

/* Depth 1 is the top-level object, 2 the array named array_key, 3+ inside an element. */
struct mbx_jstream {
	yajl_handle h;
	char *array_key;
	mbx_jstream_cb cb;
	void *ctx;
	int depth, in_array, capturing;
	struct mbx_buf cap;
	struct mbx_jw w;
	char *key;                 /* last key seen at depth 1 */
	char *tops_k[16], *tops_v[16];
	int ntops;
	char err[256];
};

/* An element is complete: parse its text and hand it out. */
static int
js_emit(struct mbx_jstream *s)
{
	char e[128];
	yajl_val v;
	int rc;

	s->capturing = 0;
	if (s->w.err) {
		snprintf(s->err, sizeof s->err, "array element larger than %zu bytes", s->cap.max);
		return 0;
	}
	v = mbx_json_parse_buf(&s->cap, e, sizeof e);
	if (!v) {
		snprintf(s->err, sizeof s->err, "%s", e);
		return 0;
	}
	rc = s->cb(s->ctx, v);
	yajl_tree_free(v);
	if (rc)
		snprintf(s->err, sizeof s->err, "stopped by the consumer");
	return rc == 0;
}

static void
js_begin(struct mbx_jstream *s)
{
	mbx_buf_reset(&s->cap);
	mbx_jw_init(&s->w, &s->cap);
	s->capturing = 1;
}

/* A scalar: part of an element, a whole scalar element, or a top-level member. */
static int
js_scalar(struct mbx_jstream *s, int kind, const char *p, size_t n)
{
	int whole = !s->capturing && s->in_array && s->depth == 2;

	if (whole)
		js_begin(s);
	if (s->capturing) {
		if (kind == 's')
			mbx_jw_strn(&s->w, p, n);
		else if (kind == 'n')
			mbx_jw_raw(&s->w, "null");
		else {
			char *t = mbx_strndup(p, n);
			mbx_jw_raw(&s->w, t);
			free(t);
		}
		return whole ? js_emit(s) : 1;
	}
	if (s->depth == 1 && kind == 's' && s->key && s->ntops < 16) {
		s->tops_k[s->ntops] = s->key;
		s->tops_v[s->ntops++] = mbx_strndup(p, n);
		s->key = NULL;
	}
	return 1;
}

static int js_null(void *c) { return js_scalar(c, 'n', NULL, 0); }
static int js_bool(void *c, int b) { return js_scalar(c, 'b', b ? "true" : "false", b ? 4 : 5); }
static int js_num(void *c, const char *p, size_t n) { return js_scalar(c, 'x', p, n); }

static int
js_str(void *c, const unsigned char *p, size_t n)
{
	return js_scalar(c, 's', (const char *)p, n);
}

static int
js_key(void *c, const unsigned char *p, size_t n)
{
	struct mbx_jstream *s = c;

	if (s->capturing) {
		char *k = mbx_strndup((const char *)p, n);
		mbx_jw_key(&s->w, k);
		free(k);
	} else if (s->depth == 1) {
		free(s->key);
		s->key = mbx_strndup((const char *)p, n);
	}
	return 1;
}

static int
js_open(void *c, int array)
{
	struct mbx_jstream *s = c;

	if (!s->capturing && s->in_array && s->depth == 2)
		js_begin(s);
	if (s->capturing)
		array ? mbx_jw_arr(&s->w) : mbx_jw_obj(&s->w);
	else if (array && s->depth == 1 && s->key && strcmp(s->key, s->array_key) == 0)
		s->in_array = 1;
	s->depth++;
	return 1;
}

static int
js_close(void *c)
{
	struct mbx_jstream *s = c;

	s->depth--;
	if (s->capturing) {
		mbx_jw_end(&s->w);
		if (s->depth == 2)
			return js_emit(s);
	} else if (s->in_array && s->depth == 1) {
		s->in_array = 0;
	}
	return 1;
}

static int js_map(void *c) { return js_open(c, 0); }
static int js_arr(void *c) { return js_open(c, 1); }

static const yajl_callbacks js_callbacks = {
	js_null, js_bool, NULL, NULL, js_num, js_str,
	js_map, js_key, js_close, js_arr, js_close
};

struct mbx_jstream *
mbx_jstream_new(const char *array_key, mbx_jstream_cb cb, void *ctx, size_t max_elem)
{
	struct mbx_jstream *s = mbx_xcalloc(1, sizeof *s);

	s->array_key = mbx_strdup(array_key);
	s->cb = cb;
	s->ctx = ctx;
	mbx_buf_init(&s->cap, max_elem);
	s->h = yajl_alloc(&js_callbacks, NULL, s);
	if (!s->h)
		mbx_die(MBX_EXIT_SOFTWARE, "out of memory");
	return s;
}

static int
js_status(struct mbx_jstream *s, yajl_status st, const char *p, size_t n)
{
	unsigned char *m;

	if (st == yajl_status_ok)
		return 0;
	if (!*s->err) {
		m = yajl_get_error(s->h, 0, (const unsigned char *)p, n);
		snprintf(s->err, sizeof s->err, "%s", (char *)m);
		s->err[strcspn(s->err, "\n")] = '\0';
		yajl_free_error(s->h, m);
	}
	return -1;
}

int
mbx_jstream_feed(struct mbx_jstream *s, const char *p, size_t n)
{
	if (*s->err)
		return -1;
	return js_status(s, yajl_parse(s->h, (const unsigned char *)p, n), p, n);
}

int
mbx_jstream_finish(struct mbx_jstream *s)
{
	if (*s->err)
		return -1;
	if (js_status(s, yajl_complete_parse(s->h), NULL, 0) < 0)
		return -1;
	if (s->depth != 0) {
		snprintf(s->err, sizeof s->err, "premature end of JSON");
		return -1;
	}
	return 0;
}

const char *
mbx_jstream_error(struct mbx_jstream *s)
{
	return *s->err ? s->err : NULL;
}

const char *
mbx_jstream_top(struct mbx_jstream *s, const char *key)
{
	int i;

	for (i = 0; i < s->ntops; i++)
		if (strcasecmp(s->tops_k[i], key) == 0)
			return s->tops_v[i];
	return NULL;
}

void
mbx_jstream_free(struct mbx_jstream *s)
{
	int i;

	if (!s)
		return;
	yajl_free(s->h);
	for (i = 0; i < s->ntops; i++) {
		free(s->tops_k[i]);
		free(s->tops_v[i]);
	}
	free(s->key);
	free(s->array_key);
	mbx_buf_free(&s->cap);
	free(s);
}
