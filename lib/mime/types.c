/* types.c: the Content-Type of an attachment (MS-OXCMAIL 2.1.3.4.1.1): its
 * PidTagAttachMimeTag when that is a type/subtype an attachment can have, else by the
 * file name's extension, else application/octet-stream. multipart types, message/rfc822 (a
 * by-value attachment is bytes, not a message), application/applefile and BinHex
 * become application/octet-stream as the spec says. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime-int.h"

static const struct { const char *ext, *type; } by_ext[] = {
	{ "txt", "text/plain" }, { "log", "text/plain" }, { "csv", "text/csv" },
	{ "htm", "text/html" }, { "html", "text/html" }, { "xml", "application/xml" },
	{ "json", "application/json" }, { "ics", "text/calendar" }, { "vcf", "text/vcard" },
	{ "rtf", "application/rtf" }, { "pdf", "application/pdf" },
	{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "bmp", "image/bmp" }, { "tif", "image/tiff" },
	{ "tiff", "image/tiff" }, { "svg", "image/svg+xml" }, { "webp", "image/webp" },
	{ "emz", "application/octet-stream" }, { "wmz", "application/octet-stream" },
	{ "zip", "application/zip" }, { "gz", "application/gzip" },
	{ "7z", "application/x-7z-compressed" }, { "mp3", "audio/mpeg" },
	{ "wav", "audio/wav" }, { "mp4", "video/mp4" }, { "mov", "video/quicktime" },
	{ "doc", "application/msword" }, { "dot", "application/msword" },
	{ "xls", "application/vnd.ms-excel" }, { "ppt", "application/vnd.ms-powerpoint" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "msg", "application/vnd.ms-outlook" }, { "eml", "application/octet-stream" },
};

/* type "/" subtype, both RFC 2045 tokens. */
static int
valid_type(const char *t)
{
	const char *slash = strchr(t, '/'), *p;

	if (!slash || slash == t || !slash[1])
		return 0;
	for (p = t; *p; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127 ||
		    (p != slash && strchr("()<>@,;:\\\"/[]?=", *p)))
			return 0;
	return 1;
}

static int
demoted(const char *t)
{
	return strncasecmp(t, "multipart/", 10) == 0 || strcasecmp(t, "message/rfc822") == 0 ||
	       strcasecmp(t, "application/applefile") == 0 ||
	       strcasecmp(t, "application/mac-binhex40") == 0;
}

char *
mime_attach_type(const struct fx_obj *a, const char *name)
{
	char *t = mime_text(a, P_ATTACH_MIME_TAG), *p;
	const char *dot = name ? strrchr(name, '.') : NULL;
	size_t i;

	if (t) {
		for (p = t; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p | 0x20 : *p);
		if (valid_type(t) && !demoted(t))
			return t;
		if (valid_type(t))
			dot = NULL;       /* demoted: not again by its extension */
		free(t);
	}
	for (i = 0; dot && i < sizeof by_ext / sizeof by_ext[0]; i++)
		if (strcasecmp(dot + 1, by_ext[i].ext) == 0)
			return mbx_strdup(by_ext[i].type);
	return mbx_strdup("application/octet-stream");
}
