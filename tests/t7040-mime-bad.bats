#!/usr/bin/env bats
# mbx-mime on bad input: every failed item is reported (stderr in the mbox mode, an
# error record too in the directory modes), counted, exit 1, and the rest converted; a
# stream that breaks off is exit 5 after what came before; I/O failures exit 6. And a
# 50 MB attachment converts in bounded memory.

load helpers

PY=/usr/bin/python3
CHECK="$PY $MBX_SRCDIR/tests/mailcheck.py"

setup() {
	cd "$BATS_TEST_TMPDIR"
	cat >ok.json <<-'EOF'
	[{"header": {"id": "one"}, "msg": {"props": [["0x0037", "str", "first"], ["0x1000", "str", "body one"]]}},
	 {"header": {"id": "two"}, "msg": {"props": [["0x0037", "str", "second"], ["0x1000", "str", "body two"]]}}]
	EOF
	$PY "$MBX_SRCDIR/tests/fxpy.py" frames ok.json >ok.frames
	head -2 ok.frames >one.frames
	tail -2 ok.frames >two.frames
}

# frame ID FILE: FILE as the payload of a frame with a correct sha256.
frame() {
	$PY -c 'import hashlib, json, sys; p = open(sys.argv[2], "rb").read(); sys.stdout.buffer.write(json.dumps({"type": "item", "mailbox": "MBX:test@contoso.com", "id": sys.argv[1], "v": 1, "size": len(p), "sha256": hashlib.sha256(p).hexdigest()}).encode() + b"\n" + p + b"\n")' "$1" "$2"
}

# a FastTransfer item cut in the middle of a property value
cut_item() {
	tail -1 one.frames | head -c 120 >cut.bin
	frame cut cut.bin
}

@test "a truncated or unparsable stream: a line on stderr in the mbox mode, the rest converted, exit 1" {
	printf 'hello, not FastTransfer' >junk.bin
	{ cat one.frames; cut_item; frame junk junk.bin; cat two.frames; } >in
	off2=$(($(wc -c <one.frames)))
	off3=$((off2 + $(cut_item | wc -c)))
	run --separate-stderr mbx-mime --stats st.json in
	assert_equal "$status" 1
	assert_equal "${lines[0]}" "From MAILER-DAEMON Thu Jan  1 00:00:00 1970"
	assert_equal "${#stderr_lines[@]}" 2
	assert_regex "${stderr_lines[0]}" "^mbx-mime: in: frame 2 at byte $off2 \('cut'\): not a FastTransfer stream: truncated at stream offset [0-9]+ while reading"
	assert_equal "${stderr_lines[1]}" "mbx-mime: in: frame 3 at byte $off3 ('junk'): not a FastTransfer stream: unknown property type 0x6568 at offset 0"
	printf '%s\n' "$output" >out.mbox
	run $CHECK mbox out.mbox
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .subject | tr '\n' ' ')" "first second "
	assert_equal "$(jq -c '[.frames, .items, .mail, .errors]' st.json)" '[4,4,2,2]'
}

@test "the same in --eml and --maildir: an error record on stdout for each failure, a mail record for each file" {
	{ cat one.frames; cut_item; cat two.frames; } >in
	run --separate-stderr mbx-mime --eml E in
	assert_equal "$status" 1
	assert_equal "${#lines[@]}" 3
	assert_equal "$(jq -r .type <<<"${lines[0]}")" mail
	assert_equal "$(jq -c '[.type, .mailbox, .subject, .code, .program]' <<<"${lines[1]}")" \
		'["error","MBX:test@contoso.com","cut","BadItem","mbx-mime"]'
	assert_regex "$(jq -r .message <<<"${lines[1]}")" "^in: frame 2 at byte [0-9]+ \('cut'\): not a FastTransfer stream: truncated"
	assert_equal "$(jq -r .type <<<"${lines[2]}")" mail
	assert_equal "${#stderr_lines[@]}" 1
	assert_equal "$(ls E | wc -l)" 2
	run --separate-stderr mbx-mime --maildir M in
	assert_equal "$status" 1
	assert_equal "$(printf '%s\n' "$output" | jq -r .type | tr '\n' ' ')" "mail error mail "
	assert_equal "$(ls M/cur | wc -l)" 2
}

@test "a corrupt payload (sha256), an item frame without payload, upstream error frames: reported, the rest converted" {
	sed '2s/body one/body ONE/' one.frames >bad.frames 2>/dev/null || true
	$PY -c 'import sys; d = open("one.frames","rb").read(); i = d.index(b"b\x00o\x00d\x00y\x00"); sys.stdout.buffer.write(d[:i] + b"B" + d[i+1:])' >bad.frames
	err='{"type":"error","mailbox":"MBX:test@contoso.com","subject":"gone","code":"ErrorItemNotFound","message":"mbx-export: cannot export '"'"'gone'"'"': ErrorItemNotFound","program":"mbx-export"}'
	{ cat bad.frames; echo '{"type":"item","mailbox":"MBX:test@contoso.com","id":"empty"}'; echo "$err"; cat two.frames; } >in
	o2=$(wc -c <bad.frames)
	o3=$((o2 + $(echo '{"type":"item","mailbox":"MBX:test@contoso.com","id":"empty"}' | wc -c)))
	run --separate-stderr mbx-mime in
	assert_equal "$status" 1
	assert_equal "$stderr" "$(printf '%s\n' \
		"mbx-mime: in: frame 1 at byte 0 ('one'): sha256 mismatch: the payload is corrupt" \
		"mbx-mime: in: frame 2 at byte $o2 ('empty'): item frame without a payload (no size or data)" \
		"mbx-mime: in: frame 3 at byte $o3: error from mbx-export: 'gone': mbx-export: cannot export 'gone': ErrorItemNotFound")"
	assert_equal "$(printf '%s\n' "$output" | grep -c '^From ')" 1
	# the directory modes pass the upstream error on as it is
	run --separate-stderr mbx-mime --eml E in
	assert_equal "$status" 1
	assert_equal "$(printf '%s\n' "$output" | jq -r '[.type, .code // .id] | join(" ")' | tr '\n' ',')" \
		"error BadFrame,error NoPayload,error ErrorItemNotFound,mail two,"
	assert_equal "${lines[2]}" "$err"
}

@test "a stream that breaks off: exit 5, everything before it written" {
	h=$(head -1 two.frames | wc -c)
	{ cat one.frames; head -c $((h + 30)) two.frames; } >in
	run --separate-stderr mbx-mime --stats st.json in
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-mime: in: frame 2 at byte $(wc -c <one.frames) ('two'): truncated: payload has 30 of $(jq .size <(head -1 two.frames)) bytes"
	assert_equal "$(printf '%s\n' "$output" | grep -c '^Subject: first$')" 1
	assert_equal "$(jq -c '[.frames, .items, .errors]' st.json)" '[2,1,1]'
	# the next file is still read
	run --separate-stderr mbx-mime in two.frames
	assert_equal "$status" 5
	assert_equal "$(printf '%s\n' "$output" | grep -c '^Subject: ')" 2
}

@test "a body that cannot be decoded: the message written with that body attached as it is, reported, exit 1" {
	# compressed RTF whose CRC is wrong
	$PY "$MBX_SRCDIR/tests/fxpy.py" lzfu <(printf '{\\rtf1 hello}') >r.lzfu
	$PY -c 'import sys; d = bytearray(open("r.lzfu","rb").read()); d[12] ^= 1; sys.stdout.buffer.write(d)' >bad.lzfu
	hex=$(od -An -tx1 bad.lzfu | tr -d ' \n')
	cat >rtf.json <<-EOF
	[{"header": {"id": "rtf"}, "msg": {"props": [["0x0037", "str", "bad rtf"], ["0x1016", "int", 2], ["0x1009", "bin", {"hex": "$hex"}]]}}]
	EOF
	$PY "$MBX_SRCDIR/tests/fxpy.py" frames rtf.json >in
	run --separate-stderr mbx-mime --stats st.json in
	assert_equal "$status" 1
	assert_regex "$stderr" "^mbx-mime: in: frame 1 at byte 0 \('rtf'\): compressed RTF fails its CRC \(0x[0-9A-F]{8} declared, 0x[0-9A-F]{8} computed\): the compressed RTF body is attached as it is$"
	printf '%s\n' "$output" >out.mbox
	run $CHECK mbox out.mbox
	assert_success
	assert_equal "$(jq -c '[.tree, .parts[1].filename, .parts[1].size]' <<<"$output")" \
		"[\"multipart/mixed(text/plain,application/octet-stream)\",\"body.rtf.lzfu\",$(wc -c <bad.lzfu)]"
	assert_equal "$(jq -r '.parts[1].sha256' <<<"$output")" "$(sha256sum <bad.lzfu | cut -d' ' -f1)"
	assert_equal "$(jq -c '[.items, .damaged, .errors]' st.json)" '[1,1,1]'
	run --separate-stderr mbx-mime --eml E in
	assert_equal "$status" 1
	assert_equal "$(printf '%s\n' "$output" | jq -r '[.type, .code // "-"] | join(" ")' | tr '\n' ',')" "mail -,error Damaged,"
}

@test "output that cannot be written: exit 6 with the reason; bad command lines: exit 2" {
	touch notadir
	run --separate-stderr mbx-mime --eml notadir ok.frames
	assert_equal "$status" 6
	assert_equal "$stderr" "mbx-mime: cannot open directory 'notadir': Not a directory"
	mkdir ro && chmod 500 ro
	if [ "$(id -u)" -ne 0 ]; then
		run --separate-stderr mbx-mime --eml ro ok.frames
		assert_equal "$status" 6
		assert_regex "$stderr" "^mbx-mime: cannot create 'ro/\..*\.tmp': Permission denied$"
	fi
	if [ -w /dev/full ]; then
		run --separate-stderr bash -c 'mbx-mime ok.frames >/dev/full'
		assert_equal "$status" 6
		assert_equal "$stderr" "mbx-mime: cannot write the mbox: No space left on device"
	fi
	run --separate-stderr mbx-mime --eml a --maildir b ok.frames
	assert_equal "$status" 2
	assert_equal "$stderr" "mbx-mime: give one of --mbox, --maildir, --eml, --to-frames"
	run --separate-stderr mbx-mime --ndjson ok.frames
	assert_equal "$status" 2
	assert_equal "$stderr" "mbx-mime: --ndjson, --labels and --files-from go with --to-frames"
	run --separate-stderr mbx-mime --bogus
	assert_equal "$status" 2
	run --separate-stderr mbx-mime no-such-file
	assert_equal "$status" 6
	assert_equal "$stderr" "mbx-mime: cannot open 'no-such-file': No such file or directory"
}

@test "a 50 MB attachment converts in bounded memory (one copy of the item), its bytes intact" {
	command -v munpack >/dev/null || skip "munpack not installed"
	cat >big.json <<-'EOF'
	[{"header": {"id": "big"}, "msg": {"props": [["0x0037", "str", "big"], ["0x1000", "str", "see attached"]],
	  "attachments": [{"props": [["0x3705", "int", 1], ["0x3707", "str", "big.bin"], ["0x370E", "str", "application/octet-stream"], ["0x3701", "bin", {"pattern": 52428800}]]}]}}]
	EOF
	$PY "$MBX_SRCDIR/tests/fxpy.py" frames big.json >big.frames
	run --separate-stderr /usr/bin/time -f '%M' mbx-mime --eml E big.frames
	assert_success
	rss=${stderr_lines[-1]}
	echo "# mbx-mime RSS for a 50 MB attachment: $rss KB" >&3
	# the frame's payload is held once (52 MB); a second copy would pass 100 MB
	[ "$rss" -lt 80000 ] || fail "RSS $rss KB"
	mkdir u && (cd u && munpack -q -C . ../E/*.eml >/dev/null)
	assert_equal "$(sha256sum <u/big.bin | cut -d' ' -f1)" \
		"$($PY -c 'import sys, hashlib; sys.path.insert(0, sys.argv[1]); import fxpy; print(hashlib.sha256(fxpy.binary({"pattern": 52428800})).hexdigest())' "$MBX_SRCDIR/tests")"
	run --separate-stderr /usr/bin/time -f '%M' mbx-mime big.frames
	assert_success
	[ "${stderr_lines[-1]}" -lt 80000 ] || fail "mbox RSS ${stderr_lines[-1]} KB"
}
