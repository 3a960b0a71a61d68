/* common.c: the FastTransfer codec's tables of markers, meta-properties and property
 * sets (docs/fasttransfer.md 5.1, 5.2, 6.6). */
#include <stddef.h>
#include "fx-int.h"

static const struct {
	uint32_t tag;
	const char *name;
} fx_markers[] = {
	{ 0x40090003, "StartTopFld" }, { 0x400A0003, "StartSubFld" },
	{ 0x400B0003, "EndFolder" }, { 0x400C0003, "StartMessage" },
	{ 0x40100003, "StartFAIMsg" }, { 0x400D0003, "EndMessage" },
	{ 0x40030003, "StartRecip" }, { 0x40040003, "EndToRecip" },
	{ 0x40000003, "NewAttach" }, { 0x400E0003, "EndAttach" },
	{ 0x40010003, "StartEmbed" }, { 0x40020003, "EndEmbed" },
	{ 0x40120003, "IncrSyncChg" }, { 0x407D0003, "IncrSyncChgPartial" },
	{ 0x40130003, "IncrSyncDel" }, { 0x40140003, "IncrSyncEnd" },
	{ 0x402F0003, "IncrSyncRead" }, { 0x403A0003, "IncrSyncStateBegin" },
	{ 0x403B0003, "IncrSyncStateEnd" }, { 0x4074000B, "IncrSyncProgressMode" },
	{ 0x4075000B, "IncrSyncProgressPerMsg" }, { 0x40150003, "IncrSyncMessage" },
	{ 0x407B0102, "IncrSyncGroupInfo" }, { 0x40180003, "FXErrorInfo" },
};

static const struct {
	uint16_t id;
	const char *name;
} fx_metas[] = {
	{ 0x4008, "MetaTagDnPrefix" }, { 0x400F, "MetaTagEcWarning" },
	{ 0x4011, "MetaTagNewFXFolder" }, { 0x4016, "MetaTagFXDelProp" },
	{ 0x4017, "MetaTagIdsetGiven" }, { 0x407A, "MetaTagIncrementalSyncMessagePartial" },
	{ 0x407C, "MetaTagIncrSyncGroupId" },
};

const unsigned char fx_ps_common[16] = {
	0x08, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
const unsigned char fx_ps_public_strings[16] = {
	0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
const unsigned char fx_ps_internet_headers[16] = {
	0x86, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };

const char *
fx_marker_name(uint32_t tag)
{
	size_t i;

	for (i = 0; i < sizeof fx_markers / sizeof fx_markers[0]; i++)
		if (fx_markers[i].tag == tag)
			return fx_markers[i].name;
	return NULL;
}

const char *
fx_meta_name(uint32_t tag)
{
	size_t i;

	for (i = 0; i < sizeof fx_metas / sizeof fx_metas[0]; i++)
		if (fx_metas[i].id == tag >> 16)
			return fx_metas[i].name;
	return NULL;
}
