#!/usr/bin/env bats
# The MAPI properties of converted messages (issue 16 item 3, MS-OXCMAIL 2.2.3), as
# mbx-frames --decode shows them: against Python's email package on its own test data
# and on generated MIME trees (tests/mime-props.py), then property by property.

load helpers

PY=/usr/bin/python3
PYDATA=/usr/lib/python3.11/test/test_email/data

setup_file() {
	$PY "$MBX_SRCDIR/tests/mime-gen.py" trees "$BATS_FILE_TMPDIR/trees"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	T=$BATS_FILE_TMPDIR/trees
}

# decode FILE...: the decoded items, one JSON object per line
decode() {
	mbx-mime --to-frames "$@" | mbx-frames --decode
}

# prop TAG: the value of a property of the message on stdin (decoded), no LF added
prop() {
	jq -j --arg t "$1" '[.fx.properties[] | select(.tag == $t) | .value] | if length == 0 then "absent" else .[0] end'
}

@test "Python's email test data: class, flags, subject, ids, From, recipients by type, date, attachments" {
	[ -d "$PYDATA" ] || skip "Python's email test data is not installed (libpython3.11-testsuite)"
	run --separate-stderr bash -c "set -o pipefail; mbx-mime --to-frames $PYDATA/msg_*.txt | mbx-frames --decode | $PY '$MBX_SRCDIR/tests/mime-props.py'"
	assert_success
	assert_output ""
	assert_equal "$stderr" "$(ls "$PYDATA"/msg_*.txt | wc -l) messages, 0 with differences"
}

@test "generated MIME trees: the same, in ten charsets, with RFC 2231 names, inline images, nested messages" {
	run --separate-stderr bash -c "set -o pipefail; mbx-mime --to-frames $T/*.eml | mbx-frames --decode | $PY '$MBX_SRCDIR/tests/mime-props.py'"
	assert_success
	assert_output ""
	assert_equal "$stderr" "$(ls "$T"/*.eml | wc -l) messages, 0 with differences"
}

@test "the oracle itself sees a wrong property" {
	# the same check with one message's decoded subject and one recipient changed
	decode "$T/alternative.eml" | jq -c '.fx.subject = "changed" | .fx.recipients[0].type = "cc"' >bad.json
	run --separate-stderr $PY "$MBX_SRCDIR/tests/mime-props.py" <bad.json
	assert_failure 1
	assert_line --partial "alternative.eml: subject 'changed', want 'Alternative: plain and HTML'"
	assert_line --partial "alternative.eml: recipients [[2, 'Bob', 'bob@example.org']"
	assert_equal "$stderr" "1 messages, 1 with differences"
}

@test "MessageFlags is 1 (read) or 0 (unread), never 0x8: an imported item is no draft" {
	mkdir -p md/cur md/new
	cp "$T/alternative.eml" md/cur/1.a:2,S
	cp "$T/nested.eml" md/new/2.b
	run --separate-stderr bash -c "mbx-mime --to-frames md $T/*.eml | mbx-frames --decode | jq -r '[.fx.messageFlags, .isRead] | @tsv' | sort | uniq -c | awk '{print \$1, \$2, \$3}'"
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(printf '1 0 false\n%s 1 true' "$(( $(ls "$T"/*.eml | wc -l) + 1 ))")"
	# embedded messages are sent messages too
	run bash -c "mbx-mime --to-frames $T/nested.eml | mbx-frames --decode | jq -r '.fx.attachments[0].embedded | [.messageFlags, .attachments[0].embedded.messageFlags] | @tsv'"
	assert_output "$(printf '1\t1')"
}

@test "headers: importance, sensitivity, Reply-To, In-Reply-To, References, the header block" {
	decode "$T/alternative.eml" >a.json
	assert_equal "$(jq -r .fx.importance a.json)" 2
	assert_equal "$(prop 0x00360003 <a.json)" 2                 # Sensitivity: Private
	assert_equal "$(prop 0x0050001F <a.json)" Replies            # PidTagReplyRecipientNames
	assert_equal "$(prop 0x004F0102 <a.json | cut -c1-16)" 0100000060000000   # one FlatEntry
	assert_equal "$(prop 0x1042001F <a.json)" '<earlier@example.com>'
	assert_equal "$(prop 0x1039001F <a.json)" '<first@example.com> <earlier@example.com>'
	# PidTagTransportMessageHeaders: the header block, CRLF line ends
	assert_equal "$(prop 0x007D001F <a.json | head -c 38 | od -An -c | tr -s ' ')" \
		"$(printf 'From: Ann Example <ann@example.com>\r\nT' | od -An -c | tr -s ' ')"
	decode "$T/encoded-name.eml" >e.json
	assert_equal "$(jq -r '"\(.fx.importance) \(.fx.from.name) \(.fx.subject) \(.fx.normalizedSubject)"' e.json)" \
		"0 Jürgen Re: Grüße Grüße"
	assert_equal "$(prop 0x003D001F <e.json)" 'Re: '           # PidTagSubjectPrefix
}

@test "the header block keeps the message's fields, not the mbox's bookkeeping nor Exchange's own" {
	{ printf 'From x@y Mon Jan  1 00:00:00 2024\n'
	  printf 'Status: RO\nX-Mozilla-Status: 0001\nX-MS-Exchange-Organization-SCL: 1\n'
	  printf 'Subject: kept\nX-Mailer: Mutt 2.2\nKeywords: Red, Blue\nContent-Length: 6\n\nHello\n'; } >b.mbox
	decode b.mbox >b.json
	assert_equal "$(prop 0x007D001F <b.json | tr '\r\n' '|~')" 'Subject: kept|~X-Mailer: Mutt 2.2|~Keywords: Red, Blue|~'
	# X-Mailer as the PS_INTERNET_HEADERS property Exchange names in lower case;
	# Keywords as categories (PidNameKeywords)
	assert_equal "$(prop '{00020386-0000-0000-C000-000000000046}:x-mailer' <b.json)" 'Mutt 2.2'
	assert_equal "$(jq -c '.categories' b.json)" '["Red","Blue"]'
	assert_equal "$(jq -c '.fx.properties[] | select(.tag | endswith(":Keywords")) | .value' b.json)" '["Red","Blue"]'
}

@test "bodies: HTML as UTF-8 (code page 65001) with the plain alternative; text in its charset" {
	decode "$T/alternative.eml" >a.json
	assert_equal "$(prop 0x10160003 <a.json)" 3                  # NativeBody: HTML
	assert_equal "$(prop 0x3FDE0003 <a.json)" 65001
	assert_equal "$(prop 0x1000001F <a.json | tr '\r\n' '|~')" 'Plain text of the message.|~'
	decode "$T/charset-koi8-r.eml" >k.json
	assert_equal "$(prop 0x1000001F <k.json | head -1 | tr -d '\r')" 'Привет, мир! Съешь же ещё этих мягких булок'
	assert_equal "$(prop 0x10160003 <k.json)" 1                  # NativeBody: plain
	# HTML in iso-8859-15: UTF-8 now, and its META says so (PidTagHtml is binary, so its
	# bytes stand as they are in the stream, which is small enough for one buffer)
	decode "$T/html-only.eml" >h.json
	assert_equal "$(prop 0x3FDE0003 <h.json)" 65001
	mbx-mime --to-frames "$T/html-only.eml" | mbx-frames --split h.d
	grep -qaF '<meta charset="utf-8">' h.d/000001.fxs
	grep -qaF 'Prix : 100 € - œuvre, Šžš' h.d/000001.fxs
	! grep -qaF 'iso-8859-15' h.d/000001.fxs
}

@test "attachments: inline images with Content-ID and ATT_MHTML_REF, hidden; no AttachSize" {
	decode "$T/inline-images.eml" >i.json
	run jq -c '.fx.attachments[] | [.name, .mimeTag, .contentId, .inline, .dataBytes,
		([.properties[] | select(.tag == "0x37140003") | .value][0]),
		([.properties[] | select(.tag == "0x7FFE000B") | .value][0])]' i.json
	assert_output "$(printf '%s\n' '["logo.png","image/png","logo@example.com",true,308,4,true]' \
		'[null,"image/png","chart@example.com",true,708,4,true]' \
		'["report.pdf","application/pdf",null,false,5000,null,null]')"
	# PidTagAttachSize is the store's to compute (MS-OXCMSG 2.2.2.5)
	assert_equal "$(jq '[.fx.attachments[].attachSize] | unique' i.json | tr -d ' \n')" '[null]'
	decode "$T/rfc2231.eml" >r.json
	run jq -r '.fx.attachments[].name' r.json
	assert_output "$(printf '%s\n' 'résumé 2024 – final.pdf' '日本語のファイル名.txt' \
		"a (b) 'c' \"d\" ; e = f.bin" \
		'a very long file name that goes on and on beyond one header line, with ümlauts, to need continuations.dat')"
	decode "$T/text-attachments.eml" >t.json
	assert_equal "$(jq -r '.fx.attachments[0].properties[] | select(.tag == "0x371B001F") | .value' t.json)" iso-8859-1
}

@test "message/rfc822 parts are embedded messages (method 5), nested as deep as they are" {
	decode "$T/nested.eml" >n.json
	run jq -c '.fx.attachments | map([.method, .mimeTag, .name])' n.json
	assert_output '[[5,"message/rfc822",null],[1,"image/gif","x.gif"]]'
	run jq -c '.fx.attachments[0].embedded | [.subject, .from.address, (.attachments | map(.method)),
		.attachments[0].embedded.subject, .attachments[0].embedded.attachments[0].name,
		.attachments[0].embedded.attachments[0].dataBytes]' n.json
	assert_output '["Fwd: Innermost","dan@example.com",[5],"Innermost","deep.zip",999]'
}

@test "defects are told in the record: unknown charsets kept as bytes, 8-bit headers, broken boundaries" {
	printf 'Subject: caf\xe9\nContent-Type: text/plain; charset=x-nosuch\n\nna\xefve \xc3\xa9t\xc3\xa9\n' >c.eml
	decode c.eml >c.json
	assert_equal "$(jq -c .defects c.json)" '["headerNotUtf8","unknownCharset"]'
	assert_equal "$(jq -r .fx.subject c.json)" 'café'
	# not UTF-8 as a whole: read as windows-1252, byte for byte
	assert_equal "$(prop 0x1000001F <c.json | head -1 | tr -d '\r')" 'naïve Ã©tÃ©'
	printf 'Subject: b\nContent-Type: multipart/mixed; boundary="abc"\n\n--abd\n\nbody text\n--abd--\n' >b.eml
	decode b.eml >b.json
	assert_equal "$(jq -c '[.defects, .fx.attachments]' b.json)" '[["startBoundaryMissing"],[]]'
	assert_equal "$(prop 0x1000001F <b.json | tr '\r\n' '|~')" '--abd|~|~body text|~--abd--|~'
}
