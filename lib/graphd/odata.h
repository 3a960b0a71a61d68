/* odata.h: OData query options of the emulator (odata.c). */
#ifndef GRAPHD_ODATA_H
#define GRAPHD_ODATA_H
#include "graphd.h"

/* 0 when every query option is one of allowed (names without '$'); else -1, bad named. */
int gd_odata_check(const struct gd_req *r, const char *const *allowed, char *bad, size_t n);
const char *gd_odata(const struct gd_req *r, const char *name);
int gd_odata_paging(const struct gd_req *r, int deflt, long *top, long *skip);
int gd_odata_selected(const struct gd_req *r, const char *prop);
void gd_odata_next(const struct gd_req *r, long next_skip, struct mbx_buf *out);
/* This URL with every query option but drop, each followed by '&': a link's start. */
void gd_odata_link(const struct gd_req *r, const char *drop, struct mbx_buf *out);
/* A property's value for $filter: 0 string (*s), 1 number (*num), -1 no such property. */
typedef int (*gd_prop_fn)(void *ctx, const char *name, const char **s, long long *num);
int gd_filter_match(const char *filter, gd_prop_fn get, void *ctx, char *err, size_t n);
#endif
