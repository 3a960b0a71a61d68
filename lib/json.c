/* json.c: yajl trees for small documents, a compact writer, and a streaming reader
 * that hands out the elements of a large response's "value" array one at a time. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>
#include "mbx.h"

/* yajl_tree_free (like mbx_jw_val) recurses once per level of nesting: a line of a few
 * hundred KB of '[' would overflow the stack. And what is read may have to be written
 * again (records travel down the pipe), which mbx_jw does to 32 levels. No record or
 * Graph answer nests anywhere near that, so deeper documents are refused before yajl
 * builds a tree. */
#define JSON_MAX_DEPTH 32              /* sizeof ((struct mbx_jw *)0)->need_comma */

static int
too_deep(const char *s, size_t n)
{
	size_t i;
	int depth = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '"') {                /* skip the string, escapes included */
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
		} else if (s[i] == '[' || s[i] == '{') {
			if (++depth > JSON_MAX_DEPTH)
				return 1;
		} else if (s[i] == ']' || s[i] == '}') {
			depth--;
		}
	}
	return 0;
}

yajl_val
mbx_json_parse(const char *text, size_t n, char *err, size_t errlen)
{
	char *copy, ebuf[256] = "";
	yajl_val v;

	if (too_deep(text, n)) {
		if (err)
			snprintf(err, errlen, "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
		return NULL;
	}
	/* yajl_tree_parse wants a NUL-terminated string. */
	copy = mbx_strndup(text, n);
	v = yajl_tree_parse(copy, ebuf, sizeof ebuf);
	free(copy);
	if (!v && err) {
		ebuf[strcspn(ebuf, "\n")] = '\0';
		snprintf(err, errlen, "%s", *ebuf ? ebuf : "invalid JSON");
	}
	return v;
}

yajl_val
mbx_json_get(yajl_val obj, const char *key)
{
	size_t i;

	if (!obj || !YAJL_IS_OBJECT(obj))
		return NULL;
	for (i = 0; i < obj->u.object.len; i++)
		if (strcasecmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

const char *
mbx_json_str(yajl_val obj, const char *key)
{
	yajl_val v = mbx_json_get(obj, key);

	return v && YAJL_IS_STRING(v) ? v->u.string : NULL;
}

int
mbx_json_num(yajl_val obj, const char *key, long long *out)
{
	yajl_val v = mbx_json_get(obj, key);

	if (!v || !YAJL_IS_INTEGER(v))
		return -1;
	*out = YAJL_GET_INTEGER(v);
	return 0;
}

int
mbx_json_bool(yajl_val obj, const char *key)
{
	return YAJL_IS_TRUE(mbx_json_get(obj, key));
}

static yajl_val
new_string(const char *s)
{
	yajl_val v = mbx_xcalloc(1, sizeof *v);

	v->type = yajl_t_string;
	v->u.string = mbx_strdup(s);
	return v;
}

void
mbx_json_set_str(yajl_val obj, const char *key, const char *s)
{
	size_t i, n;

	if (!obj || !YAJL_IS_OBJECT(obj))
		return;
	for (i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0) {
			yajl_tree_free(obj->u.object.values[i]);
			obj->u.object.values[i] = new_string(s);
			return;
		}
	/* yajl_tree_free frees keys, values and both arrays with free(): grow them alike */
	n = obj->u.object.len + 1;
	obj->u.object.keys = mbx_xrealloc((void *)obj->u.object.keys, n * sizeof(char *));
	obj->u.object.values = mbx_xrealloc(obj->u.object.values, n * sizeof(yajl_val));
	obj->u.object.keys[n - 1] = mbx_strdup(key);
	obj->u.object.values[n - 1] = new_string(s);
	obj->u.object.len = n;
}

/* ------------------------------------------------------------ writer */

void
mbx_jw_init(struct mbx_jw *w, struct mbx_buf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
}

static void
put(struct mbx_jw *w, const char *s, size_t n)
{
	if (mbx_buf_append(w->b, s, n) < 0)
		w->err = 1;
}

/* Comma before a value unless it follows a key or opens a container. */
static void
sep(struct mbx_jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	/* need_comma[d]: bit 0 = a value came before, bit 1 = the container is an array */
	if (w->depth > 0 && (w->need_comma[w->depth - 1] & 1))
		put(w, ",", 1);
	if (w->depth > 0)
		w->need_comma[w->depth - 1] |= 1;
}

static void
open_container(struct mbx_jw *w, const char *c)
{
	sep(w);
	put(w, c, 1);
	if (w->depth >= (int)sizeof w->need_comma) {
		w->err = 1;
		return;
	}
	w->need_comma[w->depth++] = *c == '[' ? 2 : 0;
}

void mbx_jw_obj(struct mbx_jw *w) { open_container(w, "{"); }
void mbx_jw_arr(struct mbx_jw *w) { open_container(w, "["); }

void
mbx_jw_end(struct mbx_jw *w)
{
	if (w->depth <= 0) {
		w->err = 1;
		return;
	}
	w->depth--;
	put(w, (w->need_comma[w->depth] & 2) ? "]" : "}", 1);
}

static void
escape(struct mbx_jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	put(w, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(w, e, 2);
		} else if (c == '\n') {
			put(w, "\\n", 2);
		} else if (c == '\r') {
			put(w, "\\r", 2);
		} else if (c == '\t') {
			put(w, "\\t", 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(w, e, 6);
		}
	}
	put(w, s + run, n - run);
	put(w, "\"", 1);
}

void
mbx_jw_key(struct mbx_jw *w, const char *k)
{
	sep(w);
	escape(w, k, strlen(k));
	put(w, ":", 1);
	w->after_key = 1;
}

void
mbx_jw_strn(struct mbx_jw *w, const char *s, size_t n)
{
	sep(w);
	escape(w, s, n);
}

void
mbx_jw_str(struct mbx_jw *w, const char *s)
{
	if (!s) {
		mbx_jw_null(w);
		return;
	}
	mbx_jw_strn(w, s, strlen(s));
}

void
mbx_jw_int(struct mbx_jw *w, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof num, "%lld", v);

	sep(w);
	put(w, num, (size_t)n);
}

void
mbx_jw_bool(struct mbx_jw *w, int v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void
mbx_jw_null(struct mbx_jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void
mbx_jw_raw(struct mbx_jw *w, const char *json)
{
	sep(w);
	put(w, json, strlen(json));
}

void
mbx_jw_raw_str(struct mbx_jw *w, const char *s, size_t n)
{
	sep(w);
	put(w, "\"", 1);
	put(w, s, n);
	put(w, "\"", 1);
}

/* Bytes as a base64 string, encoded straight into the buffer (no second copy). */
void
mbx_jw_b64(struct mbx_jw *w, const void *p, size_t n)
{
	sep(w);
	put(w, "\"", 1);
	if (mbx_b64_encode(w->b, p ? p : "", n) < 0)
		w->err = 1;
	put(w, "\"", 1);
}

void
mbx_jw_kstr(struct mbx_jw *w, const char *k, const char *s)
{
	mbx_jw_key(w, k);
	mbx_jw_str(w, s);
}

void
mbx_jw_kint(struct mbx_jw *w, const char *k, long long v)
{
	mbx_jw_key(w, k);
	mbx_jw_int(w, v);
}

void
mbx_jw_val(struct mbx_jw *w, yajl_val v)
{
	size_t i;

	if (!v || YAJL_IS_NULL(v)) {
		mbx_jw_null(w);
	} else if (YAJL_IS_STRING(v)) {
		mbx_jw_str(w, v->u.string);
	} else if (YAJL_IS_NUMBER(v)) {
		mbx_jw_raw(w, v->u.number.r);
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		mbx_jw_bool(w, YAJL_IS_TRUE(v));
	} else if (YAJL_IS_ARRAY(v)) {
		mbx_jw_arr(w);
		for (i = 0; i < v->u.array.len; i++)
			mbx_jw_val(w, v->u.array.values[i]);
		mbx_jw_end(w);
	} else if (YAJL_IS_OBJECT(v)) {
		mbx_jw_obj(w);
		for (i = 0; i < v->u.object.len; i++) {
			mbx_jw_key(w, v->u.object.keys[i]);
			mbx_jw_val(w, v->u.object.values[i]);
		}
		mbx_jw_end(w);
	}
}

/* ------------------------------------------------------------ streaming reader */

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
	v = mbx_json_parse(s->cap.data, s->cap.len, e, sizeof e);
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
