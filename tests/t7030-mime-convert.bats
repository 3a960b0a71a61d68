#!/usr/bin/env bats
# MS-OXCMAIL 2.1.3 mapping of mbx-mime, item by item, on FastTransfer items built by
# tests/fxpy.py (not by lib/fx) and read back by Python's email package: headers,
# bodies (HTML code pages, compressed RTF), structure, inline images, embedded messages,
# RFC 2231 names, mboxrd "From " lines, other classes, S/MIME, flags.

load helpers

PY=/usr/bin/python3
CHECK="$PY $MBX_SRCDIR/tests/mailcheck.py"

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf '\x89PNG\r\n\x1a\nfake png data' >img.png
}

# items SPEC: frames of the items of the JSON list SPEC (tests/fxpy.py).
items() {
	$PY "$MBX_SRCDIR/tests/fxpy.py" frames "$1"
}

# one JSON line per message of mbx-mime's mbox for FRAMES (mailcheck.py; fails on defects)
check() {
	mbx-mime "$@" >out.mbox
	$CHECK mbox out.mbox
}

rich() {
	cat >rich.json <<-'EOF'
	[{"header": {"folderPath": "/Inbox/Projets été", "id": "AAMkRich"},
	  "msg": {"props": [
	    ["0x001A", "str", "IPM.Note"],
	    ["0x0037", "str", "RE: Zahlen für Q1 — 日本語"],
	    ["0x0039", "time", "2024-01-02T03:04:05Z"], ["0x0E06", "time", "2024-01-02T03:04:09Z"],
	    ["0x0E07", "int", 1],
	    ["0x0042", "str", "Zoë Müller"], ["0x5D02", "str", "zoe@contoso.com"], ["0x0064", "str", "SMTP"],
	    ["0x0C1A", "str", "Assistant"], ["0x5D01", "str", "assistant@contoso.com"],
	    ["0x1035", "str", "<rich@contoso.com>"], ["0x1042", "str", "<parent@contoso.com>"],
	    ["0x1039", "str", "<root@contoso.com> <parent@contoso.com>"],
	    ["0x0017", "int", 2], ["0x0036", "int", 2],
	    ["0x1016", "int", 3], ["0x3FDE", "int", 50220],
	    ["0x1013", "bin", {"cp": "iso2022_jp", "text": "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-2022-jp\"></head><body><p>こんにちは &amp; welcome</p><img src=\"cid:img1@x\"><p>From here on</p></body></html>"}],
	    [["public", "Keywords"], "mvstr", ["Red", "Blue"]]],
	  "recipients": [
	    [["0x0C15", "int", 1], ["0x3001", "str", "Bob \"The\" Builder"], ["0x3002", "str", "SMTP"], ["0x3003", "str", "bob@example.com"]],
	    [["0x0C15", "int", 1], ["0x3001", "str", "Smith, John"], ["0x39FE", "str", "john@example.com"]],
	    [["0x0C15", "int", 2], ["0x3001", "str", "Carol"], ["0x3002", "str", "EX"], ["0x3003", "str", "/O=ORG/OU=X/CN=RECIPIENTS/CN=CAROL"]],
	    [["0x0C15", "int", 3], ["0x3001", "str", "Dan"], ["0x39FE", "str", "dan@example.com"]]],
	  "attachments": [
	    {"props": [["0x3705", "int", 1], ["0x3707", "str", "img.png"], ["0x370E", "str", "image/png"],
	               ["0x3712", "str", "img1@x"], ["0x3701", "bin", {"file": "img.png"}]]},
	    {"props": [["0x3705", "int", 1], ["0x3707", "str", "Résumé (final) ✓.txt"], ["0x3701", "bin", {"text": "hello\nFrom me\n"}]]},
	    {"props": [["0x3705", "int", 1], ["0x3707", "str", "unref.png"], ["0x370E", "str", "image/png"],
	               ["0x3712", "str", "nobody-refers@x"], ["0x3701", "bin", {"file": "img.png"}]]},
	    {"props": [["0x3705", "int", 5], ["0x3001", "str", "Fwd message"]],
	     "embedded": {"props": [["0x001A", "str", "IPM.Note"], ["0x0037", "str", "inner é"],
	                            ["0x0042", "str", "Eve"], ["0x5D02", "str", "eve@example.com"],
	                            ["0x1000", "str", "Inner body é\r\nFrom line\r\n"]],
	                  "recipients": [[["0x0C15", "int", 1], ["0x3001", "str", "Zoë"], ["0x39FE", "str", "zoe@contoso.com"]]],
	                  "attachments": [{"props": [["0x3705", "int", 1], ["0x3707", "str", "in.bin"], ["0x3701", "bin", {"pattern": 1000}]]}]}}]}}]
	EOF
	items rich.json >rich.frames
}

@test "headers from the properties: people by type, dates, ids, subject and folder in RFC 2047" {
	rich
	run check rich.frames
	assert_success
	assert_equal "$(jq -c '[.subject, .from, .to, .cc, .bcc, .date, .messageId, .folder, .itemId, .class]' <<<"$output")" \
		'["RE: Zahlen für Q1 — 日本語",[{"name":"Zoë Müller","addr":"zoe@contoso.com"}],[{"name":"Bob \"The\" Builder","addr":"bob@example.com"},{"name":"Smith, John","addr":"john@example.com"}],[{"name":"Carol","addr":"IMCEAEX-_O=ORG_OU=X_CN=RECIPIENTS_CN=CAROL@invalid"}],[{"name":"Dan","addr":"dan@example.com"}],"Tue, 02 Jan 2024 03:04:05 +0000","<rich@contoso.com>","/Inbox/Projets été","AAMkRich","IPM.Note"]'
	sed '/^$/q' out.mbox >head
	grep -q '^From assistant@contoso.com Tue Jan  2 03:04:09 2024$' head
	grep -q '^Sender: Assistant <assistant@contoso.com>$' head
	grep -q '^In-Reply-To: <parent@contoso.com>$' head
	grep -q '^References: <root@contoso.com> <parent@contoso.com>$' head
	grep -q '^Keywords: Red, Blue$' head
	grep -q '^Importance: high$' head
	grep -q '^Sensitivity: Private$' head
	grep -q '^X-Mbx-Delivery-Time: Tue, 02 Jan 2024 03:04:09 +0000$' head
	grep -q '^Status: RO$' head
	run awk 'length($0) > 78' head
	assert_output ""
}

@test "structure: mixed { related { alternative { plain, html }, inline image }, attachments, message/rfc822 }" {
	rich
	run check rich.frames
	assert_success
	assert_equal "$(jq -r .tree <<<"$output")" \
		"multipart/mixed(multipart/related(multipart/alternative(text/plain,text/html),image/png),text/plain,image/png,message/rfc822(multipart/mixed(text/plain,application/octet-stream)))"
	assert_equal "$(jq -c '[.parts[] | [.type, .disposition, .filename, .cid, .size]]' <<<"$output")" \
		'[["text/plain",null,null,null,39],["text/html",null,null,null,183],["image/png","inline","img.png","<img1@x>",21],["text/plain","attachment","Résumé (final) ✓.txt",null,14],["image/png","attachment","unref.png","<nobody-refers@x>",21],["text/plain",null,null,null,24],["application/octet-stream","attachment","in.bin",null,1000]]'
	# the HTML in UTF-8 with its META charset made utf-8, and the text made from it
	assert_equal "$(jq -r '.parts[1].text' <<<"$output")" \
		'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><p>こんにちは &amp; welcome</p><img src="cid:img1@x"><p>From here on</p></body></html>'
	assert_equal "$(jq -r '.parts[0].text' <<<"$output")" "$(printf 'こんにちは & welcome\nFrom here on')"
	# the attachment bytes
	assert_equal "$(jq -r '.parts[2].sha256' <<<"$output")" "$(sha256sum <img.png | cut -d' ' -f1)"
	assert_equal "$(jq -r '.parts[6].sha256' <<<"$output")" \
		"$($PY -c 'import sys; sys.path.insert(0, sys.argv[1]); import fxpy, hashlib; print(hashlib.sha256(fxpy.binary({"pattern": 1000})).hexdigest())' "$MBX_SRCDIR/tests")"
	# the embedded message, written as a message: its own headers, 7bit (RFC 2046 5.2.1)
	$PY - out.mbox <<-'EOF'
	import email, email.policy, mailbox, re, sys
	raw = re.sub(rb"(?m)^>(>*From )", rb"\1", mailbox.mbox(sys.argv[1]).get_bytes(0))
	m = email.message_from_bytes(raw, policy=email.policy.default)
	rfc = [p for p in m.walk() if p.get_content_type() == "message/rfc822"][0]
	assert rfc.get_filename() == "Fwd message.eml", rfc.get_filename()
	assert rfc.get("content-transfer-encoding", "7bit") == "7bit"
	inner = rfc.get_payload(0)
	assert str(inner["subject"]) == "inner é" and str(inner["from"]) == "Eve <eve@example.com>"
	assert str(inner["to"]) == "Zoë <zoe@contoso.com>", str(inner["to"])
	body = inner.get_payload(0)
	assert body["content-transfer-encoding"] == "quoted-printable"
	assert body.get_content() == "Inner body é\nFrom line\n", repr(body.get_content())
	raw = bytes(rfc.get_payload(0).as_bytes())
	assert all(b < 128 for b in raw)
	EOF
}

@test "mboxrd: body lines starting with From and >From come back exactly through Python's mailbox and mblaze" {
	cat >from.json <<-'EOF'
	[{"msg": {"props": [["0x0037", "str", "from lines"], ["0x1000", "str", "From the start\n>From quoted\n>>From twice\nFrom\nFromage\n"]]}},
	 {"msg": {"props": [["0x0037", "str", "second"], ["0x1000", "str", "From here\n"]]}}]
	EOF
	items from.json >from.frames
	run check from.frames
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -r '.parts[0].text' <<<"${lines[0]}")" "$(printf 'From the start\n>From quoted\n>>From twice\nFrom\nFromage\n')"
	grep -q '^>From the start$' out.mbox
	grep -q '^>>From quoted$' out.mbox
	grep -q '^>>>From twice$' out.mbox
	grep -q '^From$' out.mbox
	command -v mdeliver >/dev/null || skip "mblaze not installed"
	mkdir -p md/cur md/new md/tmp
	mdeliver -M -c md <out.mbox
	assert_equal "$(mlist md | wc -l)" 2
	run mshow "$(mlist md | xargs grep -l 'Subject: from lines')"
	assert_output --partial "$(printf 'From the start\n>From quoted\n>>From twice\nFrom\nFromage')"
}

@test "compressed RTF: encapsulated HTML de-encapsulated, plain RTF as text with body.rtf attached" {
	cat >rtf.json <<-'EOF'
	[{"msg": {"props": [["0x0037", "str", "rtf html"], ["0x1016", "int", 2],
	   ["0x1009", "bin", {"lzfu": "{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\deff0{\\fonttbl{\\f0\\fswiss\\fcharset0 Arial;}}{\\*\\htmltag64}{\\*\\htmltag19 <html>}{\\*\\htmltag34 <body>}\\htmlrtf {\\htmlrtf0 Caf\\'e9 \\u8364?{\\*\\htmltag84 <br>}\\htmlrtf\\par\\htmlrtf0 line2}\\htmlrtf0 {\\*\\htmltag35 </body>}{\\*\\htmltag27 </html>}}"}]]}},
	 {"msg": {"props": [["0x0037", "str", "plain rtf"], ["0x1009", "bin", {"mela": "{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\f0 Hello {\\b bold} world\\par second}"}]]}},
	 {"msg": {"props": [["0x0037", "str", "rtf with body"], ["0x1000", "str", "the store's text"],
	   ["0x1009", "bin", {"lzfu": "{\\rtf1\\ansi\\f0 RTF text}"}]]}}]
	EOF
	items rtf.json >rtf.frames
	run check rtf.frames
	assert_success
	assert_equal "$(jq -c '[.tree, [.parts[] | .text]]' <<<"${lines[0]}")" \
		'["multipart/alternative(text/plain,text/html)",["Café €\nline2\n","<html><body>Café €<br>line2</body></html>"]]'
	assert_equal "$(jq -c '[.tree, .parts[0].text, .parts[1].filename]' <<<"${lines[1]}")" \
		'["multipart/mixed(text/plain,application/rtf)","Hello bold world\nsecond","body.rtf"]'
	assert_equal "$(jq -r '.parts[1].sha256' <<<"${lines[1]}")" \
		"$(printf '%s' '{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Hello {\b bold} world\par second}' | sha256sum | cut -d' ' -f1)"
	# PidTagBody, when there is one, is the text; the RTF goes along
	assert_equal "$(jq -c '[.tree, .parts[0].text]' <<<"${lines[2]}")" \
		'["multipart/mixed(text/plain,application/rtf)","the store'"'"'s text"]'
}

@test "other classes: a message with what maps, the class in X-Mbx-Class, counted, a warning with -v" {
	cat >other.json <<-'EOF'
	[{"header": {"id": "appt"}, "msg": {"props": [["0x001A", "str", "IPM.Appointment"], ["0x0037", "str", "Meeting"], ["0x1000", "str", "Agenda"],
	   [["appointment", 33293], "time", "2024-02-01T10:00:00Z"], [["appointment", 33294], "time", "2024-02-01T11:00:00Z"],
	   [["appointment", 33288], "str", "Room 1"]]}},
	 {"header": {"id": "contact"}, "msg": {"props": [["0x001A", "str", "IPM.Contact"], ["0x0037", "str", "Jane Doe"], ["0x1000", "str", "notes"]]}},
	 {"header": {"id": "task"}, "msg": {"props": [["0x001A", "str", "IPM.Task"], ["0x0037", "str", "Do it"], [["task", 33029], "time", "2024-03-01T00:00:00Z"]]}},
	 {"header": {"id": "ndr"}, "msg": {"props": [["0x001A", "str", "REPORT.IPM.Note.NDR"], ["0x0037", "str", "Undeliverable"], ["0x1000", "str", "failed"]]}}]
	EOF
	items other.json >other.frames
	run --separate-stderr mbx-mime --stats st.json other.frames
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr mbx-mime -v other.frames
	assert_success
	assert_equal "$stderr" "$(for i in 1:appt:Appointment 2:contact:Contact 3:task:Task; do
		IFS=: read -r n id c <<<"$i"
		off=$(awk -v n="$n" 'BEGIN { o = 0 } { if (NR % 2 == 1) { k++; if (k == n) { print o; exit } } o += length($0) + 1 }' other.frames)
		echo "mbx-mime: warning: other.frames: frame $n at byte $off ('$id'): IPM.$c is not mail: written as a message with what maps (X-Mbx-Class)"
	done)"
	assert_equal "$(jq -c '[.items, .mail, .otherClasses, .errors]' st.json)" '[4,1,3,0]'
	run check other.frames
	assert_success
	assert_equal "$(jq -r '[.class, .subject, .parts[0].text] | @tsv' <<<"$output")" \
		"$(printf 'IPM.Appointment\tMeeting\tAgenda\\n\nIPM.Contact\tJane Doe\tnotes\\n\nIPM.Task\tDo it\t\nREPORT.IPM.Note.NDR\tUndeliverable\tfailed\\n')"
	sed -n '/^Subject: Meeting/,/^$/p' out.mbox >appt
	grep -q '^X-Mbx-Start: Thu, 01 Feb 2024 10:00:00 +0000$' appt
	grep -q '^X-Mbx-End: Thu, 01 Feb 2024 11:00:00 +0000$' appt
	grep -q '^X-Mbx-Location: Room 1$' appt
	grep -q '^X-Mbx-Due: Fri, 01 Mar 2024 00:00:00 +0000$' out.mbox
}

@test "S/MIME: the signed entity and the PKCS #7 object are written verbatim" {
	printf 'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\r\n boundary="sig"\r\n\r\n--sig\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n--sig\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIBsignature=\r\n--sig--\r\n' >signed.mime
	head -c 3000 /dev/urandom >opaque.p7m
	cat >smime.json <<-'EOF'
	[{"msg": {"props": [["0x001A", "str", "IPM.Note.SMIME.MultipartSigned"], ["0x0037", "str", "signed"],
	   ["0x0042", "str", "Signer"], ["0x5D02", "str", "signer@example.com"]],
	  "attachments": [{"props": [["0x3705", "int", 1], ["0x3707", "str", "smime.p7m"], ["0x370E", "str", "multipart/signed"], ["0x3701", "bin", {"file": "signed.mime"}]]}]}},
	 {"msg": {"props": [["0x001A", "str", "IPM.Note.SMIME"], ["0x0037", "str", "sealed"]],
	  "attachments": [{"props": [["0x3705", "int", 1], ["0x3707", "str", "smime.p7m"], ["0x370E", "str", "application/pkcs7-mime"], ["0x3701", "bin", {"file": "opaque.p7m"}]]}]}}]
	EOF
	items smime.json >smime.frames
	run --separate-stderr mbx-mime --eml E smime.frames
	assert_success
	f=$(ls E/*-signed-*.eml)
	# after the header block of the message, the entity byte for byte
	$PY - "$f" signed.mime <<-'EOF'
	import sys
	d = open(sys.argv[1], "rb").read()
	want = open(sys.argv[2], "rb").read()
	i = d.index(b"Content-Type: multipart/signed")
	assert d[i:] == want, (d[i:], want)
	assert d[:i].endswith(b"MIME-Version: 1.0\r\n")
	EOF
	run $CHECK eml E/*.eml
	assert_success
	assert_equal "${#lines[@]}" 2
	printf '%s\n' "$output" >msgs
	assert_equal "$(jq -c 'select(.subject == "signed") | [.tree, .parts[0].text]' msgs)" '["multipart/signed(text/plain,application/pkcs7-signature)","signed text"]'
	assert_equal "$(jq -c 'select(.subject == "sealed") | [.tree, .parts[0].filename, .parts[0].size]' msgs)" '["application/pkcs7-mime","smime.p7m",3000]'
	assert_equal "$(jq -r 'select(.subject == "sealed") | .parts[0].sha256' msgs)" "$(sha256sum <opaque.p7m | cut -d' ' -f1)"
}

@test "transport headers: kept, but Content-*, MIME-Version, TNEF and Exchange organization fields; non-ASCII ones encoded or remade" {
	cat >th.json <<-'EOF'
	[{"msg": {"props": [["0x0037", "str", "Grüße"], ["0x1000", "str", "body"],
	   ["0x007D", "str", "Received: from a by b;\r\n Tue, 2 Jan 2024 03:04:05 +0000\r\nSubject: Gr\u00fc\u00dfe raw\r\nX-Custom: caf\u00e9 au lait\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Transfer-Encoding: binary\r\nMIME-Version: 1.0\r\nX-MS-TNEF-Correlator: <abc>\r\nX-MS-Exchange-Organization-SCL: -1\r\nX-MS-Exchange-Forest-Kept: yes\r\nFrom: Ann <ann@example.com>\r\nbroken line without colon\r\n\r\nbody after the blank line: not a header\r\n"],
	   ["0x0042", "str", "Not Ann"], ["0x5D02", "str", "notann@example.com"]]}}]
	EOF
	items th.json >th.frames
	run check th.frames
	assert_success
	assert_equal "$(jq -c '[.subject, .from]' <<<"$output")" '["Grüße",[{"name":"Ann","addr":"ann@example.com"}]]'
	sed '/^$/q' out.mbox >head
	assert_equal "$(grep -c '^Subject:' head)" 1
	grep -q '^X-Custom: =?utf-8?b?Y2Fmw6k=?= au lait$' head
	grep -q '^X-MS-Exchange-Forest-Kept: yes$' head
	grep -q '^X-Mbx-Transport-Subject: =?utf-8?b?R3LDvMOfZQ==?= raw$' head
	run grep -ciE '^(content-transfer-encoding: binary|x-ms-tnef|x-ms-exchange-organization|.*winmail)|broken line|not a header' head
	assert_output 0
	assert_equal "$(grep -c '^Received: from a by b;$' head)" 1
	assert_equal "$(grep -c '^MIME-Version:' head)" 1
}

@test "Maildir flags from the message: D unsent, F flagged, P forwarded, R replied, S read" {
	cat >fl.json <<-'EOF'
	[{"header": {"id": "unread"}, "msg": {"props": [["0x0037", "str", "unread"], ["0x0E07", "int", 0], ["0x0E06", "time", "2024-01-02T03:04:05Z"]]}},
	 {"header": {"id": "flagged"}, "msg": {"props": [["0x0037", "str", "flagged"], ["0x0E07", "int", 1], ["0x1090", "int", 2]]}},
	 {"header": {"id": "replied"}, "msg": {"props": [["0x0037", "str", "replied"], ["0x0E07", "int", 1], ["0x1081", "int", 102]]}},
	 {"header": {"id": "forwarded"}, "msg": {"props": [["0x0037", "str", "forwarded"], ["0x0E07", "int", 1], ["0x1080", "int", 262]]}},
	 {"header": {"id": "draft"}, "msg": {"props": [["0x0037", "str", "draft"], ["0x0E07", "int", 9]]}}]
	EOF
	items fl.json >fl.frames
	run --separate-stderr mbx-mime --maildir M fl.frames
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r '"\(.id) \(.file | sub(".*:2,"; ""))"')" \
		"$(printf 'unread \nflagged FS\nreplied RS\nforwarded PS\ndraft DS')"
	assert_equal "$(printf '%s\n' "$output" | jq -r 'select(.id == "unread") | .file' | sed 's|.*/||; s|\..*||')" 1704164645
	command -v mlist >/dev/null || skip "mblaze not installed"
	assert_equal "$(mlist -F M | wc -l)" 1
	assert_equal "$(mlist -R M | wc -l)" 1
	assert_equal "$(mlist -s M | wc -l)" 1
	# mbox readers: Status and X-Status
	mbx-mime fl.frames >fl.mbox
	assert_equal "$(grep -E '^(Subject|Status|X-Status):' fl.mbox | tr '\n' ' ')" \
		"Subject: unread Status: O Subject: flagged Status: RO X-Status: F Subject: replied Status: RO X-Status: A Subject: forwarded Status: RO Subject: draft Status: RO X-Status: T "
}

@test "values that are not what they claim are kept, not made valid: msg-ids, addresses, code pages" {
	cat >odd.json <<-'EOF'
	[{"msg": {"props": [["0x0037", "str", "odd"], ["0x1035", "str", "Sanitized text"], ["0x1039", "str", "<ok@x> not-an-id"],
	   ["0x0042", "str", "Who"], ["0x0065", "str", "/O=ORG/CN=WHO"], ["0x0064", "str", "EX"],
	   ["0x1013", "bin", {"raw": "<p>caf\u00e9 in cp 12345</p>"}], ["0x3FDE", "int", 12345]]}},
	 {"msg": {"props": [["0x0037", "str", "bad utf-8"], ["0x1013", "bin", {"raw": "<p>caf\u00e9</p>"}], ["0x3FDE", "int", 65001]]}}]
	EOF
	items odd.json >odd.frames
	run --separate-stderr mbx-mime odd.frames
	assert_success
	assert_equal "$stderr" "$(printf '%s\n' \
		"mbx-mime: warning: odd.frames: frame 1 at byte 0 ('item1'): HTML body in code page 12345: decoded as windows-1252, the original attached" \
		"mbx-mime: warning: odd.frames: frame 2 at byte $(head -2 odd.frames | wc -c) ('item2'): HTML body has bytes that are not utf-8: replaced, the original attached")"
	run --separate-stderr check odd.frames
	assert_success
	printf '%s\n' "$output" >msgs
	grep -q '^X-Mbx-Message-ID: Sanitized text$' out.mbox
	grep -q '^X-Mbx-References: <ok@x> not-an-id$' out.mbox
	run grep -c '^Message-ID:' out.mbox
	assert_output 0
	assert_equal "$(head -1 msgs | jq -c '[.from, .tree, [.parts[] | .filename]]')" \
		'[[{"name":"Who","addr":"IMCEAEX-_O=ORG_CN=WHO@invalid"}],"multipart/mixed(multipart/alternative(text/plain,text/html),text/html)",[null,null,"original-body.html"]]'
	assert_equal "$(head -1 msgs | jq -r '.parts[1].text')" '<p>café in cp 12345</p>'
	assert_equal "$(head -1 msgs | jq -r '.parts[2].sha256')" "$(printf '<p>caf\xe9 in cp 12345</p>' | sha256sum | cut -d' ' -f1)"
	assert_equal "$(sed -n 2p msgs | jq -r '.parts[1].text')" "$(printf '<p>caf\xef\xbf\xbd</p>')"
}
