/* json.c: yajl trees for small documents (records, Graph answers), with a depth cap. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>
#include "base.h"

/* yajl_tree_free (like mbx_jw_val) recurses once per level of nesting: a line of a few
 * hundred KB of '[' would overflow the stack. And what is read may have to be written
 * again (records travel down the pipe), which mbx_jw does to MBX_JSON_MAX_DEPTH levels.
 * No record or Graph answer nests anywhere near that, so deeper documents are refused
 * before yajl builds a tree. */

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
			if (++depth > MBX_JSON_MAX_DEPTH)
				return 1;
		} else if (s[i] == ']' || s[i] == '}') {
			depth--;
		}
	}
	return 0;
}

static yajl_val
parse(const char *text, size_t n, int terminated, char *err, size_t errlen)
{
	char *copy = NULL, ebuf[256] = "";
	yajl_val v;

	if (too_deep(text, n)) {
		if (err)
			snprintf(err, errlen, "JSON nested deeper than %d levels", MBX_JSON_MAX_DEPTH);
		return NULL;
	}
	/* yajl_tree_parse wants a NUL-terminated string. */
	if (!terminated)
		copy = mbx_strndup(text, n);
	v = yajl_tree_parse(copy ? copy : text, ebuf, sizeof ebuf);
	free(copy);
	if (!v && err) {
		ebuf[strcspn(ebuf, "\n")] = '\0';
		snprintf(err, errlen, "%s", *ebuf ? ebuf : "invalid JSON");
	}
	return v;
}

yajl_val
mbx_json_parse(const char *text, size_t n, char *err, size_t errlen)
{
	return parse(text, n, 0, err, errlen);
}

/* A buffer's text is NUL-terminated (buf.c): parsed in place, not copied first (a
 * record line, a page of a listing). */
yajl_val
mbx_json_parse_buf(const struct mbx_buf *b, char *err, size_t errlen)
{
	return parse(b->data ? b->data : "", b->len, 1, err, errlen);
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
