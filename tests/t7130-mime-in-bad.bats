#!/usr/bin/env bats
# Bad input (issue 16 item 2): an unquoted "From here" body line, a message without
# Message-ID, broken boundaries, a truncated last message, a 50 MB attachment in
# bounded memory, unreadable and pathological messages. A message that cannot be
# converted is an error record with its byte offset, the rest goes on, and the counts of
# in and out are equal (items + error records).

load helpers

PY=/usr/bin/python3

setup_file() {
	graphd_start --generate users=1,folders=1,items=1,seed=6
}

teardown_file() {
	graphd_stop
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# msg SUBJECT [BODY]: a small message on stdout
msg() {
	printf 'From: ann@example.com\nTo: bob@example.org\nSubject: %s\n' "$1"
	printf 'Message-ID: <%s@example.com>\nDate: Mon, 01 Jan 2024 00:00:00 +0000\n\n%b' "$1" "${2:-Hello.\n}"
}

# body_of SUBJECT FRAMES: the text body of that message, read back by Python
body_of() {
	rm -rf bo && mkdir bo && mbx-mime --eml bo "$2" >/dev/null
	$PY -c '
import email, email.policy, glob, sys
for f in glob.glob("bo/*.eml"):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if m["subject"] == sys.argv[1]:
        print(m.get_body(("plain",)).get_content().replace("\r\n", "\n"), end="")' "$1"
}

@test "an unquoted body line 'From here' does not start a message, even after an empty line" {
	{ printf 'From ann@example.com Mon Jan  1 00:00:00 2024\n'
	  msg one 'Text.\n\nFrom here to there\nTo: you (a body line that looks like a field)\n\nFrom here\n'
	  printf '\nFrom ann@example.com Mon Jan  1 00:00:01 2024\n'; msg two; } >box
	run --separate-stderr bash -c 'mbx-mime --to-frames box | mbx-frames -t | jq -r .subject'
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(printf 'one\ntwo')"
	mbx-mime --to-frames box >f
	assert_equal "$(body_of one f)" "$(printf 'Text.\n\nFrom here to there\nTo: you (a body line that looks like a field)\n\nFrom here')"
	# a reader that splits at every "From " line (Python's mailbox) sees four messages
	assert_equal "$($PY -c 'import mailbox, sys; print(len(mailbox.mbox(sys.argv[1])))' box)" 4
}

@test "a message without Message-ID: its id is a hash of the message, the same in every container" {
	printf 'From: ann@example.com\nSubject: no id\n\nBody.\n' >a.eml
	{ printf 'From x@y Mon Jan  1 00:00:00 2024\nStatus: RO\nX-Mozilla-Status: 0001\n'; tr -d '\r' <a.eml; printf '\n'; } >a.mbox
	mkdir -p md/cur && sed 's/$/\r/' a.eml >md/cur/1.x:2,S
	run --separate-stderr bash -c 'mbx-mime --to-frames a.eml a.mbox md | mbx-frames -t | jq -r "[.id, has(\"messageId\")] | @tsv"'
	assert_success
	assert_equal "$stderr" ""
	id="sha256:$(printf 'From: ann@example.com\nSubject: no id\n\nBody.\n' | sha256sum | cut -d' ' -f1)"
	assert_output "$(printf '%s\tfalse\n%s\tfalse\n%s\tfalse' "$id" "$id" "$id")"
	# the stream says no PidTagInternetMessageId rather than make one up
	assert_equal "$(mbx-mime --to-frames a.eml | mbx-frames --decode | jq -r .fx.internetMessageId)" null
}

@test "broken boundaries: a boundary that never occurs, a close delimiter missing; converted, told" {
	{ printf 'From a@b Mon Jan  1 00:00:00 2024\nSubject: never\nContent-Type: multipart/mixed; boundary=X\n\n--Y\n\ntext\n--Y--\n\n'
	  printf 'From a@b Mon Jan  1 00:00:00 2024\nSubject: unclosed\nContent-Type: multipart/mixed; boundary=X\n\n--X\n\nbody\n--X\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=a.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0x\n\n'
	  printf 'From a@b Mon Jan  1 00:00:00 2024\nSubject: none\nContent-Type: multipart/alternative\n\njust text\n'; } >box
	run --separate-stderr bash -c 'mbx-mime --to-frames box | mbx-frames --decode | jq -c "[.subject, .defects, (.fx.attachments | map([.name, .dataBytes]))]"'
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(printf '%s\n' '["never",["startBoundaryMissing"],[]]' \
		'["unclosed",["closeBoundaryMissing"],[["a.pdf",6]]]' '["none",["noBoundary"],[]]')"
	mbx-mime --to-frames box >f
	assert_equal "$(body_of never f)" "$(printf -- '--Y\n\ntext\n--Y--')"
	assert_equal "$(body_of none f)" 'just text'
}

@test "a truncated last message is an error record with its offset; the others go in; in = out" {
	$PY "$MBX_SRCDIR/tests/mime-gen.py" many full.mbox 3 40
	off=$(grep -b '^From ' full.mbox | tail -1 | cut -d: -f1)
	head -c $(( off + 20000 )) full.mbox >cut.mbox           # in the middle of a base64 line
	run --separate-stderr mbx-mime --to-frames --stats st.json cut.mbox
	assert_failure 1
	assert_equal "$stderr" "mbx-mime: cannot convert message 3 at byte $off of 'cut.mbox': the input ends inside it (a MIME part is still open and the last line has no end)"
	mbx-mime --to-frames cut.mbox >out 2>/dev/null || true
	run bash -c "mbx-frames -t out | jq -c '[.type, .code, .offset, .index, .file]'"
	assert_output "$(printf '%s\n' '["item",null,0,null,"cut.mbox"]' \
		"[\"item\",null,$(grep -b '^From ' full.mbox | sed -n 2p | cut -d: -f1),null,\"cut.mbox\"]" \
		"[\"error\",\"TruncatedMessage\",$off,3,\"cut.mbox\"]")"
	assert_equal "$(jq -c '[.messages, .items, .errors]' st.json)" '[3,2,1]'
	# through mbx-import: 2 imported, the error record passed on; exit 1
	run --separate-stderr mbx-import user1@contoso.com --folder /Cut <out
	assert_failure 1
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .type | sort | uniq -c | awk '{print $1, $2}')" "$(printf '1 error\n2 imported')"
	assert_equal "$stderr" ""
}

@test "a 50 MB attachment converts in bounded memory, from a file and from an mbox on stdin" {
	$PY "$MBX_SRCDIR/tests/mime-gen.py" big big.eml 50
	run --separate-stderr /usr/bin/time -f '%M' -o rss mbx-mime --to-frames big.eml
	assert_success
	mbx-mime --to-frames big.eml >big.frames
	rss=$(cat rss)
	echo "# RSS from a file: $rss KB" >&3
	# under 48 MiB, less than the attachment itself (a sanitizer build takes twice the
	# memory of a plain one, which stays under 16 MiB)
	[ "$rss" -lt 49152 ]
	{ printf 'From a@b Mon Jan  1 00:00:00 2024\n'; cat big.eml; printf '\n'; } >big.mbox
	/usr/bin/time -f '%M' -o rss2 mbx-mime --to-frames <big.mbox >big2.frames
	echo "# RSS from stdin: $(cat rss2) KB" >&3
	[ "$(cat rss2)" -lt 49152 ]
	run --separate-stderr mbx-frames --verify big.frames big2.frames
	assert_success
	assert_equal "$(mbx-frames --decode big.frames | jq -c '.fx.attachments | map([.name, .dataBytes])')" '[["big.bin",52428800]]'
	# and the bytes are those of the attachment, as the writer and Python read them back
	mkdir out && mbx-mime --eml out big2.frames >/dev/null
	run $PY -c '
import email, email.policy, glob, hashlib
m = email.message_from_binary_file(open(glob.glob("out/*.eml")[0], "rb"), policy=email.policy.default)
print(hashlib.sha256(next(m.iter_attachments()).get_payload(decode=True)).hexdigest())'
	assert_output "$(sha256sum <big.eml.bin | cut -d' ' -f1)"
}

@test "unreadable and empty messages are error records, counted; the rest goes on" {
	mkdir -p md/cur
	msg good >md/cur/1.a:2,S
	ln -s /nonexistent md/cur/2.b:2,S
	mkdir md/cur/3.c:2,S
	{ printf 'From a@b Mon Jan  1 00:00:00 2024\n\n'; printf 'From a@b Mon Jan  1 00:00:00 2024\n'; msg two; } >e.mbox
	run --separate-stderr bash -c 'mbx-mime --to-frames --stats st.json md e.mbox | mbx-frames -t | jq -c "[.type, .code, .index]"; exit ${PIPESTATUS[0]}'
	assert_failure 1
	assert_output "$(printf '%s\n' '["item",null,null]' '["error","Unreadable",2]' '["error","Unreadable",3]' \
		'["error","EmptyMessage",1]' '["item",null,null]')"
	assert_equal "${stderr_lines[0]}" "mbx-mime: cannot convert message 2 at byte 0 of 'md/cur/2.b:2,S': No such file or directory"
	assert_equal "${stderr_lines[1]}" "mbx-mime: cannot convert message 3 at byte 0 of 'md/cur/3.c:2,S': not a regular file"
	assert_equal "${stderr_lines[2]}" "mbx-mime: cannot convert message 1 at byte 0 of 'e.mbox': the message is empty"
	assert_equal "$(jq -c '[.messages, .items, .errors]' st.json)" '[5,2,3]'
}

@test "a header block over 1 MiB or more than 10000 parts: an error record; deep nesting is kept" {
	{ printf 'Subject: big header\n'; for i in $(seq 1 12000); do printf 'X-Filler: %0100d\n' 0; done; printf '\nbody\n'; } >h.eml
	$PY -c '
import sys
out = ["Subject: many parts", "Content-Type: multipart/mixed; boundary=b", ""]
for i in range(10001):
    out += ["--b", "", "part %d" % i]
out += ["--b--", ""]
open("p.eml", "w").write("\n".join(out))
deep = ["Subject: deep"]
for i in range(40):
    deep += ["Content-Type: multipart/mixed; boundary=d%d" % i, "", "--d%d" % i]
deep += ["Content-Type: text/plain", "", "the leaf"]
for i in reversed(range(40)):
    deep += ["--d%d--" % i]
open("d.eml", "w").write("\n".join(deep) + "\n")'
	run --separate-stderr bash -c 'mbx-mime --to-frames h.eml p.eml d.eml | mbx-frames -t | jq -c "[.type, .code // .subject, .defects]"; exit ${PIPESTATUS[0]}'
	assert_failure 1
	assert_output "$(printf '%s\n' '["error","BadMessage",null]' '["error","BadMessage",null]' \
		'["item","deep",["nestedTooDeep"]]')"
	assert_equal "${stderr_lines[0]}" "mbx-mime: cannot convert message 1 at byte 0 of 'h.eml': a header block is larger than 1 MiB"
	assert_equal "${stderr_lines[1]}" "mbx-mime: cannot convert message 1 at byte 0 of 'p.eml': more than 10000 MIME parts"
	# the part at the depth limit is an attachment with the rest inside, nothing lost
	assert_equal "$(mbx-mime --to-frames d.eml | mbx-frames --decode | jq -c '.fx.attachments | map(.mimeTag)')" '["application/octet-stream"]'
}

@test "bytes that are not UTF-8 in an address or a Message-ID do not break the record (fuzz-mbox)" {
	# found by fuzz-mbox: the address and the msg-id went into the JSON header as they
	# were, and the frame reader refused the header
	f=$MBX_SRCDIR/tests/fuzz/regress/mime-8bit-address.mbox
	run --separate-stderr bash -c "mbx-mime --to-frames '$f' | mbx-frames --verify"
	assert_success
	assert_equal "$stderr" "mbx-frames: 1 frames: 1 items ok, 0 bad, 0 error frames"
	run bash -c "mbx-mime --to-frames '$f' | mbx-frames -t | jq -c '[.id, .to, .defects]'"
	assert_output '["<�t�@x>",["a@b","comment <��c@d>"],["headerNotUtf8"]]'
}

# addrs N NAME: a To field of N addresses u00000@b.c..., each with the display name NAME
addrs() {
	$PY -c '
import sys
n, name = int(sys.argv[1]), sys.argv[2]
to = ", ".join(("\"%s\" <u%05d@b.c>" % (name, i)) if name else "u%05d@b.c" % i for i in range(n))
sys.stdout.write("From a@b Mon Jan  1 00:00:00 2024\nTo: %s\nSubject: many\n\nhi\n" % to)
sys.stdout.write("From a@b Mon Jan  1 00:00:00 2024\nSubject: small\n\nhi\n")' "$@"
}

# eml_to FRAMES: "SUBJECT TO TRANSPORT-TO" per message, the addresses of its .eml's To
# and of the original To kept in X-Mbx-Transport-To, counted by Python
eml_to() {
	rm -rf et && mkdir et && mbx-mime --eml et "$1" >/dev/null
	$PY -c '
import email, email.policy, email.utils, glob
for f in sorted(glob.glob("et/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.compat32)
    n = lambda k: len(email.utils.getaddresses(m.get_all(k, [])))
    print(m["subject"], n("To"), n("X-Mbx-Transport-To"))'
}

@test "more than 10000 addresses in a field: the first 10000 are recipients, the defect says so, the field is kept whole" {
	# the recipient table stopped at 10000 without a word (86000 addresses, 974775 bytes)
	addrs 86000 "" >many.mbox
	run --separate-stderr bash -c 'mbx-mime --to-frames many.mbox >f'
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr bash -c 'mbx-frames -t f | jq -c "[.subject, (.to | length), .to[0], .to[-1], .defects, .summaryCut]"'
	assert_success
	assert_output "$(printf '%s\n' '["many",10000,"u00000@b.c","u09999@b.c",["tooManyAddresses"],null]' \
		'["small",0,null,null,null,null]')"
	run eml_to f
	assert_success
	assert_output "$(printf '%s\n' 'many 10000 86000' 'small 0 0')"
}

@test "a summary too large for a frame header is cut, in mbx-mime's record and in --annotate's; the payload is whole" {
	# 2000 recipients named with 100 control bytes: 1.2 MB of JSON escapes. The message
	# was an error record (TooLarge); now its summary keeps 100 entries of each list
	addrs 2000 "$(head -c 100 /dev/zero | tr '\0' '\001')" >wide.mbox
	run --separate-stderr bash -c 'mbx-mime --to-frames wide.mbox >f'
	assert_success
	assert_equal "$stderr" ""
	q='[.subject, (.to | length), .to[0][-12:], .to[99][-12:], (.to[0] | length), .summaryCut]'
	want=$(printf '%s\n' '["many",100,"<u00000@b.c>","<u00099@b.c>",113,true]' '["small",0,null,null,0,null]')
	run --separate-stderr bash -c "mbx-frames -t f | jq -c '$q'"
	assert_success
	assert_output "$want"
	# --annotate makes the summary again from the payload (the header's own one dropped)
	run --separate-stderr bash -c "mbx-frames --annotate f | mbx-frames -t | jq -c '$q'"
	assert_success
	assert_equal "$stderr" ""
	assert_output "$want"
	run eml_to f
	assert_success
	assert_output "$(printf '%s\n' 'many 2000 2000' 'small 0 0')"
}
