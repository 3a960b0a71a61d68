/* map.c: a parsed MIME message as MAPI properties, by the reader rules of
 * MS-OXCMAIL 2.2.3: headers (MS-OXCMAIL 2.2.3.1, 2.2.3.2), the body (MS-OXCMAIL 2.2.3.3),
 * attachments and embedded messages (MS-OXCMAIL 2.2.3.4), for the FastTransfer
 * generator of lib/fx. Nothing the store computes is set (sizes, display lists, entry
 * ids). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime.h"

#define REFS_MAX ((size_t)64 << 10)     /* MS-OXCMAIL 2.2.3.2.5: References MAY be cut */
#define CONV_INDEX_MAX 1024

struct mctx {
	struct mime_mapi *out;
	const struct mime_msg *msg;
	char *err;
	size_t errlen;
	int failed;
};

/* ---------------------------------------------------------------- memory */

static void *
own(struct mctx *c, void *p)
{
	struct mime_mapi *o = c->out;

	if (!p)
		return NULL;
	if (o->nown == o->capown) {
		o->capown = o->capown ? 2 * o->capown : 32;
		o->own = mbx_xrealloc(o->own, o->capown * sizeof *o->own);
	}
	o->own[o->nown++] = p;
	return p;
}

static void *
own_calloc(struct mctx *c, size_t n, size_t size)
{
	return own(c, mbx_xcalloc(n ? n : 1, size));
}

void
mime_mapi_free(struct mime_mapi *out)
{
	size_t i;

	for (i = 0; i < out->nown; i++)
		free(out->own[i]);
	free(out->own);
	memset(out, 0, sizeof *out);
}

static void
fail(struct mctx *c, const char *why)
{
	if (!c->failed)
		mbx_strlcpy(c->err, why, c->errlen);
	c->failed = 1;
}

/* --------------------------------------------------------------- headers */

/* A field as it is (msg-ids, URLs), made valid UTF-8 (it goes into a string property). */
static char *
field(struct mctx *c, const struct mime_part *p, const char *name)
{
	return own(c, mime_utf8_own(mime_field(p, name), &c->out->defects));
}

static char *
words(struct mctx *c, const struct mime_part *p, const char *name)
{
	char *v = mime_field(p, name), *w = v ? mime_words(v, &c->out->defects) : NULL;

	free(v);
	return own(c, w);
}

static struct fx_recip *
recips_of(struct mctx *c, const struct mime_part *p, const char *name, int type,
	  struct fx_recip *r, size_t *n)
{
	struct mime_mbox *a;
	char *v;
	size_t k, i;
	size_t j = 0;

	while ((v = mime_field_at(p, name, &j)) != NULL) {   /* every such field */
		k = mime_addrs(v, &a, &c->out->defects);
		free(v);
		r = mbx_xrealloc(r, (*n + k + 1) * sizeof *r);
		for (i = 0; i < k; i++) {
			if (!a[i].addr) {          /* a recipient needs an address */
				free(a[i].name);
				continue;
			}
			r[*n].name = own(c, a[i].name);
			r[*n].address = own(c, a[i].addr);
			r[*n].type = type;
			++*n;
		}
		free(a);
	}
	return r;
}

/* From (SentRepresenting) and Sender: the first mailbox of each (2.2.3.1.3-4). */
static void
first_mbox(struct mctx *c, const struct mime_part *p, const char *name, const char **dn,
	   const char **addr)
{
	struct mime_mbox *a;
	char *v = mime_field(p, name);
	size_t n = v ? mime_addrs(v, &a, &c->out->defects) : 0, i;

	free(v);
	if (n == 0)
		return;
	*dn = own(c, a[0].name);
	*addr = own(c, a[0].addr);
	for (i = 1; i < n; i++) {
		free(a[i].name);
		free(a[i].addr);
	}
	free(a);
}

static void
addresses(struct mctx *c, const struct mime_part *p, struct fx_msg *m)
{
	static const struct { const char *name; int type; } lists[] = {
		{ "To", 1 }, { "Cc", 2 }, { "Bcc", 3 } };
	struct fx_recip *r = NULL, *rt = NULL;
	size_t n = 0, nrt = 0, i;

	first_mbox(c, p, "From", &m->from_name, &m->from_address);
	first_mbox(c, p, "Sender", &m->sender_name, &m->sender_address);
	for (i = 0; i < 3; i++)
		r = recips_of(c, p, lists[i].name, lists[i].type, r, &n);
	m->recips = own(c, r);
	m->nrecips = n;
	rt = recips_of(c, p, "Reply-To", 1, rt, &nrt);
	m->reply_to = own(c, rt);
	m->nreply_to = nrt;
}

/* The date after the last ';' of the first Received field (RFC 5321 4.4): when this
 * copy arrived; gromox reads it the same way. */
static long long
received_date(const struct mime_part *p)
{
	char *v = mime_field(p, "Received"), *semi = v ? strrchr(v, ';') : NULL;
	long long t = 0;

	if (semi && mime_date_parse(semi + 1, &t) < 0)
		t = 0;
	free(v);
	return t;
}

/* Importance (RFC 2156 5.3), else X-Priority (1-2 high, 4-5 low), X-MSMail-Priority,
 * Priority (RFC 2156 5.3: urgent, non-urgent): the fields MS-OXCMAIL 2.2.3.2 reads. */
static int
importance(const struct mime_part *p)
{
	static const char *const names[] = { "Importance", "X-Priority", "X-MSMail-Priority",
					     "Priority" };
	size_t i;
	int imp = 0;

	for (i = 0; i < 4 && !imp; i++) {
		char *v = mime_field(p, names[i]);
		if (!v)
			continue;
		if (strncasecmp(v, "high", 4) == 0 || strncasecmp(v, "urgent", 6) == 0 ||
		    (i == 1 && (v[0] == '1' || v[0] == '2')))
			imp = FX_IMPORTANCE_HIGH;
		else if (strncasecmp(v, "low", 3) == 0 || strncasecmp(v, "non-urgent", 10) == 0 ||
			 (i == 1 && (v[0] == '4' || v[0] == '5')))
			imp = FX_IMPORTANCE_LOW;
		else if (strncasecmp(v, "normal", 6) == 0 || (i == 1 && v[0] == '3'))
			imp = FX_IMPORTANCE_NORMAL;
		free(v);
	}
	return imp;
}

/* Sensitivity (RFC 2156 5.3): Personal 1, Private 2, Company-Confidential 3. */
static uint32_t
sensitivity(const struct mime_part *p)
{
	char *v = mime_field(p, "Sensitivity");
	uint32_t s = 0;

	if (v)
		s = strcasecmp(v, "personal") == 0 ? 1 : strcasecmp(v, "private") == 0 ? 2 :
		    strcasecmp(v, "company-confidential") == 0 ? 3 : 0;
	free(v);
	return s;
}

size_t
mime_subject_prefix(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, chars = 0;

	/* 1-3 characters, none a digit, a blank or a colon, then ":" and blanks */
	while (u[i] && chars < 4 && u[i] != ':') {
		if (isdigit(u[i]) || u[i] == ' ' || u[i] == '\t')
			return 0;
		i++;
		while ((u[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	if (chars == 0 || chars > 3 || u[i] != ':')
		return 0;
	for (i++; u[i] == ' ' || u[i] == '\t'; i++)
		;
	return i;
}

static void
subject(struct mctx *c, const struct mime_part *p, struct fx_msg *m)
{
	char *pre;
	size_t pl;

	m->subject = words(c, p, "Subject");
	if (!m->subject)
		return;
	pl = mime_subject_prefix(m->subject);
	pre = own_calloc(c, pl + 1, 1);
	memcpy(pre, m->subject, pl);
	m->subject_prefix = pre;
	m->topic = words(c, p, "Thread-Topic");
}

/* References: the msg-ids, one blank between them, at most 64 KiB of whole ids. */
static char *
references(struct mctx *c, const struct mime_part *p)
{
	char *v = mime_utf8_own(mime_field(p, "References"), &c->out->defects), *o, *s;
	size_t k = 0, last = 0;

	if (!v)
		return NULL;
	o = own_calloc(c, strlen(v) + 1, 1);
	for (s = v; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			if (k && o[k - 1] != ' ')
				last = k, o[k++] = ' ';
		} else {
			o[k++] = *s;
		}
		if (k >= REFS_MAX) {
			k = last;
			break;
		}
	}
	while (k && o[k - 1] == ' ')
		k--;
	o[k] = '\0';
	free(v);
	return *o ? o : NULL;
}

static void
thread_index(struct mctx *c, const struct mime_part *p, struct fx_msg *m)
{
	struct mbx_buf b;
	char *v = mime_field(p, "Thread-Index");

	mbx_buf_init(&b, CONV_INDEX_MAX);
	if (v && mbx_b64_decode(&b, v, strlen(v)) == 0 && b.len > 0) {
		m->conv_index_len = b.len;
		m->conv_index = own(c, mbx_buf_steal(&b));
	}
	mbx_buf_free(&b);
	free(v);
}

/* Headers that are the mbox's bookkeeping, not the message's (mutt, Thunderbird, mboxcl):
 * a stale Content-Length would mislead the next mbox reader. */
int
mime_bookkeeping_field(const char *name, size_t n)
{
	static const char *const drop[] = { "Status", "X-Status", "X-Keywords", "X-UID",
					    "Content-Length", "Lines", "X-Mozilla-Status",
					    "X-Mozilla-Status2", "X-Mozilla-Keys" };
	size_t i;

	if ((n > 26 && strncasecmp(name, "X-MS-Exchange-Organization-", 27) == 0) ||
	    (n > 20 && strncasecmp(name, "X-MS-Exchange-Forest-", 21) == 0))
		return 1;         /* MS-OXCMAIL 2.2.3.2.28: not copied */
	for (i = 0; i < sizeof drop / sizeof drop[0]; i++)
		if (strlen(drop[i]) == n && strncasecmp(name, drop[i], n) == 0)
			return 1;
	return 0;
}

/* PidTagTransportMessageHeaders (2.2.3.2.28): the top-level header block, each field
 * as written but with CRLF line ends, 8-bit bytes read as UTF-8 or windows-1252. */
static char *
header_block(struct mctx *c, const struct mime_part *p)
{
	struct mbx_buf raw, out;
	size_t i, j;

	mbx_buf_init(&raw, 0);
	for (i = 0; i < p->nf; i++) {
		const struct mime_field *f = &p->f[i];
		const char *s = p->hdr + f->name, *e = p->hdr + f->val + f->vlen;
		if (mime_bookkeeping_field(s, f->nlen))
			continue;
		for (; s < e; s++) {
			if (*s == '\r')
				continue;
			if (*s == '\n')
				mbx_buf_putc(&raw, '\r');
			mbx_buf_putc(&raw, *s);
		}
		mbx_buf_puts(&raw, "\r\n");
	}
	mbx_buf_init(&out, 0);
	j = mime_utf8_valid_len(raw.data ? raw.data : "", raw.len);
	if (j == raw.len)
		mbx_buf_append(&out, raw.data ? raw.data : "", raw.len);
	else
		mime_to_utf8(&out, "windows-1252", raw.data, raw.len, &c->out->defects);
	mbx_buf_free(&raw);
	return own(c, out.data ? mbx_buf_steal(&out) : mbx_strdup(""));
}

/* Internet headers kept as PS_INTERNET_HEADERS properties (gromox does the same for
 * these); Exchange names them in lower case. */
static void
xheaders(struct mctx *c, const struct mime_part *p, struct fx_msg *m)
{
	static const char *const names[] = { "x-mailer", "user-agent", "list-id",
					     "list-unsubscribe", "auto-submitted" };
	struct fx_header *h = own_calloc(c, 5, sizeof *h);
	size_t i, n = 0;

	for (i = 0; i < 5; i++) {
		char *v = words(c, p, names[i]);
		if (v) {
			h[n].name = names[i];
			h[n++].value = v;
		}
	}
	m->xheaders = h;
	m->nxheaders = n;
}

static void
headers(struct mctx *c, const struct mime_part *p, struct fx_msg *m, long long delivered)
{
	char *v;
	long long t;

	m->message_class = "IPM.Note";
	subject(c, p, m);
	addresses(c, p, m);
	v = mime_field(p, "Date");
	if (v && mime_date_parse(v, &t) == 0)
		m->submit_time = t;
	free(v);
	t = received_date(p);
	m->delivery_time = t ? t : delivered ? delivered : m->submit_time;
	v = mime_field(p, "Message-ID");
	m->message_id = own(c, mime_utf8_own(mime_msgid(v), &c->out->defects));
	free(v);
	if (!m->message_id)
		m->message_id = "";           /* none made up (fx.h) */
	m->in_reply_to = field(c, p, "In-Reply-To");
	m->references = references(c, p);
	m->importance = importance(p);
	m->sensitivity = sensitivity(p);
	thread_index(c, p, m);
	m->headers = header_block(c, p);
	xheaders(c, p, m);
	m->write_flags = 1;
	m->flags = 1;                          /* read, and never mfUnsent (MS-OXCMSG 2.2.1.6) */
}

/* ------------------------------------------------------------------ body */

struct bodysel {
	const struct mime_part *html, *plain;
};

static int
is_attachment(const struct mime_part *p)
{
	return strcmp(p->disp, "attachment") == 0;
}

static const struct mime_part *
related_root(const struct mime_part *p)
{
	const char *start = mime_param(p->params, p->nparams, "start");
	const struct mime_part *ch;

	for (ch = p->child; start && ch; ch = ch->next) {
		char *id = mime_field(ch, "Content-ID");
		int match = id && strcmp(id, start) == 0;
		free(id);
		if (match)
			return ch;
	}
	return p->child;
}

static int find_body(const struct mime_part *p, struct bodysel *b);

/* 2.2.3.3.2.1: of the alternatives, HTML before plain text; the plain one is kept too
 * (PidTagBody beside PidTagHtml), as gromox keeps both. */
static int
alternative(const struct mime_part *p, struct bodysel *b)
{
	const struct mime_part *ch;
	struct bodysel best = { 0 }, one;

	for (ch = p->child; ch; ch = ch->next) {
		memset(&one, 0, sizeof one);
		if (!find_body(ch, &one))
			continue;
		if (one.html && !best.html)
			best.html = one.html;
		if (one.plain && !one.html && !best.plain)
			best.plain = one.plain;
	}
	*b = best;
	return best.html || best.plain;
}

/* 2.2.3.3.2: the body is a text part, an alternative holding one, a related whose root
 * is one, or the first part of a mixed (or other multipart) when that is one; never a
 * part marked as an attachment. */
static int
find_body(const struct mime_part *p, struct bodysel *b)
{
	if (is_attachment(p))
		return 0;
	if (mime_is(p, "text/html")) {
		b->html = p;
		return 1;
	}
	if (mime_is(p, "text/plain") || mime_is(p, "text/enriched")) {
		b->plain = p;
		return 1;
	}
	if (mime_is(p, "multipart/alternative"))
		return alternative(p, b);
	if (mime_is(p, "multipart/related"))
		return related_root(p) && find_body(related_root(p), b);
	if (mime_is(p, "multipart/") && p->child)
		return find_body(p->child, b);
	return 0;
}

/* A text part as UTF-8: its charset, else (RFC 2045 5.2 says us-ascii) UTF-8 when it is
 * that, else windows-1252; NUL made U+FFFD so that a string property is not cut. */
static char *
text_of(struct mctx *c, const struct mime_part *p, size_t *len)
{
	struct mbx_buf raw, out;
	const char *cs = mime_param(p->params, p->nparams, "charset");
	size_t i;

	mbx_buf_init(&raw, MIME_BODY_MAX);
	mbx_buf_init(&out, 0);
	if (mime_body_buf(c->msg, p, &raw, &c->out->defects) < 0) {
		fail(c, raw.len >= MIME_BODY_MAX ? "a text body is larger than 32 MiB" :
		     "cannot read a text body");
	} else if (!cs && mime_utf8_valid_len(raw.data ? raw.data : "", raw.len) != raw.len) {
		mime_to_utf8(&out, "windows-1252", raw.data, raw.len, &c->out->defects);
	} else {
		mime_to_utf8(&out, cs ? cs : "utf-8", raw.data ? raw.data : "", raw.len,
			     &c->out->defects);
	}
	mbx_buf_free(&raw);
	if (out.len && memchr(out.data, '\0', out.len)) {
		struct mbx_buf t;
		mbx_buf_init(&t, 0);
		for (i = 0; i < out.len; i++) {
			if (out.data[i])
				mbx_buf_putc(&t, out.data[i]);
			else
				mbx_buf_puts(&t, "\xEF\xBF\xBD");
		}
		c->out->defects |= MIME_D_NUL;
		mbx_buf_free(&out);
		out = t;
	}
	*len = out.len;
	return own(c, out.data ? mbx_buf_steal(&out) : mbx_strdup(""));
}

/* PidTagBody with CRLF line ends, as MAPI bodies have them. */
static char *
crlf(struct mctx *c, const char *s)
{
	struct mbx_buf b;

	mbx_buf_init(&b, 0);
	for (; *s; s++) {
		if (*s == '\r' && s[1] == '\n')
			continue;
		if (*s == '\n' || *s == '\r')
			mbx_buf_putc(&b, '\r'), mbx_buf_putc(&b, '\n');
		else
			mbx_buf_putc(&b, *s);
	}
	return own(c, b.data ? mbx_buf_steal(&b) : mbx_strdup(""));
}

static void
body(struct mctx *c, const struct bodysel *b, struct fx_msg *m)
{
	size_t n;
	char *t;

	if (b->plain)
		m->body = crlf(c, text_of(c, b->plain, &n));
	if (b->html) {
		struct mbx_buf fixed;
		t = text_of(c, b->html, &n);
		mbx_buf_init(&fixed, 0);
		mime_html_utf8_meta(&fixed, t, n);   /* the bytes are UTF-8 now: say so */
		m->html_len = fixed.len;
		m->html = own(c, fixed.data ? mbx_buf_steal(&fixed) : mbx_strdup(""));
		m->codepage = 65001;
	}
}

/* ----------------------------------------------------------- attachments */

struct lazy {              /* an attachment's data, decoded from the source when asked */
	const struct mime_msg *msg;
	const struct mime_part *p;
};

static int
lazy_data(void *ctx, fx_put_fn put, void *pctx)
{
	const struct lazy *z = ctx;
	unsigned d = 0;

	return mime_body_read(z->msg, z->p, put, pctx, &d);
}

struct alist {
	struct fx_attach *a;
	struct fx_attach_ext *x;
	size_t n, cap;
};

static void map_message(struct mctx *c, const struct mime_part *mp, struct fx_msg *m,
			long long delivered);

static char *
content_id(struct mctx *c, const struct mime_part *p)
{
	char *v = mime_field(p, "Content-ID"), *s;
	size_t n;

	if (!v)
		return NULL;
	for (s = v; *s == '<' || *s == ' '; s++)
		;
	n = strcspn(s, ">");
	memmove(v, s, n);
	v[n] = '\0';
	if (!*v) {
		free(v);
		return NULL;
	}
	return own(c, v);
}

/* The data: held when small, else a callback that decodes it again each time. */
static void
attach_data(struct mctx *c, const struct mime_part *p, struct fx_attach *a,
	    struct fx_attach_ext *x)
{
	struct mbx_buf b;
	struct lazy *z;

	if (p->end - p->body <= MIME_HOLD_MAX) {
		mbx_buf_init(&b, 4 * MIME_HOLD_MAX);
		if (mime_body_buf(c->msg, p, &b, &c->out->defects) < 0)
			fail(c, "cannot read an attachment");
		a->len = b.len;
		a->data = own(c, b.data);
		return;
	}
	if (mime_body_len(c->msg, p, &a->len, &c->out->defects) < 0)
		fail(c, "cannot read an attachment");
	z = own_calloc(c, 1, sizeof *z);
	z->msg = c->msg;
	z->p = p;
	x->data = lazy_data;
	x->data_ctx = z;
}

static int
in_related(const struct mime_part *p)
{
	return p->parent && mime_is(p->parent, "multipart/related") && related_root(p->parent) != p;
}

static void
add_attach(struct mctx *c, struct alist *l, const struct mime_part *p, const struct fx_msg *m)
{
	struct fx_attach *a;
	struct fx_attach_ext *x;
	const char *name = mime_param(p->dparams, p->ndparams, "filename");

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 4;
		l->a = mbx_xrealloc(l->a, l->cap * sizeof *l->a);
		l->x = mbx_xrealloc(l->x, l->cap * sizeof *l->x);
	}
	a = memset(&l->a[l->n], 0, sizeof *a);
	x = memset(&l->x[l->n++], 0, sizeof *x);
	a->name = own(c, mbx_strdup(name ? name : mime_param(p->params, p->nparams, "name")));
	a->mime = p->type;
	x->content_id = content_id(c, p);
	x->content_location = field(c, p, "Content-Location");
	if (mime_is(p, "text/"))
		x->charset = mime_param(p->params, p->nparams, "charset");
	if ((x->content_id || x->content_location) &&
	    (in_related(p) || (m->html && mime_html_refers(m->html, m->html_len,
							   x->content_id, x->content_location))))
		x->flags = 4;                  /* ATT_MHTML_REF: shown in the HTML */
	x->hidden = x->flags && m->html && mime_html_refers(m->html, m->html_len, x->content_id,
							    x->content_location);
	c->out->nattach++;
	if ((mime_is(p, "message/rfc822") || mime_is(p, "message/global")) && p->child) {
		struct fx_msg *e = own_calloc(c, 1, sizeof *e);
		map_message(c, p->child, e, 0);
		x->embedded = e;
		x->display_name = a->name ? a->name : e->subject;
		return;
	}
	x->display_name = a->name;
	attach_data(c, p, a, x);
}

/* Every part that is not the body, in order: leaves and embedded messages; multiparts
 * that are not the body give their parts. */
static void
collect(struct mctx *c, struct alist *l, const struct mime_part *p, const struct bodysel *b,
	const struct fx_msg *m)
{
	const struct mime_part *ch;

	if (c->failed || p == b->html || p == b->plain)
		return;
	if (mime_is(p, "multipart/")) {
		for (ch = p->child; ch; ch = ch->next)
			collect(c, l, ch, b, m);
		return;
	}
	add_attach(c, l, p, m);
}

static void
map_message(struct mctx *c, const struct mime_part *mp, struct fx_msg *m, long long delivered)
{
	struct bodysel b = { 0 };
	struct alist l = { 0 };

	headers(c, mp, m, delivered);
	find_body(mp, &b);
	body(c, &b, m);
	collect(c, &l, mp, &b, m);
	m->attachs = own(c, l.a);
	m->attach_ext = own(c, l.x);
	m->nattachs = l.n;
}

int
mime_to_mapi(struct mime_mapi *out, const struct mime_msg *msg, const struct mime_env *env,
	     char *err, size_t errlen)
{
	struct mctx c = { out, msg, err, errlen, 0 };
	struct fx_msg *m = &out->m;

	memset(out, 0, sizeof *out);
	if (errlen)
		err[0] = '\0';
	out->defects = msg->defects;
	map_message(&c, msg->root, m, env ? env->delivered : 0);
	out->date = m->submit_time;
	out->subject = m->subject;
	out->from = m->from_address ? m->from_address : m->sender_address;
	out->message_id = *m->message_id ? m->message_id : NULL;
	if (env) {
		m->flags = env->unread ? 0 : 1;
		m->flag_status = env->flagged ? 2 : 0;
		m->categories = env->categories;
		m->ncategories = env->ncategories;
	}
	return c.failed ? -1 : 0;
}
