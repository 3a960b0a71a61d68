/* jstream.c: a streaming reader that hands out the elements of a large response's
 * "value" array one at a time, each as a small tree (bounded). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>
#include "base.h"

/* An element is built as a yajl tree straight from the parser's events, in the shape
 * yajl_tree_parse makes (yajl_tree.h), so that yajl_tree_free frees it: no text of the
 * element is written and parsed a second time. */
struct frame {
	yajl_val v;                /* an object or an array */
	size_t cap;                /* room in its keys/values */
	char *key;                 /* an object's key waiting for its value */
};

struct mbx_jstream {
	yajl_handle h;
	char *array_key;
	mbx_jstream_cb cb;
	void *ctx;
	int depth;                 /* 1 the top-level object, 2 the array, 3+ an element */
	int in_array;
	struct frame st[MBX_JSON_MAX_DEPTH];
	int nst;                   /* open containers of the element being built */
	yajl_val elem;             /* the element being built, NULL between elements */
	size_t used, max;          /* its size as JSON text, about; the bound */
	char *key;                 /* last key seen at depth 1 */
	char *tops_k[16], *tops_v[16];
	int ntops;
	char err[256];
};

static int
js_fail(struct mbx_jstream *s, const char *msg)
{
	if (!*s->err)
		snprintf(s->err, sizeof s->err, "%s", msg);
	return 0;
}

/* Count n bytes of the element against the bound. */
static int
js_use(struct mbx_jstream *s, size_t n)
{
	char m[96];

	s->used += n;
	if (s->used <= s->max)
		return 1;
	snprintf(m, sizeof m, "array element larger than %zu bytes", s->max);
	return js_fail(s, m);
}

static yajl_val
js_node(yajl_type t)
{
	yajl_val v = mbx_xcalloc(1, sizeof *v);

	v->type = t;
	return v;
}

/* An element is complete: hand it out. */
static int
js_emit(struct mbx_jstream *s)
{
	yajl_val v = s->elem;
	int rc;

	s->elem = NULL;
	rc = s->cb(s->ctx, v);
	yajl_tree_free(v);
	if (rc)
		return js_fail(s, "stopped by the consumer");
	return 1;
}

/* Place v in the element: its root, or the next member of the open container. */
static void
js_add(struct mbx_jstream *s, yajl_val v)
{
	struct frame *f;
	size_t *len;
	yajl_val **vals;

	if (s->nst == 0) {
		s->elem = v;
		return;
	}
	f = &s->st[s->nst - 1];
	if (YAJL_IS_OBJECT(f->v)) {
		len = &f->v->u.object.len;
		vals = &f->v->u.object.values;
	} else {
		len = &f->v->u.array.len;
		vals = &f->v->u.array.values;
	}
	if (*len == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 8;
		*vals = mbx_xrealloc(*vals, f->cap * sizeof **vals);
		if (YAJL_IS_OBJECT(f->v))
			f->v->u.object.keys = mbx_xrealloc(f->v->u.object.keys,
							   f->cap * sizeof(char *));
	}
	if (YAJL_IS_OBJECT(f->v)) {
		f->v->u.object.keys[*len] = f->key;
		f->key = NULL;
	}
	(*vals)[(*len)++] = v;
}

static yajl_val
js_number(const char *p, size_t n)
{
	yajl_val v = js_node(yajl_t_number);
	char *end;

	/* as yajl_tree_parse: the text, and the integer and double that it is exactly */
	v->u.number.r = mbx_strndup(p, n);
	errno = 0;
	v->u.number.i = strtoll(v->u.number.r, &end, 10);
	if (errno == 0 && end != v->u.number.r && *end == '\0')
		v->u.number.flags |= YAJL_NUMBER_INT_VALID;
	errno = 0;
	v->u.number.d = strtod(v->u.number.r, &end);
	if (errno == 0 && *end == '\0')
		v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
	return v;
}

/* A scalar: part of an element, a whole scalar element, or a top-level member. */
static int
js_scalar(struct mbx_jstream *s, int kind, const char *p, size_t n)
{
	int whole = s->nst == 0 && s->in_array && s->depth == 2;
	yajl_val v;

	if (s->nst > 0 || whole) {
		if (whole)
			s->used = 0;
		if (!js_use(s, n + 3))
			return 0;
		if (kind == 's') {
			v = js_node(yajl_t_string);
			v->u.string = mbx_strndup(p, n);
		} else if (kind == 'x') {
			v = js_number(p, n);
		} else {
			v = js_node(kind == 'n' ? yajl_t_null : kind == 't' ? yajl_t_true : yajl_t_false);
		}
		js_add(s, v);
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
static int js_bool(void *c, int b) { return js_scalar(c, b ? 't' : 'f', NULL, 0); }
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

	if (s->nst > 0) {
		if (!js_use(s, n + 4))
			return 0;
		free(s->st[s->nst - 1].key);
		s->st[s->nst - 1].key = mbx_strndup((const char *)p, n);
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
	yajl_val v;

	if (s->nst > 0 || (s->in_array && s->depth == 2)) {
		if (s->nst == MBX_JSON_MAX_DEPTH) {
			char m[64];
			snprintf(m, sizeof m, "array element nested deeper than %d levels",
				 MBX_JSON_MAX_DEPTH);
			return js_fail(s, m);
		}
		if (s->nst == 0)
			s->used = 0;
		if (!js_use(s, 2))
			return 0;
		v = js_node(array ? yajl_t_array : yajl_t_object);
		js_add(s, v);
		s->st[s->nst].v = v;
		s->st[s->nst].cap = 0;
		s->st[s->nst++].key = NULL;
	} else if (array && s->depth == 1 && s->key && strcmp(s->key, s->array_key) == 0) {
		s->in_array = 1;
	}
	s->depth++;
	return 1;
}

static int
js_close(void *c)
{
	struct mbx_jstream *s = c;

	s->depth--;
	if (s->nst > 0) {
		if (--s->nst == 0)
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
	s->max = max_elem;
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

/* An element left half built by an error or a cut-off document. */
static void
js_drop(struct mbx_jstream *s)
{
	int i;

	for (i = 0; i < s->nst; i++)
		free(s->st[i].key);
	s->nst = 0;
	yajl_tree_free(s->elem);
	s->elem = NULL;
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
	js_drop(s);
	free(s->key);
	free(s->array_key);
	free(s);
}
