/* xitems.c: the exportItems response (graph-api.md 3.13) read as it streams.
 * A general JSON parser would scan, copy and re-parse each item's base64 "data" several
 * times; this reader walks the bytes once, decodes "data" straight into the item's buffer
 * as it arrives, and keeps the other members of an element (itemId, changeKey,
 * error.code, error.message) in small bounded buffers. It handles the JSON syntax in
 * full (nesting, escapes, any member order, whitespace) but looks only at
 * value[].{itemId, changeKey, data, error}. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mbx.h"

#define MAX_DEPTH 32
#define SMALL 1024             /* ids, change keys, error texts */

enum { S_VALUE, S_KEY, S_COLON, S_AFTER, S_STRING, S_ESCAPE, S_LITERAL };
enum { F_NONE, F_KEY, F_ITEMID, F_CHANGEKEY, F_DATA, F_CODE, F_MESSAGE };

struct mbx_xparse {
	mbx_xitem_cb cb;
	void *ctx;
	int state, depth, field, in_value, unicode;
	char kind[MAX_DEPTH];      /* '{' or '[' */
	char key[MAX_DEPTH][32];   /* the member being read at each depth */
	struct mbx_buf small, data;
	struct mbx_b64dec dec;
	char item_id[SMALL], change_key[SMALL], code[128], message[SMALL];
	int has_data, done_top;
	char err[256];
};

struct mbx_xparse *
mbx_xparse_new(mbx_xitem_cb cb, void *ctx, size_t max_data)
{
	struct mbx_xparse *x = mbx_xcalloc(1, sizeof *x);

	x->cb = cb;
	x->ctx = ctx;
	mbx_buf_init(&x->small, SMALL);
	mbx_buf_init(&x->data, max_data ? max_data : MBX_FRAME_MAX_PAYLOAD);
	return x;
}

void
mbx_xparse_free(struct mbx_xparse *x)
{
	if (!x)
		return;
	mbx_buf_free(&x->small);
	mbx_buf_free(&x->data);
	free(x);
}

const char *
mbx_xparse_error(const struct mbx_xparse *x)
{
	return *x->err ? x->err : NULL;
}

static int
fail(struct mbx_xparse *x, const char *why)
{
	if (!*x->err)
		snprintf(x->err, sizeof x->err, "%s", why);
	return -1;
}

/* Which member a string at this point is: only value[] elements matter. */
static int
field_of(const struct mbx_xparse *x)
{
	const char *k = x->key[x->depth];

	if (x->depth == 3 && x->in_value && x->kind[3] == '{') {
		if (!strcasecmp(k, "itemId"))
			return F_ITEMID;
		if (!strcasecmp(k, "changeKey"))
			return F_CHANGEKEY;
		if (!strcasecmp(k, "data"))
			return F_DATA;
	}
	if (x->depth == 4 && x->in_value && !strcasecmp(x->key[3], "error")) {
		if (!strcasecmp(k, "code"))
			return F_CODE;
		if (!strcasecmp(k, "message"))
			return F_MESSAGE;
	}
	return F_NONE;
}

static void
element_reset(struct mbx_xparse *x)
{
	*x->item_id = *x->change_key = *x->code = *x->message = '\0';
	x->has_data = 0;
	mbx_buf_reset(&x->data);
}

static int
element_done(struct mbx_xparse *x)
{
	struct mbx_xitem it = { x->item_id, x->change_key, x->code, x->message,
				x->has_data ? &x->data : NULL };

	if (x->cb(x->ctx, &it) != 0)
		return fail(x, "stopped by the consumer");
	element_reset(x);
	return 0;
}

static int
open_container(struct mbx_xparse *x, char c)
{
	if (x->depth + 1 >= MAX_DEPTH)
		return fail(x, "JSON nested too deeply");
	/* the top-level "value" array holds the elements */
	if (c == '[' && x->depth == 1 && !strcmp(x->key[1], "value"))
		x->in_value = 1;
	x->kind[++x->depth] = c;
	x->key[x->depth][0] = '\0';
	if (c == '{' && x->depth == 3 && x->in_value)
		element_reset(x);
	x->state = c == '{' ? S_KEY : S_VALUE;
	return 0;
}

static int
close_container(struct mbx_xparse *x, char c)
{
	if (x->depth == 0 || x->kind[x->depth] != (c == '}' ? '{' : '['))
		return fail(x, "mismatched bracket");
	x->depth--;
	if (c == '}' && x->depth == 2 && x->in_value && element_done(x) < 0)
		return -1;
	if (c == ']' && x->depth == 1)
		x->in_value = 0;
	if (x->depth == 0)
		x->done_top = 1;
	x->state = S_AFTER;
	return 0;
}

/* The string that starts now: a key, a member we keep, data, or one to skip. */
static int
string_start(struct mbx_xparse *x, int is_key)
{
	x->field = is_key ? F_KEY : field_of(x);
	mbx_buf_reset(&x->small);
	if (x->field == F_DATA) {
		mbx_buf_reset(&x->data);
		mbx_b64dec_init(&x->dec);
		x->has_data = 1;
	}
	x->state = S_STRING;
	return 0;
}

static void
copy_small(struct mbx_xparse *x, char *dst, size_t n)
{
	mbx_strlcpy(dst, x->small.data ? x->small.data : "", n);
}

static int
string_end(struct mbx_xparse *x)
{
	switch (x->field) {
	case F_KEY:
		copy_small(x, x->key[x->depth], sizeof x->key[x->depth]);
		x->state = S_COLON;
		return 0;
	case F_DATA:
		if (mbx_b64dec_final(&x->dec, &x->data) < 0)
			return fail(x, "\"data\" is not valid base64");
		break;
	case F_ITEMID: copy_small(x, x->item_id, sizeof x->item_id); break;
	case F_CHANGEKEY: copy_small(x, x->change_key, sizeof x->change_key); break;
	case F_CODE: copy_small(x, x->code, sizeof x->code); break;
	case F_MESSAGE: copy_small(x, x->message, sizeof x->message); break;
	}
	x->state = S_AFTER;
	return 0;
}

/* A run of string bytes with no quote or backslash. */
static int
string_run(struct mbx_xparse *x, const char *p, size_t n)
{
	size_t room = x->small.max - 1 - x->small.len;    /* small.len < small.max */

	if (x->field == F_DATA)
		return mbx_b64dec_update(&x->dec, &x->data, p, n) < 0
			? fail(x, "\"data\" is not valid base64") : 0;
	/* longer ones are cut (kept for messages), at the same byte however the response
	 * was cut into chunks */
	if (x->field != F_NONE && room > 0)
		mbx_buf_append(&x->small, p, n < room ? n : room);
	return 0;
}

/* The character after a backslash; \uXXXX is kept as written (ids never hold one). */
static int
escape(struct mbx_xparse *x, char c)
{
	static const char from[] = "\"\\/bfnrtu", to[] = "\"\\/\b\f\n\r\tu";
	const char *k = strchr(from, c);
	char out;

	if (!c || !k)
		return fail(x, "bad escape in a JSON string");
	out = to[k - from];
	if (x->field == F_DATA && out != '/')
		return fail(x, "\"data\" is not valid base64");
	x->state = S_STRING;
	return string_run(x, &out, 1);
}

/* Inside a string: take the longest run up to a quote or backslash. */
static const char *
in_string(struct mbx_xparse *x, const char *p, const char *end)
{
	const char *q = memchr(p, '"', (size_t)(end - p));
	const char *b = memchr(p, '\\', (size_t)((q ? q : end) - p));
	const char *stop = b ? b : q ? q : end;

	if (string_run(x, p, (size_t)(stop - p)) < 0)
		return NULL;
	if (stop == end)
		return end;
	if (*stop == '\\')
		x->state = S_ESCAPE;
	else if (string_end(x) < 0)
		return NULL;
	return stop + 1;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
after_value(struct mbx_xparse *x, char c)
{
	if (x->depth == 0)
		return fail(x, "text after the JSON document");
	if (c == ',') {
		x->state = x->kind[x->depth] == '{' ? S_KEY : S_VALUE;
		if (x->state == S_KEY)
			x->key[x->depth][0] = '\0';
		return 0;
	}
	if (c == '}' || c == ']')
		return close_container(x, c);
	return fail(x, "expected ',' or a closing bracket");
}

static int
value_char(struct mbx_xparse *x, char c)
{
	if (c == '{' || c == '[')
		return open_container(x, c);
	if (c == ']' && x->depth > 0 && x->kind[x->depth] == '[')
		return close_container(x, c);            /* an empty array */
	if (c == '"')
		return string_start(x, 0);
	if (strchr("-0123456789tfn", c)) {
		x->state = S_LITERAL;
		return 0;
	}
	return fail(x, "expected a JSON value");
}

static int
one_char(struct mbx_xparse *x, char c)
{
	if (x->state == S_LITERAL) {
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.", c))
			return 0;
		x->state = S_AFTER;
	}
	if (x->state == S_ESCAPE)
		return escape(x, c);
	if (is_space(c))
		return 0;
	switch (x->state) {
	case S_VALUE:
		return value_char(x, c);
	case S_KEY:
		if (c == '}')
			return close_container(x, c);
		return c == '"' ? string_start(x, 1) : fail(x, "expected a member name");
	case S_COLON:
		if (c != ':')
			return fail(x, "expected ':'");
		x->state = S_VALUE;
		return 0;
	default:
		return after_value(x, c);
	}
}

int
mbx_xparse_feed(struct mbx_xparse *x, const char *p, size_t n)
{
	const char *end = p + n;

	if (*x->err)
		return -1;
	while (p < end) {
		if (x->state == S_STRING) {
			if (!(p = in_string(x, p, end)))
				return -1;
		} else if (one_char(x, *p++) < 0) {
			return -1;
		}
	}
	return 0;
}

int
mbx_xparse_finish(struct mbx_xparse *x)
{
	if (*x->err)
		return -1;
	if (x->state == S_LITERAL)
		x->state = S_AFTER;
	if (!x->done_top || x->depth != 0)
		return fail(x, "premature end of JSON");
	return 0;
}
