/* fx-int.h: what the parts of the FastTransfer codec share (caps, markers, property
 * sets, byte order); private to lib/fx. Section numbers are docs/fasttransfer.md's. */
#ifndef FX_INT_H
#define FX_INT_H
#ifndef FX_INTERNAL
#error "fx-int.h is private to lib/fx: use fx.h"
#endif

#include "fx.h"

#define FX_MAX_TB 31680u            /* largest TransferBuffer Exchange writes (3.2) */
#define FX_MAX_EMBED 32             /* nesting cap for embedded messages (11.4) */
#define FX_MAX_NAME 1024            /* named-property name cap in bytes (6.5) */
#define FX_MAX_WARN 64              /* warnings kept in an item; the rest are counted */
#define FX_MAX_SCOPE (2 * FX_MAX_EMBED + 4)
#define FX_REPORT_DEPTH 6           /* embedded reports nested at most this deep (mbx_jw) */
#define FX_FT_UNIX 116444736000000000ULL   /* FILETIME of 1970-01-01 (11.5) */

/* Markers (5.1): no value, recognised by the whole 32-bit value. */
enum {
	MK_NEW_ATTACH = 0x40000003, MK_START_EMBED = 0x40010003, MK_END_EMBED = 0x40020003,
	MK_START_RECIP = 0x40030003, MK_END_RECIP = 0x40040003, MK_START_MESSAGE = 0x400C0003,
	MK_END_MESSAGE = 0x400D0003, MK_END_ATTACH = 0x400E0003, MK_START_FAI = 0x40100003
};
/* Meta-properties (5.2): they have values; matched by id, whatever the type. */
#define FX_FXDELPROP 0x40160003u
#define FX_IDSET_GIVEN 0x40170003u  /* typed Integer32, encoded as binary (5.2) */
#define FX_DEL_RECIPS 0x0E12000Du
#define FX_DEL_ATTACHS 0x0E13000Du

/* The names of markers and meta-properties (5.1, 5.2), NULL when unknown. */
const char *fx_marker_name(uint32_t tag);
const char *fx_meta_name(uint32_t tag);

/* Property sets (6.6), in GUID wire layout. */
extern const unsigned char fx_ps_common[16], fx_ps_public_strings[16],
	fx_ps_internet_headers[16];

/* Shared by the parts (gen.c, parse.c, prop.c, report.c). */
uint32_t fx_utf8_next(const unsigned char **sp);          /* one code point; advances */
int fx_fixed_size(unsigned type);                          /* bytes of a fixed type, or 0 */
int fx_is_var(unsigned type);                              /* length-prefixed value */
int fx_mv_type(unsigned type, int *fixed);                 /* multi-valued (6.4) */
unsigned fx_elem_type(unsigned t);                         /* element type of a MV type */
/* A string value of type as malloc'd UTF-8 of at most max bytes (0 = all). */
char *fx_text_of(unsigned type, const unsigned char *v, size_t len, size_t max);

/* Little-endian reads and writes. */
static inline uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static inline uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static inline void
wr32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

#endif
