#!/usr/bin/env bats
# lib/fx: the FastTransfer generator and parser (docs/fasttransfer.md), through
# mbx-testtool fx-gen / fx-parse; the real samples of section 13 when $MBX_SAMPLES is there.

load helpers

FX=$MBX_SAMPLES/fasttransfer
# sha256 of the base64 blob printed in fasttransfer.md section 10 (the golden file).
GOLDEN_SHA256=52c13f534b706d8f9b2e4528dbe5082d657bb4c673d7611592017783220acb3a
# The 62 header bytes every framed blob starts with (section 3).
HDR="01000000080000000000000001000000 0300000018000000010000000703020000000000C000000000000046
	00240080 0400000006000000140FD6918617"

setup() {
	cd "$BATS_TEST_TMPDIR"
	cat >hi.json <<-'EOF'
	{"minimal": true, "messageClass": "IPM.Note", "subject": "Hi",
	 "delivery": "2024-01-02T03:04:05Z", "flags": 1, "body": "Hello",
	 "recipients": [{"name": "Bob", "address": "bob@example.com", "type": "to"}],
	 "attachments": [{"name": "a.txt", "data": "abc"}]}
	EOF
}

# bin HEX...: the bytes (spaces and newlines in HEX are ignored).
bin() {
	local h
	h=$(tr -d ' \t\n' <<<"$*")
	printf "$(sed 's/../\\x&/g' <<<"$h")"
}

le32() {
	printf '%02x%02x%02x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) \
		$(($1 >> 24 & 255))
}

# framed HEX...: the stream in one TransferBuffer behind the standard header.
framed() {
	local h
	h=$(tr -d ' \t\n' <<<"$*")
	bin "$HDR 02000000 $(le32 $((${#h} / 2))) $h"
}

# Stream pieces (sections 5, 10).
SUBJ_HI="B0843700 06000000 480069000000"
DEL_R="03001640 0D00120E"
DEL_A="03001640 0D00130E"
ATTACH0="03000040 0300210E00000000"
EMBED="03000537 05000000 03000140"
GUID_COMMON="08200600000000 00C000000000000046"

parse() {
	run --separate-stderr mbx-testtool fx-parse "$@"
}

jqr() {
	jq -c "$1" <<<"$output"
}

@test "fx-gen reproduces the worked example of fasttransfer.md 10 (sha256 of its base64)" {
	mbx-testtool fx-gen hi.json >hi.bin
	run sha256sum hi.bin
	assert_output "$GOLDEN_SHA256  hi.bin"
	assert_equal "$(stat -c %s hi.bin)" 319
}

@test "fx-gen output is byte for byte the constructed sample" {
	[ -d "$FX" ] || skip "no samples in $FX"
	run --separate-stderr mbx-testtool fx-gen hi.json
	assert_success
	assert_equal "$stderr" ""
	mbx-testtool fx-gen hi.json | cmp - "$FX/constructed-hi-1rcpt-1attach.bin"
}

@test "the worked example parses back to what it was made from" {
	mbx-testtool fx-gen hi.json >hi.bin
	parse hi.bin
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr .framing)" '{"framed":true,"serverVersion":"15.20.4566.6022","transferBuffers":[249],"blobBytes":319,"streamBytes":249}'
	assert_equal "$(jqr '[.messageClass, .subject, .deliveryTime, .messageFlags, .displayTo]')" \
		'["IPM.Note","Hi","2024-01-02T03:04:05Z",1,"Bob"]'
	assert_equal "$(jqr '.recipients')" '[{"rowid":0,"type":"to","displayName":"Bob","address":"bob@example.com","addressType":"SMTP","properties":[]}]'
	assert_equal "$(jqr '.attachments[0] | [.number, .method, .name, .dataBytes, .embedded]')" '[0,1,"a.txt",3,null]'
	assert_equal "$(jqr '[.propertyCount, .namedPropertyCount, .warnings, .truncated, .error]')" '[16,0,[],false,null]'
	assert_equal "$(jqr '[.properties[] | [.tag, .value]]')" \
		'[["0x1000001F","Hello"],["0x40160003","0x0E12000D"],["0x40160003","0x0E13000D"]]'
}

@test "sample: Exchange 2013 lab export, one TransferBuffer, 143 values, 16 named" {
	[ -d "$FX" ] || skip "no samples in $FX"
	parse "$FX/ews-export-lab-simple-noattach.bin"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr '[.framing.framed, .framing.serverVersion, .framing.transferBuffers]')" '[true,"15.0.913.6020",[12837]]'
	assert_equal "$(jqr '[.messageClass, .subject, .propertyCount, .namedPropertyCount]')" '["IPM.Note","simple",143,16]'
	assert_equal "$(jqr '[(.recipients | length), (.attachments | length), .sizes.bodyHtmlBytes]')" '[1,0,1767]'
	# 110 values at message level: the listed ones plus the ones shown in fields
	assert_equal "$(jqr '.recipients[0] | [.displayName, .type, (.properties | length)]')" '["multi Lang","to",28]'
	assert_equal "$(jqr '[.warnings, .truncated, .error]')" '[[],false,null]'
}

@test "sample: a bare stream without framing parses (145 values, 17 named)" {
	[ -d "$FX" ] || skip "no samples in $FX"
	parse "$FX/ews-export-lab-forward.ftstream.bin"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr '[.framing.framed, .framing.serverVersion, .framing.streamBytes]')" '[false,null,15263]'
	assert_equal "$(jqr '[.subject, .normalizedSubject, .propertyCount, .namedPropertyCount]')" '["FW: Forward test ","Forward test ",145,17]'
	assert_equal "$(jqr '[(.recipients | length), (.attachments | length), .recipients[0].displayName]')" '[1,0,"EWS Test"]'
}

@test "sample: Exchange Online, 10 TransferBuffers split inside values, 13 attachments" {
	[ -d "$FX" ] || skip "no samples in $FX"
	parse "$FX/ews-export-exo-2rcpt-13attach.sanitized.bin"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr '.framing.transferBuffers')" '[31680,31680,31680,31680,16887,31680,31680,31680,31680,8167]'
	assert_equal "$(jqr '[(.recipients | length), (.attachments | length), [.attachments[].number] == [range(13)]]')" '[2,13,true]'
	assert_equal "$(jqr '.attachments[0] | [.name, .mimeTag, .inline, .attachSize, .dataBytes]')" '["image026.png","image/png",true,72131,71881]'
	assert_equal "$(jqr '[.propertyCount, .namedPropertyCount, .warnings, .error]')" '[396,29,[],null]'
}

@test "sample: Exchange Online, 11 recipients, a 0x94B0 multi-valued string, Int64/Double/GUID named" {
	[ -d "$FX" ] || skip "no samples in $FX"
	parse "$FX/ews-export-exo-11rcpt.sanitized.bin"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr '[.framing.transferBuffers, [.recipients[].rowid]]')" '[[31680,13608],[0,1,2,3,4,5,6,7,8,9,10]]'
	assert_equal "$(jqr '[.properties[] | select(.codepage == 1200 and .count) | [.tag, .type, .count]]')" \
		'[["{00062008-0000-0000-C000-000000000046}:EntityNames","PtypMultipleString",1]]'
	assert_equal "$(jqr '[.properties[] | select(.tag | startswith("{")) | .type] | [index("PtypInteger64") != null, index("PtypFloating64") != null, index("PtypGuid") != null]')" '[true,true,true]'
	assert_equal "$(jqr '[.propertyCount, .namedPropertyCount, .error]')" '[402,28,null]'
}

@test "sample: Graph doc prefix, cut in the base64 and in MessageClass" {
	[ -d "$FX" ] || skip "no samples in $FX"
	parse --base64 "$FX/graph-import-doc-prefix.truncated.b64"
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: '$FX/graph-import-doc-prefix.truncated.b64': truncated at stream offset 16 while reading value of 0x001A84B0 (need 18 bytes, have 7)"
	assert_equal "$(jqr '[.framing.blobBytes, .framing.transferBuffers, .framing.serverVersion, .importance, .truncated]')" '[93,[23],"15.20.4566.6022",1,true]'
	assert_equal "$(jqr .warnings)" '["truncated at blob offset 70 while reading TransferBuffer record (need 31680 bytes, have 23)"]'
}

@test "sample: Exchange 2010 doc prefix, MetaTagDnPrefix as 0x400884E4, 3 stray bytes" {
	[ -d "$FX" ] || skip "no samples in $FX"
	parse --base64 "$FX/ews-uploaditems-doc-ex2010sp1-prefix.truncated.b64"
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: '$FX/ews-uploaditems-doc-ex2010sp1-prefix.truncated.b64': truncated at stream offset 169 while reading tag (need 4 bytes, have 3)"
	assert_equal "$(jqr '.properties[0] | [.tag, .name, .codepage, .value]')" \
		'["0x4008001E","MetaTagDnPrefix",1252,"/O=FIRST ORGANIZATION/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN="]'
	assert_equal "$(jqr '[.framing.serverVersion, .messageClass, .importance, .propertyCount, .truncated]')" '["14.1.164.0","IPM.Note",1,8,true]'
}

@test "the cheap check agrees: ok for every sample, the error for a truncated one" {
	[ -d "$FX" ] || skip "no samples in $FX"
	for f in "$FX"/*.bin; do
		run --separate-stderr mbx-testtool fx-parse --check "$f"
		assert_success
		assert_output ok
		assert_equal "$stderr" ""
	done
	run --separate-stderr mbx-testtool fx-parse --check --base64 "$FX/ews-uploaditems-doc-ex2010sp1-prefix.truncated.b64"
	assert_equal "$status" 5
	assert_output ""
	assert_regex "$stderr" 'truncated at stream offset 169 while reading tag'
}

@test "a realistic message round-trips: fields, recipients, attachments, categories" {
	cat >real.json <<-'EOF'
	{"subject": "RE: Zahlen für Q1 😀", "delivery": 1704164645, "flags": 1, "body": "Hello there",
	 "sender": {"name": "Alice Example", "address": "alice@contoso.com"},
	 "recipients": [{"name": "Bob", "address": "bob@example.com"},
	                {"address": "carol@example.com", "type": "cc"},
	                {"name": "Dan", "address": "dan@example.com", "type": "bcc"}],
	 "attachments": [{"name": "report.pdf", "size": 40000}, {"name": "n.txt", "data": "abc", "mime": "text/x-n"}],
	 "categories": ["Red", "Blue category"]}
	EOF
	mbx-testtool fx-gen real.json >real.bin
	parse real.bin
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr '[.messageClass, .subject, .normalizedSubject, .submitTime, .deliveryTime, .importance, .messageFlags]')" \
		'["IPM.Note","RE: Zahlen für Q1 😀","Zahlen für Q1 😀","2024-01-02T03:04:05Z","2024-01-02T03:04:05Z",1,1]'
	assert_equal "$(jqr '[.sender, .from] | unique')" '[{"name":"Alice Example","address":"alice@contoso.com","addressType":"SMTP"}]'
	assert_regex "$(jqr .internetMessageId)" '^"<[0-9a-f]{16}\.mbx@contoso\.com>"$'
	assert_equal "$(jqr '[.recipients[] | [.rowid, .type, .displayName, .address, .addressType]]')" \
		'[[0,"to","Bob","bob@example.com","SMTP"],[1,"cc","carol@example.com","carol@example.com","SMTP"],[2,"bcc","Dan","dan@example.com","SMTP"]]'
	assert_equal "$(jqr '[.recipients[0].properties[] | [.tag, .value]]')" \
		'[["0x0FFE0003",6],["0x3003001F","bob@example.com"],["0x39000003",0],["0x5FFD0003",1]]'
	assert_equal "$(jqr '[.attachments[] | [.number, .method, .name, .mimeTag, .dataBytes, .attachSize > .dataBytes]]')" \
		'[[0,1,"report.pdf","application/pdf",40000,true],[1,1,"n.txt","text/x-n",3,true]]'
	assert_equal "$(jqr '[.attachments[0].properties[] | [.tag, .value]]')" \
		'[["0x3703001F",".pdf"],["0x3704001F","report.pdf"],["0x370B0003",-1]]'
	assert_equal "$(jqr '[.properties[] | select(.tag | startswith("{")) | [.tag, .value]]')" \
		'[["{00062008-0000-0000-C000-000000000046}:0x8503",false],["{00020329-0000-0000-C000-000000000046}:Keywords",["Red","Blue category"]]]'
	assert_equal "$(jqr '[.namedPropertyCount, .sizes.attachmentDataBytes, .warnings]')" '[2,40003,[]]'
}

@test "minimal writes only what is given; realistic adds the properties of 12.8 in id order" {
	echo '{"minimal": true, "subject": "x"}' >min.json
	echo '{"subject": "x"}' >full.json
	mbx-testtool fx-gen min.json >min.bin
	mbx-testtool fx-gen full.json >full.bin
	parse min.bin
	assert_success
	assert_equal "$(jqr '[.propertyCount, .messageClass, .subject, .importance, .internetMessageId]')" '[3,null,"x",null,null]'
	parse full.bin
	assert_success
	assert_equal "$(jqr '[.messageClass, .subject, .normalizedSubject, .importance]')" '["IPM.Note","x","x",1]'
	assert_equal "$(jqr '[.properties[] | .tag]')" \
		'["0x0070001F","0x3FDE0003","0x3FF10003","{00062008-0000-0000-C000-000000000046}:0x8503","0x40160003","0x40160003"]'
}

@test "generation is deterministic, and different input gives different bytes" {
	cp hi.json a.json
	sed 's/"Hi"/"Ho"/' hi.json >b.json
	for f in a b; do
		sed 's/"minimal": true/"minimal": false/' $f.json >$f-full.json
	done
	mbx-testtool fx-gen a-full.json >1.bin
	mbx-testtool fx-gen a-full.json >2.bin
	cmp 1.bin 2.bin
	mbx-testtool fx-gen b-full.json >3.bin
	run cmp -s 1.bin 3.bin
	assert_failure
}

@test "a body over 31680 bytes is split into TransferBuffers that join into the same stream" {
	body=$(head -c 50000 /dev/zero | tr '\0' x)
	printf '{"subject": "big", "body": "%s", "attachments": [{"name": "odd.bin", "size": 31001}, {"name": "z", "size": 3}]}' \
		"$body" >big.json
	mbx-testtool fx-gen big.json >big.bin
	parse big.bin
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr '[.framing.transferBuffers | length > 2, all(.[]; . > 0 and . <= 31680)]')" '[true,true]'
	assert_equal "$(jqr '[.sizes.bodyTextBytes, [.attachments[].dataBytes], .warnings]')" '[100002,[31001,3],[]]'
	# join the payloads by hand (62-byte header, then 8-byte record headers) and parse
	# the bare stream: the same message
	off=62
	: >joined
	for n in $(jqr '.framing.transferBuffers[]'); do
		tail -c +$((off + 9)) big.bin | head -c "$n" >>joined
		off=$((off + 8 + n))
	done
	assert_equal "$off" "$(stat -c %s big.bin)"
	framedreport=$(jq -c 'del(.framing, .sizes.blobBytes)' <<<"$output")
	parse joined
	assert_success
	assert_equal "$(jqr .framing.framed)" false
	assert_equal "$(jq -c 'del(.framing, .sizes.blobBytes)' <<<"$output")" "$framedreport"
}

@test "5000 generations of a 40 KB item (the emulator's seeding load) finish in seconds" {
	body=$(head -c 20000 /dev/zero | tr '\0' y)
	printf '{"subject": "perf", "body": "%s", "recipients": [{"address": "b@x.com"}]}' "$body" >perf.json
	run --separate-stderr timeout 30 mbx-testtool fx-gen --repeat 5000 perf.json
	assert_success
	assert_equal "$stderr" ""
	mbx-testtool fx-gen perf.json >perf.bin
	assert [ "$(stat -c %s perf.bin)" -gt 40000 ]
}

@test "hostile: every prefix of a blob is reported as truncated, never a crash" {
	mbx-testtool fx-gen hi.json >hi.bin
	for n in $(seq 0 318); do
		head -c "$n" hi.bin >p.bin
		run --separate-stderr mbx-testtool fx-parse p.bin
		[ "$status" -eq 5 ] || fail "prefix $n: status $status: $stderr"
		[[ "$stderr" == "mbx-testtool: 'p.bin': truncated at "* ]] || fail "prefix $n: $stderr"
		[ "$(jqr .truncated)" = true ] || fail "prefix $n: $output"
	done
}

@test "hostile: a length field flipped to 2 GB is a truncation at that value" {
	mbx-testtool fx-gen hi.json >hi.bin
	printf '\xff\xff\xff\x7f' | dd of=hi.bin bs=1 seek=100 conv=notrunc status=none
	parse hi.bin
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: 'hi.bin': truncated at stream offset 34 while reading value of 0x003784B0 (need 2147483647 bytes, have 215)"
	assert_equal "$(jqr '[.messageClass, .subject, .propertyCount, .truncated]')" '["IPM.Note",null,1,true]'
}

@test "hostile: an unknown property type stops with its offset and keeps what came before" {
	framed "$SUBJ_HI 01003700 00000000 $DEL_R" >u.bin
	parse u.bin
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: 'u.bin': unknown property type 0x0001 at offset 14"
	assert_equal "$(jqr '[.subject, .propertyCount, .truncated, .error]')" '["Hi",1,false,"unknown property type 0x0001 at offset 14"]'
}

@test "hostile: a named property with kind 7, and a name without terminator" {
	framed "0B000080 $GUID_COMMON 07 03850000 0000" >k.bin
	parse k.bin
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: 'k.bin': named property kind 7 at stream offset 20 (expected 0 or 1)"
	framed "0B000080 $GUID_COMMON 01 $(printf '4100%.0s' {1..600}) 0000 0000" >n.bin
	parse n.bin
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: 'n.bin': named property name at stream offset 21 longer than 1024 bytes"
}

@test "hostile: a huge multi-value count is refused before anything is allocated" {
	framed "$SUBJ_HI 1F10FF3F FFFFFFFF" >mv.bin
	parse mv.bin
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: 'mv.bin': truncated at stream offset 22 while reading values of 0x3FFF101F (need 17179869180 bytes, have 0)"
}

@test "hostile: embedded messages 32 deep parse, 33 deep is refused" {
	deep() {
		local i s="$SUBJ_HI $DEL_R $DEL_A"
		for ((i = 0; i < $1; i++)); do s="$s $ATTACH0 $EMBED"; done
		for ((i = 0; i < $2; i++)); do s="$s 03000240 03000E40"; done
		framed "$s"
	}
	deep 32 32 >ok.bin
	parse ok.bin
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr '.attachments[0].embedded.attachments[0].embedded.attachments[0].method')" 5
	assert_equal "$(jqr '[.. | objects | select(has("omitted"))] | length')" 1
	deep 33 0 >bomb.bin
	parse bomb.bin
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: 'bomb.bin': embedded messages nested deeper than 32 at stream offset 818"
	assert_equal "$(jqr '[.subject, .truncated]')" '["Hi",false]'
}

@test "an embedded message, a StartMessage wrapper, PtypString and cp1252 strings" {
	framed "03000C40 $SUBJ_HI $DEL_R $DEL_A $ATTACH0 $EMBED 1F003700 06000000 480069000000
		03000340 03000030 00000000 03000440 03000240 03000E40 03000D40" >e.bin
	parse e.bin
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr '.attachments[0] | [.method, .embedded.subject, (.embedded.recipients | length)]')" '[5,"Hi",1]'
	assert_equal "$(jqr '.warnings')" '[]'
	framed "1E003700 03000000 48E900 E4840840 04000000 2FE98000" >c.bin
	parse c.bin
	assert_success
	assert_equal "$(jqr '[.subject, .properties[0].tag, .properties[0].value]')" '["Hé","0x4008001E","/é€"]'
}

@test "structure: stray and missing end markers are warnings; an open scope at the end is truncation" {
	framed "$SUBJ_HI 03000E40 03000340 03000030 00000000 $ATTACH0 03000E40 03001700 01000000" >w.bin
	parse w.bin
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jqr .warnings)" '["EndAttach at stream offset 14 without a matching start: ignored","NewAttach at stream offset 30 inside an open recipient (EndToRecip missing)","message property 0x00170003 at stream offset 46 after recipients or attachments"]'
	assert_equal "$(jqr '[(.recipients | length), (.attachments | length), .importance]')" '[1,1,1]'
	framed "$SUBJ_HI 03000340 03000030 00000000" >open.bin
	parse open.bin
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: 'open.bin': truncated at stream offset 26: end of data inside an open recipient (EndToRecip missing)"
}

@test "framing: odd header values and unknown records are warnings, an empty buffer too" {
	bin "01000000 08000000 00000000 03000000 $(tr -d ' \t\n' <<<"$HDR" | cut -c33-)
		0B000000 02000000 AAAA 02000000 00000000 02000000 0E000000 $SUBJ_HI" >f.bin
	parse f.bin
	assert_success
	assert_equal "$(jqr '[.subject, .framing.transferBuffers]')" '["Hi",[14]]'
	assert_equal "$(jqr .warnings)" '["Config record at blob offset 0 differs from {0,1}","unknown record opcode 11 at blob offset 62 skipped","empty TransferBuffer at blob offset 72"]'
	bin "$HDR" >h.bin
	parse h.bin
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: 'h.bin': truncated at blob offset 62: no TransferBuffer record"
}
