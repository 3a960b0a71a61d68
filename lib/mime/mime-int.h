/* mime-int.h: what the parts of lib/mime share: property ids (MS-OXPROPS, as in
 * docs/fasttransfer.md 8), people and times read from a message; private to lib/mime. */
#ifndef MIME_INT_H
#define MIME_INT_H

#include "mime.h"

/* Message properties. */
enum {
	P_IMPORTANCE = 0x0017, P_MESSAGE_CLASS = 0x001A, P_SENSITIVITY = 0x0036,
	P_SUBJECT = 0x0037, P_SUBMIT_TIME = 0x0039, P_SUBJECT_PREFIX = 0x003D,
	P_SENT_REP_NAME = 0x0042, P_SENT_REP_ADDRTYPE = 0x0064, P_SENT_REP_EMAIL = 0x0065,
	P_CONV_TOPIC = 0x0070, P_CONV_INDEX = 0x0071, P_TRANSPORT_HEADERS = 0x007D,
	P_SENDER_NAME = 0x0C1A, P_SENDER_ADDRTYPE = 0x0C1E, P_SENDER_EMAIL = 0x0C1F,
	P_DELIVERY_TIME = 0x0E06, P_MESSAGE_FLAGS = 0x0E07, P_NORMALIZED_SUBJECT = 0x0E1D,
	P_BODY = 0x1000, P_RTF_COMPRESSED = 0x1009, P_HTML = 0x1013, P_NATIVE_BODY = 0x1016,
	P_INTERNET_MESSAGE_ID = 0x1035, P_INTERNET_REFERENCES = 0x1039, P_IN_REPLY_TO = 0x1042,
	P_ICON_INDEX = 0x1080, P_LAST_VERB = 0x1081, P_FLAG_STATUS = 0x1090,
	P_CREATION_TIME = 0x3007, P_LAST_MODIFICATION_TIME = 0x3008,
	P_INTERNET_CODEPAGE = 0x3FDE, P_MESSAGE_CODEPAGE = 0x3FFD,
	P_SENDER_SMTP = 0x5D01, P_SENT_REP_SMTP = 0x5D02
};
/* Recipient properties. */
enum {
	P_RECIPIENT_TYPE = 0x0C15, P_DISPLAY_NAME = 0x3001, P_ADDRTYPE = 0x3002,
	P_EMAIL_ADDRESS = 0x3003, P_SMTP_ADDRESS = 0x39FE
};
/* Attachment properties. */
enum {
	P_ATTACH_NUMBER = 0x0E21, P_ATTACH_DATA = 0x3701, P_ATTACH_EXTENSION = 0x3703,
	P_ATTACH_FILENAME = 0x3704, P_ATTACH_METHOD = 0x3705, P_ATTACH_LONG_FILENAME = 0x3707,
	P_ATTACH_PATHNAME = 0x3708, P_ATTACH_LONG_PATHNAME = 0x370D, P_ATTACH_MIME_TAG = 0x370E,
	P_ATTACH_CONTENT_ID = 0x3712, P_ATTACH_CONTENT_LOCATION = 0x3713,
	P_ATTACH_FLAGS = 0x3714, P_TEXT_ATTACH_CHARSET = 0x371B, P_ATTACHMENT_HIDDEN = 0x7FFE
};

/* A person: display name and an addr-spec (valid, or an IMCEA form), both malloc'd
 * (NULL when absent). */
struct mime_who {
	char *name, *addr;
};
enum { MIME_FROM, MIME_SENDER };
/* From: PidTagSentRepresenting* (MS-OXCMAIL 2.1.3.1.3); Sender: PidTagSender*
 * (2.1.3.1.4). 0, or -1 when the message has neither name nor address. */
int mime_who_msg(const struct fx_obj *o, int which, struct mime_who *w);
int mime_who_recip(const struct fx_obj *r, struct mime_who *w);
void mime_who_free(struct mime_who *w);
/* "Name <addr>" (or addr, or name) for the summary; malloc'd. */
char *mime_who_str(const struct mime_who *w);
/* Recipient type 1 To, 2 Cc, 3 Bcc, else 0 (MS-OXCMAIL 2.1.3.1.1: low byte). */
int mime_recip_type(const struct fx_obj *r);

/* Property o.id as text (UTF-8, malloc'd) or NULL; as an integer (0 ok, -1); a PtypTime
 * as Unix seconds (0 ok, -1). */
char *mime_text(const struct fx_obj *o, uint16_t id);
int mime_int(const struct fx_obj *o, uint16_t id, long long *v);
int mime_time(const struct fx_obj *o, uint16_t id, long long *t);
/* Unix seconds as "YYYY-MM-DDTHH:MM:SSZ", and back (0, or -1 when it is not that). */
int mime_iso_unix(const char *iso, long long *t);
void mime_iso(long long t, char *out, size_t n);
/* The civil date of t: year, month 1-12, day, and seconds of the day. */
void mime_civil(long long t, long long *y, unsigned *m, unsigned *d, long long *sod);

/* charset.c: code point c as UTF-8 into o (4 bytes of room): its length; surrogates
 * and values past U+10FFFF become U+FFFD. */
size_t mime_utf8_enc(uint32_t c, unsigned char *o);
/* write.c: IPM.Note, IPM.Note.*, REPORT.* */
int mime_mail_class(const char *cls);
/* types.c: an attachment's Content-Type (malloc'd, lowercase). */
char *mime_attach_type(const struct fx_obj *a, const char *name);
/* head.c: the header block of a message at nesting level top (1: the item itself) into
 * b, up to and including MIME-Version; r gets the date, envelope and flags. */
void mime_head(struct mbx_buf *b, const struct fx_obj *o, const struct mime_meta *m,
	       const char *cls, struct mime_result *r, int top);
int mime_head_has(const struct mbx_buf *b, const char *name);

#endif
