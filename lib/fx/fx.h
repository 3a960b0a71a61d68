/* fx.h: the FastTransfer codec (lib/fx): the generator, the parser, property access and
 * the JSON report of docs/fasttransfer.md. Depends on the base layer only. */
#ifndef FX_H
#define FX_H

#include "base.h"
/* ----------------------------------------------------------------- fx.c */

/* FastTransfer streams (docs/fasttransfer.md). The generator builds the framed blob
 * (Config, IsInterfaceOk, TellPartnerVersion, TransferBuffers <= 31680 bytes). */
struct fx_recip {
	const char *name, *address;
	int type;                  /* 1 To, 2 Cc, 3 Bcc */
};
struct fx_attach {
	const char *name;          /* long file name */
	const char *mime;          /* may be NULL */
	const void *data;
	size_t len;
};
struct fx_msg {
	const char *message_class; /* "IPM.Note" */
	const char *subject;
	const char *body;          /* plain text, may be NULL */
	const char *sender_name, *sender_address;   /* may be NULL */
	int64_t delivery_time;     /* Unix seconds; 0 = omit */
	uint32_t flags;            /* PidTagMessageFlags; 0 = omit */
	const struct fx_recip *recips;
	size_t nrecips;
	const struct fx_attach *attachs;
	size_t nattachs;
	int minimal;               /* 1: only the properties given (golden sample layout) */
	const char *const *categories;   /* Keywords in PS_PUBLIC_STRINGS; may be NULL */
	size_t ncategories;

	/* A message converted from MIME (MS-OXCMAIL 2.2.3). Full layout only; every member
	 * is absent when zero, and a message without them is generated as before. */
	const char *from_name, *from_address;   /* SentRepresenting*; NULL: the sender */
	const void *html;          /* PidTagHtml bytes in the code page below (NativeBody 3) */
	size_t html_len;
	uint32_t codepage;         /* PidTagInternetCodepage; 0: 65001 */
	const char *headers;       /* PidTagTransportMessageHeaders (2.2.3.2.28) */
	const char *message_id;    /* PidTagInternetMessageId; NULL: made up, "": none */
	const char *in_reply_to, *references;
	const char *subject_prefix;     /* PidTagSubjectPrefix; NULL: from the subject, "": none */
	const char *topic;         /* PidTagConversationTopic; NULL: the normalized subject */
	const void *conv_index;    /* PidTagConversationIndex (Thread-Index) */
	size_t conv_index_len;
	int64_t submit_time;       /* PidTagClientSubmitTime, Unix seconds; 0: delivery_time */
	int importance;            /* FX_IMPORTANCE_*; 0: normal, as before */
	uint32_t sensitivity;      /* PidTagSensitivity; 0 (normal): not written */
	int write_flags;           /* 1: MessageFlags written even when 0 (unread): an absent
				    * value would leave the store's mfUnsent (MS-OXCMSG 2.2.1.6) */
	uint32_t flag_status;      /* PidTagFlagStatus (2: flagged); 0: not written */
	const struct fx_recip *reply_to;   /* PidTagReplyRecipientEntries / Names */
	size_t nreply_to;
	const struct fx_header *xheaders;  /* PS_INTERNET_HEADERS string properties */
	size_t nxheaders;
	const struct fx_attach_ext *attach_ext;   /* NULL, or one per attachment */
};
enum { FX_IMPORTANCE_LOW = 1, FX_IMPORTANCE_NORMAL, FX_IMPORTANCE_HIGH };
struct fx_header {
	const char *name, *value;
};
/* An attachment's bytes on demand, so that a large one is never held whole: it must call
 * put with exactly attachs[i].len bytes, in order, each time it is called (a blob may be
 * written twice: once to hash it, once to send it). 0, or -1 (put failed or no data). */
typedef int (*fx_put_fn)(void *ctx, const void *p, size_t n);
typedef int (*fx_data_fn)(void *ctx, fx_put_fn put, void *put_ctx);
/* An attachment with one of these is for import: it has no PidTagAttachSize, which the
 * store computes (MS-OXCMSG 2.2.2.5). */
struct fx_attach_ext {     /* more of attachs[i] (MS-OXCMAIL 2.2.3.4); absent when zero */
	fx_data_fn data;           /* the bytes by callback instead of attachs[i].data */
	void *data_ctx;
	const char *content_id;    /* PidTagAttachContentId, without <> */
	const char *content_location, *display_name;
	const char *charset;       /* PidTagTextAttachmentCharset of a text/ part */
	uint32_t flags;            /* PidTagAttachFlags: 4 = ATT_MHTML_REF */
	int hidden;                /* PidTagAttachmentHidden */
	const struct fx_msg *embedded;   /* method 5: StartEmbed, this message, EndEmbed */
};
/* Append the framed blob for m to out. 0, or -1 (buffer cap, or a data callback failed). */
int fx_generate(struct mbx_buf *out, const struct fx_msg *m);
/* The same blob laid out but not written: its size is known at once, and its bytes go
 * out through put, in pieces, as often as wanted (attachment data is read from the
 * callbacks each time). Memory: the properties, not the callbacks' data. max caps the
 * rest (0: 64 MiB). NULL when over it. */
struct fx_blob;
struct fx_blob *fx_layout(const struct fx_msg *m, size_t max);
size_t fx_blob_size(const struct fx_blob *b);
int fx_blob_write(const struct fx_blob *b, fx_put_fn put, void *ctx);   /* 0, or -1 */
void fx_blob_free(struct fx_blob *b);

/* The parser (fasttransfer.md 4-8, 11). Input: the decoded blob, framed (it starts with
 * the Config record) or a bare FastTransfer stream. Lenient about structure and unknown
 * tags (warnings); stops at truncation, an unknown type or a corrupt named property and
 * keeps everything read before. */
enum { FX_OK = 0, FX_TRUNCATED = 1, FX_CORRUPT = 2 };
enum { FX_MESSAGE, FX_RECIP, FX_ATTACH };
struct fx_prop {
	uint32_t tag;              /* as on the wire: strings usually have type 0x84B0 */
	size_t offset;             /* stream offset of the tag */
	const unsigned char *guid; /* named property (id >= 0x8000): 16-byte set, else NULL */
	int kind;                  /* named: 0 LID, 1 name */
	uint32_t lid;
	const unsigned char *name; /* kind 1: UTF-16LE, name_len bytes without the NUL */
	size_t name_len;
	const unsigned char *val;  /* the value: fixed bytes, the variable payload after its
				    * length, or a multi-valued one's values after the count */
	size_t len;
	uint32_t count;            /* multi-valued: number of values */
};
struct fx_obj {            /* a message, recipient or attachment */
	int kind;
	struct fx_prop *props;
	size_t nprops, capprops;
	struct fx_obj **recips, **attachs;     /* a message's lists */
	size_t nrecips, nattachs, caprecips, capattachs;
	struct fx_obj *embedded;              /* an attachment's StartEmbed message */
};
struct fx_item {
	int status;                /* FX_OK, FX_TRUNCATED or FX_CORRUPT */
	char error[256];           /* why it stopped, with the offset; "" when OK */
	int framed, has_version;
	unsigned char version[6];  /* TellPartnerVersion words */
	size_t *tbufs, ntbufs;     /* TransferBuffer payload sizes (bytes present) */
	size_t blob_bytes;
	struct mbx_buf stream;     /* the joined stream; every prop points into it */
	struct fx_obj root;
	unsigned long nprops, nnamed;     /* all property values (meta ones too), named ones */
	char **warnings;           /* the first 64 */
	size_t nwarnings;
	unsigned long nwarn_total;
};
/* Parse blob into it (it keeps its own copy). Returns it->status; free it in any case. */
int fx_parse(struct fx_item *it, const void *blob, size_t n);
/* The same, taking over blob's memory instead of copying it (blob is left empty): the
 * stream is joined in place. */
int fx_parse_take(struct fx_item *it, struct mbx_buf *blob);
void fx_item_free(struct fx_item *it);
/* "Does this parse without error", cheaply: no tree, no copy for a single TransferBuffer.
 * Returns FX_OK, or the failure status with err filled. */
int fx_check(const void *blob, size_t n, char *err, size_t errlen);
/* First tagged property with this id (any type), or a named one by set and LID (name
 * NULL) or name; NULL when absent. */
const struct fx_prop *fx_get(const struct fx_obj *o, uint16_t id);
const struct fx_prop *fx_get_named(const struct fx_obj *o,
					   const unsigned char guid[16], uint32_t lid,
					   const char *name);
/* A string value (or element i of a multi-valued one) as malloc'd UTF-8 of at most max
 * bytes (0 = all); NULL when it is not a string. */
char *fx_text(const struct fx_prop *p, size_t max);
char *fx_text_at(const struct fx_prop *p, uint32_t i, size_t max);
/* Integer16/32, ErrorCode, Boolean, Integer64, Time (raw FILETIME): 0, or -1. */
int fx_int(const struct fx_prop *p, long long *out);
/* What names msg's content in a copy of it: PidTagSearchKey, else its
 * PidTagInternetMessageId. 0 with id the Graph extended property id ("Binary 0x300B",
 * "String 0x1035") and *value (malloc'd; base64 for the binary one); -1 and *value NULL
 * when it has neither. */
int fx_content_key(const struct fx_obj *msg, char *id, size_t idn, char **value);
/* The JSON report of fasttransfer.md 11.5 as one object. 0, or -1 (w->err). */
int fx_report(struct mbx_jw *w, const struct fx_item *it);

#endif
