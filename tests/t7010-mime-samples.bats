#!/usr/bin/env bats
# mbx-mime on the real FastTransfer samples (../shared/samples): every message parses in
# Python's email package with zero defects; the Exchange Online sample's 13 images, the
# 11 recipients, the iso-2022-jp HTML; attachments as ripmime and munpack extract them.

load helpers

PY=/usr/bin/python3
FX=$MBX_SAMPLES/fasttransfer
CHECK="$PY $MBX_SRCDIR/tests/mailcheck.py"

setup() {
	[ -d "$FX" ] || skip "no samples in $FX"
	cd "$BATS_TEST_TMPDIR"
}

# frame NAME FILE [FOLDER]: one frame, with a header as mbx-export writes it.
frame() {
	$PY - "$1" "$2" "${3:-/Inbox}" <<-'EOF'
	import hashlib, json, sys
	p = open(sys.argv[2], "rb").read()
	h = {"type": "item", "mailbox": "MBX:sample@contoso.com", "id": sys.argv[1],
	     "folderPath": sys.argv[3], "class": "IPM.Note", "v": 1, "size": len(p),
	     "sha256": hashlib.sha256(p).hexdigest()}
	sys.stdout.buffer.write(json.dumps(h).encode() + b"\n" + p + b"\n")
	EOF
}

all_samples() {
	frame simple "$FX/ews-export-lab-simple-noattach.bin"
	frame forward "$FX/ews-export-lab-forward.ftstream.bin"
	frame exo13 "$FX/ews-export-exo-2rcpt-13attach.sanitized.bin"
	frame exo11 "$FX/ews-export-exo-11rcpt.sanitized.bin" "/Inbox/00ADemoFolder"
	frame hi "$FX/constructed-hi-1rcpt-1attach.bin"
}

@test "every real sample converts, and every message parses with zero defects (mbox, Maildir, .eml)" {
	all_samples >s.frames
	run --separate-stderr mbx-mime s.frames
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" >s.mbox
	run $CHECK mbox s.mbox
	assert_success
	assert_equal "${#lines[@]}" 5
	assert_equal "$(printf '%s\n' "$output" | jq -r .itemId | tr '\n' ' ')" "simple forward exo13 exo11 hi "
	run --separate-stderr mbx-mime --maildir md s.frames
	assert_success
	assert_equal "$(ls md/cur | wc -l)" 5
	run $CHECK maildir md
	assert_success
	run --separate-stderr mbx-mime --eml eml s.frames
	assert_success
	run $CHECK eml eml/*.eml
	assert_success
	assert_equal "${#lines[@]}" 5
}

@test "transport headers are kept, without the TNEF envelope's Content-* and MIME-Version" {
	# the lab sample arrived as TNEF: its header block says so
	$PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(0 if "Content-Type: application/ms-tnef".encode("utf-16-le") in d else 1)' \
		"$FX/ews-export-lab-simple-noattach.bin"
	frame simple "$FX/ews-export-lab-simple-noattach.bin" >s.frames
	mbx-mime s.frames >s.mbox
	sed '/^$/q' s.mbox >head
	run grep -ci 'ms-tnef\|^X-MS-TNEF-Correlator\|^X-MS-Exchange-Organization' head
	assert_output 0
	assert_equal "$(grep -c '^Received: ' head)" 3
	assert_equal "$(grep -c '^MIME-Version: ' head)" 1
	assert_equal "$(grep -c '^Content-Type: ' head)" 1
	grep -q '^Message-ID: <5acb16a98ace435e8d1bb7717c0b0b5f@LINHA05-M-CAS10.LINHA05-EX20131.com>$' head
	grep -q '^X-Mbx-Item-Id: simple$' head
	grep -q '^X-Mbx-Class: IPM.Note$' head
	run $CHECK mbox s.mbox
	assert_success
	assert_equal "$(jq -c '[.from, .to, .date, .tree]' <<<"$output")" \
		'[[{"name":"multi Lang","addr":"multiLang@linha05-ex20131.com"}],[{"name":"multi Lang","addr":"multiLang@linha05-ex20131.com"}],"Mon, 22 Dec 2014 00:51:32 -0800","multipart/alternative(text/plain,text/html)"]'
}

@test "the iso-2022-jp sample: a UTF-8 HTML part that decodes to the same text" {
	frame forward "$FX/ews-export-lab-forward.ftstream.bin" >s.frames
	mbx-mime --eml eml s.frames >/dev/null
	$PY - "$FX/ews-export-lab-forward.ftstream.bin" eml/*.eml <<-'EOF'
	import email, email.policy, re, struct, sys
	d = open(sys.argv[1], "rb").read()
	i = d.find(b"\x02\x01\x13\x10")                     # PidTagHtml, binary
	n = struct.unpack_from("<I", d, i + 4)[0]
	want = d[i + 8:i + 8 + n].decode("iso2022_jp")
	assert "charset=iso-2022-jp" in want and "年" in want
	want = re.sub(r"(?i)charset=iso-2022-jp", "charset=utf-8", want).replace("\r\n", "\n")
	m = email.message_from_binary_file(open(sys.argv[2], "rb"), policy=email.policy.default)
	html = [p for p in m.walk() if p.get_content_type() == "text/html"][0]
	assert html.get_content_charset() == "utf-8", html.get_content_charset()
	got = html.get_content().replace("\r\n", "\n")
	assert got == want, (len(got), len(want))
	plain = [p for p in m.walk() if p.get_content_type() == "text/plain"][0].get_content()
	assert "Sent: 2015年1月14日 22:55" in plain, plain
	EOF
}

@test "the 11-recipient sample: every recipient in To/Cc/Bcc by type, with its name" {
	frame exo11 "$FX/ews-export-exo-11rcpt.sanitized.bin" >s.frames
	mbx-frames --decode s.frames |
		jq -c '[.fx.recipients[] | [.type, .displayName]]' >want
	mbx-mime s.frames >s.mbox
	run $CHECK mbox s.mbox
	assert_success
	jq -c '[(.to // [])[] | ["to", .name]] + [(.cc // [])[] | ["cc", .name]] + [(.bcc // [])[] | ["bcc", .name]]' \
		<<<"$output" >got
	assert_equal "$(jq length got)" 11
	assert_equal "$(jq -c 'sort' got)" "$(jq -c 'sort' want)"
	# the sanitized addresses are no addr-specs: kept readable in the IMCEA form
	assert_equal "$(jq -r '[.to[].addr | test("^IMCEA(SMTP|EX)-Sanitized\\+20text.*@invalid$")] | all' <<<"$output")" true
}

@test "the Exchange Online sample: 13 images with Content-IDs, none dropped, attachments while the HTML does not refer to them" {
	frame exo13 "$FX/ews-export-exo-2rcpt-13attach.sanitized.bin" >s.frames
	mbx-mime s.frames >s.mbox
	run $CHECK mbox s.mbox
	assert_success
	# the sanitized HTML lost its cid: references (the samples' notes say so): by MS-OXCMAIL 2.1.3.3.6
	# unreferenced images go outside multipart/related
	assert_equal "$(jq -r .tree <<<"$output")" \
		"multipart/mixed(multipart/alternative(text/plain,text/html),$(printf 'image/%s,' png jpeg png jpeg jpeg jpeg png jpeg jpeg jpeg jpeg jpeg jpeg | sed 's/,$//'))"
	assert_equal "$(jq '[.parts[] | select(.cid != null)] | length' <<<"$output")" 13
}

@test "the Exchange Online sample with its cid references in place: 13 inline images in multipart/related" {
	# the HTML of the sample with <img src="cid:..."> put back over its placeholder text,
	# same length, inside the first TransferBuffer
	$PY - "$FX/ews-export-exo-2rcpt-13attach.sanitized.bin" <<-'EOF' >exo.bin
	import re, struct, sys
	d = bytearray(open(sys.argv[1], "rb").read())
	cids = re.findall(rb"i\0m\0a\0g\0e\0[0-9]\0[0-9]\0[0-9]\0\.\0[a-z]\0[a-z]\0[a-z]\0@\0[0-9A-F.\0]{34}", bytes(d))
	cids = sorted(set(c.decode("utf-16-le") for c in cids))
	assert len(cids) == 13, cids
	i = d.find(b"\x02\x01\x13\x10")
	start = d.find(b"<body>", i) + 6
	tags = "".join('<img src="cid:%s">' % c for c in cids).encode()
	assert start + len(tags) < 62 + 8 + 31680            # within the first TransferBuffer
	d[start:start + len(tags)] = tags
	sys.stdout.buffer.write(bytes(d))
	EOF
	mbx-frames --verify <(frame exo13 exo.bin) 2>/dev/null
	frame exo13 exo.bin >s.frames
	mbx-mime s.frames >s.mbox
	run $CHECK mbox s.mbox
	assert_success
	assert_equal "$(jq -r .tree <<<"$output")" \
		"multipart/related(multipart/alternative(text/plain,text/html),$(printf 'image/%s,' png jpeg png jpeg jpeg jpeg png jpeg jpeg jpeg jpeg jpeg jpeg | sed 's/,$//'))"
	# each referenced by cid from the HTML, each inline with its Content-ID
	$PY - s.mbox <<-'EOF'
	import email, email.policy, mailbox, re, sys
	m = email.message_from_bytes(mailbox.mbox(sys.argv[1]).get_bytes(0), policy=email.policy.default)
	assert m.get_content_type() == "multipart/related"
	assert m.get_param("type") == "multipart/alternative"
	html = [p for p in m.walk() if p.get_content_type() == "text/html"][0].get_content()
	imgs = [p for p in m.walk() if p.get_content_maintype() == "image"]
	assert len(imgs) == 13
	for p in imgs:
	    cid = p["content-id"].strip("<>")
	    assert "cid:" + cid in html, cid
	    assert p.get_content_disposition() == "inline"
	EOF
}

@test "attachments extracted by ripmime and munpack are byte-equal to the item's data, names, sizes and types as mbx-frames --decode reports" {
	command -v ripmime >/dev/null || skip "ripmime not installed"
	command -v munpack >/dev/null || skip "munpack not installed"
	{ frame exo13 "$FX/ews-export-exo-2rcpt-13attach.sanitized.bin"; frame hi "$FX/constructed-hi-1rcpt-1attach.bin"; } >s.frames
	mbx-frames --decode s.frames | jq -r '.id as $i | .fx.attachments[] | "\($i) \(.name // "attachment\(.number + 1)") \(.dataBytes) \(.mimeTag // "-")"' | sort >want
	# the bytes themselves, read out of the stream by tests/fxpy.py (not by lib/fx)
	$PY "$MBX_SRCDIR/tests/fxpy.py" attachments s.frames data >/dev/null
	mbx-mime --eml eml s.frames >recs
	for f in eml/*.eml; do
		id=$(sed -n 's/^X-Mbx-Item-Id: //p' "$f" | tr -d '\r')
		n=$(jq -r --arg f "$f" 'select(.file == $f) | .id' recs)
		assert_equal "$id" "$n"
		mkdir -p "rip/$id" "unp/$id"
		ripmime -i "$f" -d "rip/$id" --no-nameless
		(cd "unp/$id" && munpack -q -C . "$OLDPWD/$f" >/dev/null)
		$CHECK eml "$f" | jq -r --arg i "$id" '.parts[] | select(.filename) | "\($i) \(.filename) \(.size) \(.type)"'
	done | sort >got
	# the Content-Type of an attachment without PidTagAttachMimeTag comes from its name
	assert_equal "$(cat got)" "$(sed 's/ -$/ text\/plain/' want)"
	n=0
	while read -r id name size mime; do
		k=$(ls data | while read -r d; do [ -e "data/$d/$name" ] && echo "$d"; done | head -1)
		cmp "rip/$id/$name" "data/$k/$name" || fail "ripmime: $id/$name differs"
		cmp "unp/$id/$name" "data/$k/$name" || fail "munpack: $id/$name differs"
		assert_equal "$(wc -c <"rip/$id/$name")" "$size"
		n=$((n + 1))
	done <want
	assert_equal "$n" 14
}
