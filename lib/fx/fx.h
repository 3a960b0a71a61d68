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
};
/* Append the framed blob for m to out. 0, or -1 (buffer cap). */
int fx_generate(struct mbx_buf *out, const struct fx_msg *m);

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
/* The JSON report of fasttransfer.md 11.5 as one object. 0, or -1 (w->err). */
int fx_report(struct mbx_jw *w, const struct fx_item *it);

#endif
