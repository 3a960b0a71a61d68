/* head.c: the header of a written message (MS-OXCMAIL 2.1.3.1, 2.1.3.2): the fields of
 * PidTagTransportMessageHeaders when the item has them, without those that describe the
 * MIME structure Exchange received (MIME-Version, Content-*, X-MS-TNEF-Correlator: the
 * body is written anew) and Exchange's internal X-MS-Exchange-Organization-*; then,
 * for what is missing, fields made from the properties; then X-Mbx-* forensic fields. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime-int.h"

/* PS_PUBLIC_STRINGS, PSETID_Appointment, PSETID_Task (GUID wire layout). */
static const unsigned char ps_public[16] = { 0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };
static const unsigned char ps_appt[16] = { 0x02, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };
static const unsigned char ps_task[16] = { 0x03, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 };

/* Whether the header block b already has field name. */
int
mime_head_has(const struct mbx_buf *b, const char *name)
{
	size_t k = strlen(name), i = 0;

	while (i < b->len) {
		if (b->len - i > k && strncasecmp(b->data + i, name, k) == 0 && b->data[i + k] == ':')
			return 1;
		const char *nl = memchr(b->data + i, '\n', b->len - i);
		if (!nl)
			break;
		i = (size_t)(nl - b->data) + 1;
	}
	return 0;
}

/* ------------------------------------------------------------- transport */

static int
dropped(const char *name, size_t k)
{
	return (k == 12 && strncasecmp(name, "MIME-Version", 12) == 0) ||
	       (k > 8 && strncasecmp(name, "Content-", 8) == 0) ||
	       (k == 20 && strncasecmp(name, "X-MS-TNEF-Correlator", 20) == 0) ||
	       (k > 28 && strncasecmp(name, "X-MS-Exchange-Organization-", 27) == 0);
}

/* Fields the properties give too: when the header's copy is not ASCII it is made again
 * (encoded) from the property, and the copy kept as X-Mbx-Transport-<name>. */
static int
remade(const char *name, size_t k)
{
	static const char *const f[] = { "From", "Sender", "To", "Cc", "Bcc", "Subject",
		"Date", "Message-ID", "In-Reply-To", "References", NULL };
	const char *const *p;

	for (p = f; *p; p++)
		if (strlen(*p) == k && strncasecmp(name, *p, k) == 0)
			return 1;
	return 0;
}

static int
field_name_ok(const char *p, size_t k)
{
	size_t i;

	if (k == 0 || k > 76)
		return 0;
	for (i = 0; i < k; i++)
		if ((unsigned char)p[i] <= 32 || (unsigned char)p[i] >= 127)
			return 0;
	return 1;
}

/* One unfolded field "Name: value" (its continuation lines joined by LF + blank). */
static void
keep_field(struct mbx_buf *b, const char *f, size_t n)
{
	const char *colon = memchr(f, ':', n);
	size_t k = colon ? (size_t)(colon - f) : 0, i;
	char *name, *val;
	int ascii = 1, longline = 0, col = 0;

	if (!colon || !field_name_ok(f, k) || dropped(f, k))
		return;
	for (i = 0; i < n; i++) {
		ascii &= (unsigned char)f[i] < 0x80;
		col = f[i] == '\n' ? 0 : col + 1;
		longline |= col > 998;
	}
	if (ascii && !longline) {
		mbx_buf_append(b, f, n);
		mbx_buf_putc(b, '\n');
		return;
	}
	/* one the properties give again: kept beside it, as X-Mbx-Transport-<name> */
	name = remade(f, k) ? mbx_xmalloc(k + 17) : mbx_strndup(f, k);
	if (remade(f, k))
		snprintf(name, k + 17, "X-Mbx-Transport-%.*s", (int)k, f);
	val = mbx_strndup(colon + 1, n - k - 1);
	for (i = 0; val[i]; i++)                    /* unfold (RFC 5322 2.2.3) */
		if (val[i] == '\n')
			val[i] = ' ';
	mime_hdr_text(b, name, val + strspn(val, " \t"));
	free(name);
	free(val);
}

/* The fields of PidTagTransportMessageHeaders: CRLF (or LF) line ends; a line starting
 * with a blank continues the field before it; the block ends at an empty line. */
static void
transport(struct mbx_buf *b, const struct fx_obj *o)
{
	char *h = mime_text(o, P_TRANSPORT_HEADERS), *p, *q;
	struct mbx_buf f;

	if (!h)
		return;
	mbx_buf_init(&f, 0);
	for (p = q = h; *p; p++)          /* CRLF and bare CR become LF */
		if (*p != '\r')
			*q++ = *p;
		else if (p[1] != '\n')
			*q++ = '\n';
	*q = '\0';
	for (p = h; *p;) {
		size_t k = strcspn(p, "\n");
		if (k == 0 && f.len == 0)
			break;
		if ((*p == ' ' || *p == '\t') && f.len) {
			mbx_buf_putc(&f, '\n');
			mbx_buf_append(&f, p, k);
		} else {
			if (f.len)
				keep_field(b, f.data, f.len);
			mbx_buf_reset(&f);
			if (k == 0)
				break;
			mbx_buf_append(&f, p, k);
		}
		p += k + (p[k] == '\n');
	}
	if (f.len)
		keep_field(b, f.data, f.len);
	mbx_buf_free(&f);
	free(h);
}

/* --------------------------------------------------------- from properties */

static void
add_text(struct mbx_buf *b, const char *name, char *v)
{
	if (v && *v && !mime_head_has(b, name))
		mime_hdr_text(b, name, v);
	free(v);
}

static void
add_who(struct mbx_buf *b, const char *name, struct mime_who *w)
{
	struct mime_addr a;

	if (w->addr && !mime_head_has(b, name)) {
		a.name = w->name;
		a.addr = w->addr;
		mime_hdr_addrs(b, name, &a, 1);
	}
}

/* From and Sender (2.1.3.1.3-4): Sender only when it is another address. */
static void
people(struct mbx_buf *b, const struct fx_obj *o, struct mime_result *r, int top)
{
	struct mime_who from = { 0 }, sender = { 0 };
	int hf = mime_who_msg(o, MIME_FROM, &from) == 0 && from.addr;
	int hs = mime_who_msg(o, MIME_SENDER, &sender) == 0 && sender.addr;

	if (hf)
		add_who(b, "From", &from);
	else if (hs)
		add_who(b, "From", &sender);
	if (hf && hs && strcasecmp(from.addr, sender.addr) != 0)
		add_who(b, "Sender", &sender);
	if (top) {
		const char *env = hs ? sender.addr : hf ? from.addr : NULL;
		snprintf(r->envelope, sizeof r->envelope, "%s",
			 env && !strstr(env, "@invalid") ? env : "MAILER-DAEMON");
	}
	mime_who_free(&from);
	mime_who_free(&sender);
}

/* To, Cc, Bcc from the recipients by type (2.1.3.1.1; Bcc kept: an archive is the
 * POP/IMAP case of 2.1.3.1.1.2); other types go to X-Mbx-Recipients-Other. */
static void
recipients(struct mbx_buf *b, const struct fx_obj *o)
{
	static const char *const names[] = { "X-Mbx-Recipients-Other", "To", "Cc", "Bcc" };
	struct mime_addr *a = mbx_xcalloc(o->nrecips + 1, sizeof *a);
	struct mime_who *w = mbx_xcalloc(o->nrecips + 1, sizeof *w);
	size_t i, n;
	int t;

	for (i = 0; i < o->nrecips; i++)
		mime_who_recip(o->recips[i], &w[i]);
	for (t = 1; t <= 4; t++) {
		for (n = 0, i = 0; i < o->nrecips; i++)
			if (w[i].addr && mime_recip_type(o->recips[i]) == t % 4) {
				a[n].name = w[i].name;
				a[n++].addr = w[i].addr;
			}
		if (n && !mime_head_has(b, names[t % 4]))
			mime_hdr_addrs(b, names[t % 4], a, n);
	}
	for (i = 0; i < o->nrecips; i++)
		mime_who_free(&w[i]);
	free(w);
	free(a);
}

/* Date (2.1.3.2.7): the submit time, else delivery, creation, modification time. */
static long long
date_of(const struct fx_obj *o, const struct mime_meta *m, int top)
{
	static const uint16_t ids[] = { P_SUBMIT_TIME, P_DELIVERY_TIME, P_CREATION_TIME,
		P_LAST_MODIFICATION_TIME };
	char iso[32];
	long long t;
	size_t i;

	for (i = 0; i < sizeof ids / sizeof ids[0]; i++)
		if (mime_time(o, ids[i], &t) == 0)
			return t;
	if (top && m->created && mbx_parse_time(m->created, iso, sizeof iso) == 0 &&
	    mime_iso_unix(iso, &t) == 0)
		return t;
	return 0;
}

static void
add_date(struct mbx_buf *b, const char *name, long long t)
{
	char d[64];

	if (t && !mime_head_has(b, name)) {
		mime_date(t, d, sizeof d);
		mbx_buf_printf(b, "%s: %s\n", name, d);
	}
}

/* Message-ID, In-Reply-To, References (RFC 5322 3.6.4): msg-ids, angle brackets added
 * where the property has none. A value that is no list of msg-ids is kept as it is in
 * X-Mbx-<name> instead (a header with a bad msg-id is a defect to every reader). */
static void
add_msgids(struct mbx_buf *b, const char *name, char *v, int many)
{
	struct mbx_buf ids;
	char *tok, *save = NULL, *copy, x[64];
	int ok = 1, n = 0;

	if (!v || !*v || mime_head_has(b, name)) {
		free(v);
		return;
	}
	mbx_buf_init(&ids, 0);
	copy = mbx_strdup(v);
	for (tok = strtok_r(copy, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		mbx_buf_printf(&ids, "%s%s%s%s", n++ ? " " : "", tok[0] == '<' ? "" : "<", tok,
			       tok[0] == '<' ? "" : ">");
		ok &= mime_msgid_ok(strrchr(ids.data, '<'));
	}
	free(copy);
	snprintf(x, sizeof x, "X-Mbx-%s", name);
	if (ok && n && (many || n == 1))
		mime_hdr_raw(b, name, ids.data);
	else
		mime_hdr_text(b, x, v);
	mbx_buf_free(&ids);
	free(v);
}

/* Subject: PidTagSubject, else prefix + normalized subject. */
static char *
subject_of(const struct fx_obj *o)
{
	char *s = mime_text(o, P_SUBJECT), *pre, *norm;
	struct mbx_buf b;

	if (s)
		return s;
	pre = mime_text(o, P_SUBJECT_PREFIX);
	norm = mime_text(o, P_NORMALIZED_SUBJECT);
	mbx_buf_init(&b, 0);
	mbx_buf_puts(&b, pre ? pre : "");
	mbx_buf_puts(&b, norm ? norm : "");
	free(pre);
	free(norm);
	return mbx_buf_steal(&b);
}

/* Categories (PS_PUBLIC_STRINGS Keywords) as Keywords (RFC 5322 3.6.5). */
static void
keywords(struct mbx_buf *b, const struct fx_obj *o)
{
	const struct fx_prop *k = fx_get_named(o, ps_public, 0, "Keywords");
	struct mbx_buf v;
	uint32_t i;
	char *t;

	if (!k || !k->count || mime_head_has(b, "Keywords"))
		return;
	mbx_buf_init(&v, 0);
	for (i = 0; i < k->count; i++)
		if ((t = fx_text_at(k, i, 0)) != NULL) {
			mbx_buf_printf(&v, "%s%s", v.len ? ", " : "", t);
			free(t);
		}
	if (v.len)
		mime_hdr_text(b, "Keywords", v.data);
	mbx_buf_free(&v);
}

/* Importance, Sensitivity (RFC 2156 5.3), Thread-Topic/Index as Exchange writes them. */
static void
marks(struct mbx_buf *b, const struct fx_obj *o)
{
	static const char *const sens[] = { NULL, "Personal", "Private", "Company-Confidential" };
	const struct fx_prop *ix = fx_get(o, P_CONV_INDEX);
	long long v;

	if (mime_int(o, P_IMPORTANCE, &v) == 0 && (v == 0 || v == 2) &&
	    !mime_head_has(b, "Importance"))
		mbx_buf_printf(b, "Importance: %s\n", v ? "high" : "low");
	if (mime_int(o, P_SENSITIVITY, &v) == 0 && v >= 1 && v <= 3 &&
	    !mime_head_has(b, "Sensitivity"))
		mbx_buf_printf(b, "Sensitivity: %s\n", sens[v]);
	add_text(b, "Thread-Topic", mime_text(o, P_CONV_TOPIC));
	if (ix && (ix->tag & 0xFFFF) == 0x0102 && ix->len && ix->len <= 512 &&
	    !mime_head_has(b, "Thread-Index")) {
		mbx_buf_puts(b, "Thread-Index: ");
		mbx_b64_encode(b, ix->val, ix->len);
		mbx_buf_putc(b, '\n');
	}
	keywords(b, o);
}

/* Calendar and task dates of other classes, as X-Mbx-* fields. */
static void
class_dates(struct mbx_buf *b, const struct fx_obj *o)
{
	static const struct { const unsigned char *set; uint32_t lid; const char *name; } d[] = {
		{ ps_appt, 0x820D, "X-Mbx-Start" }, { ps_appt, 0x820E, "X-Mbx-End" },
		{ ps_task, 0x8104, "X-Mbx-Start" }, { ps_task, 0x8105, "X-Mbx-Due" },
	};
	const struct fx_prop *p;
	long long ft;
	size_t i;
	char *loc;

	for (i = 0; i < sizeof d / sizeof d[0]; i++) {
		p = fx_get_named(o, d[i].set, d[i].lid, NULL);
		if (p && (p->tag & 0xFFFF) == 0x0040 && fx_int(p, &ft) == 0 && ft > 0)
			add_date(b, d[i].name, mime_filetime_unix((uint64_t)ft));
	}
	p = fx_get_named(o, ps_appt, 0x8208, NULL);
	if ((loc = fx_text(p, 0)) != NULL)
		add_text(b, "X-Mbx-Location", loc);
}

/* Maildir flags (in ASCII order): D unsent, F flagged (PidTagFlagStatus 2), P and R
 * from PidTagLastVerbExecuted (102/103 reply, 104 forward: MS-OXOMSG 2.2.1.40) or
 * PidTagIconIndex (0x105 replied, 0x106 forwarded), S read (mfRead). */
static void
flags(const struct fx_obj *o, struct mime_result *r)
{
	long long mf = 0, fs = 0, verb = 0, icon = 0;
	char *f = r->flags;

	mime_int(o, P_MESSAGE_FLAGS, &mf);
	mime_int(o, P_FLAG_STATUS, &fs);
	mime_int(o, P_LAST_VERB, &verb);
	mime_int(o, P_ICON_INDEX, &icon);
	if (mf & 8)
		*f++ = 'D';
	if (fs == 2)
		*f++ = 'F';
	if (verb == 104 || icon == 0x106)
		*f++ = 'P';
	if (verb == 102 || verb == 103 || icon == 0x105)
		*f++ = 'R';
	if (mf & 1)
		*f++ = 'S';
	*f = '\0';
}

/* The X-Mbx-* fields: where the item was (folder, id, mailbox) and when it arrived. */
static void
forensic(struct mbx_buf *b, const struct fx_obj *o, const struct mime_meta *m,
	 const char *cls, int top)
{
	long long t;

	if (top && m->folder_path)
		mime_hdr_text(b, "X-Mbx-Folder", m->folder_path);
	if (top && m->id)
		mime_hdr_raw(b, "X-Mbx-Item-Id", m->id);
	if (top && m->mailbox)
		mime_hdr_raw(b, "X-Mbx-Mailbox", m->mailbox);
	if (mime_time(o, P_DELIVERY_TIME, &t) == 0)
		add_date(b, "X-Mbx-Delivery-Time", t);
	mime_hdr_text(b, "X-Mbx-Class", cls);
}

/* mbox readers keep flags in Status (R read, O old) and X-Status (A answered,
 * F flagged, T draft), as mutt and mblaze's mdeliver read them. */
static void
status(struct mbx_buf *b, const struct mime_result *r)
{
	char x[4], *p = x;

	if (!mime_head_has(b, "Status"))
		mbx_buf_printf(b, "Status: %sO\n", strchr(r->flags, 'S') ? "R" : "");
	if (strchr(r->flags, 'R'))
		*p++ = 'A';
	if (strchr(r->flags, 'F'))
		*p++ = 'F';
	if (strchr(r->flags, 'D'))
		*p++ = 'T';
	*p = '\0';
	if (*x && !mime_head_has(b, "X-Status"))
		mbx_buf_printf(b, "X-Status: %s\n", x);
}

void
mime_head(struct mbx_buf *b, const struct fx_obj *o, const struct mime_meta *m,
	  const char *cls, struct mime_result *r, int top)
{
	long long date = date_of(o, m, top), t;

	transport(b, o);
	people(b, o, r, top);
	recipients(b, o);
	add_date(b, "Date", date);
	add_text(b, "Subject", subject_of(o));
	add_msgids(b, "Message-ID", mime_text(o, P_INTERNET_MESSAGE_ID), 0);
	add_msgids(b, "In-Reply-To", mime_text(o, P_IN_REPLY_TO), 0);
	add_msgids(b, "References", mime_text(o, P_INTERNET_REFERENCES), 1);
	marks(b, o);
	if (!r->mail)
		class_dates(b, o);
	forensic(b, o, m, cls, top);
	if (top) {
		r->date = date;
		r->delivered = mime_time(o, P_DELIVERY_TIME, &t) == 0 ? t : date;
		flags(o, r);
		if (m->mbox)
			status(b, r);
	}
	mbx_buf_puts(b, "MIME-Version: 1.0\n");
}

void
mime_describe(const struct fx_item *it, const struct mime_meta *m, struct mime_result *r)
{
	const struct fx_obj *o = &it->root;
	char *cls = mime_text(o, P_MESSAGE_CLASS);
	struct mbx_buf scratch;
	long long t;

	memset(r, 0, sizeof *r);
	snprintf(r->cls, sizeof r->cls, "%s", cls && *cls ? cls : "IPM.Note");
	r->mail = mime_mail_class(r->cls);
	free(cls);
	mbx_buf_init(&scratch, 0);
	people(&scratch, o, r, 1);
	mbx_buf_free(&scratch);
	r->date = date_of(o, m, 1);
	r->delivered = mime_time(o, P_DELIVERY_TIME, &t) == 0 ? t : r->date;
	flags(o, r);
}
