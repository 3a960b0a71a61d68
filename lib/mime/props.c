/* props.c: what the writer and the summary read from a message: text, integers and
 * times of properties, the people of MS-OXCMAIL 2.1.3.1 (From, Sender, recipients), and
 * dates. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime-int.h"

char *
mime_text(const struct fx_obj *o, uint16_t id)
{
	return fx_text(fx_get(o, id), 0);
}

int
mime_int(const struct fx_obj *o, uint16_t id, long long *v)
{
	const struct fx_prop *p = fx_get(o, id);

	*v = 0;
	if (!p || (p->tag & 0xFFFF) == 0x0040)
		return -1;
	return fx_int(p, v);
}

int
mime_time(const struct fx_obj *o, uint16_t id, long long *t)
{
	const struct fx_prop *p = fx_get(o, id);
	long long ft;

	*t = 0;
	if (!p || (p->tag & 0xFFFF) != 0x0040 || fx_int(p, &ft) < 0 || ft <= 0)
		return -1;
	*t = mime_filetime_unix((uint64_t)ft);
	return 0;
}

/* Days since 1970 to the civil date (H. Hinnant's algorithm): no libc time range gets
 * in the way of FILETIMEs far from now. */
void
mime_civil(long long t, long long *y, unsigned *m, unsigned *d, long long *sod)
{
	long long days = t / 86400, rem = t % 86400, z, era;
	unsigned doe, yoe, doy, mp;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
	*sod = rem;
}

int
mime_iso_unix(const char *iso, long long *t)
{
	long long y, mo, d, h, mi, s, era, yoe, doy;
	int n = 0;

	*t = 0;
	if (sscanf(iso, "%4lld-%2lld-%2lldT%2lld:%2lld:%2lldZ%n", &y, &mo, &d, &h, &mi, &s, &n)
	    != 6 || iso[n] || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	y -= mo <= 2;                 /* days from civil (H. Hinnant) */
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1;
	*t = (era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468) * 86400 +
	     h * 3600 + mi * 60 + s;
	return 0;
}

void
mime_iso(long long t, char *out, size_t n)
{
	long long y, sod;
	unsigned m, d;

	mime_civil(t, &y, &m, &d, &sod);
	snprintf(out, n, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", y, m, d, sod / 3600,
		 sod / 60 % 60, sod % 60);
}

/* name, SMTP address, email address, address type of a group (MS-OXCMAIL 2.6.4, 2.6.5). */
static void
who_from(const struct fx_obj *o, const uint16_t ids[4], struct mime_who *w)
{
	char *smtp = mime_text(o, ids[1]), *email = mime_text(o, ids[2]);
	char *type = mime_text(o, ids[3]);
	const char *a = smtp && *smtp ? smtp : email && *email ? email : NULL;

	w->name = mime_text(o, ids[0]);
	if (w->name && !*w->name) {
		free(w->name);
		w->name = NULL;
	}
	/* an SMTP address is SMTP whatever the group's type says */
	w->addr = a ? mime_addr_spec(a, smtp && *smtp ? "SMTP" : type) : NULL;
	free(smtp);
	free(email);
	free(type);
}

int
mime_who_msg(const struct fx_obj *o, int which, struct mime_who *w)
{
	static const uint16_t from[4] = { P_SENT_REP_NAME, P_SENT_REP_SMTP, P_SENT_REP_EMAIL,
		P_SENT_REP_ADDRTYPE };
	static const uint16_t sender[4] = { P_SENDER_NAME, P_SENDER_SMTP, P_SENDER_EMAIL,
		P_SENDER_ADDRTYPE };

	who_from(o, which == MIME_FROM ? from : sender, w);
	return w->name || w->addr ? 0 : -1;
}

int
mime_who_recip(const struct fx_obj *r, struct mime_who *w)
{
	static const uint16_t ids[4] = { P_DISPLAY_NAME, P_SMTP_ADDRESS, P_EMAIL_ADDRESS,
		P_ADDRTYPE };

	who_from(r, ids, w);
	return w->name || w->addr ? 0 : -1;
}

void
mime_who_free(struct mime_who *w)
{
	free(w->name);
	free(w->addr);
	w->name = w->addr = NULL;
}

char *
mime_who_str(const struct mime_who *w)
{
	struct mbx_buf b;

	mbx_buf_init(&b, 0);
	if (w->name && w->addr && strcasecmp(w->name, w->addr) != 0)
		mbx_buf_printf(&b, "%s <%s>", w->name, w->addr);
	else
		mbx_buf_puts(&b, w->addr ? w->addr : w->name ? w->name : "");
	return mbx_buf_steal(&b);
}

int
mime_recip_type(const struct fx_obj *r)
{
	long long t;

	if (mime_int(r, P_RECIPIENT_TYPE, &t) < 0)
		return 0;
	t &= 0xFF;
	return t >= 1 && t <= 3 ? (int)t : 0;
}
