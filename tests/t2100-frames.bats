#!/usr/bin/env bats
# mbx-frames (mbx-frames(1), mbx-frames(5)): listing, verifying, decoding, converting,
# split/join through tar, and every kind of damaged stream.

load helpers

FX=$MBX_SAMPLES/fasttransfer

setup_file() {
	graphd_start --generate users=1,folders=3,items=25,size=3k,seed=8
	export MBX1=$(mailbox_id user1@contoso.com)
	# item records only: mbx-ls also passes folder records on (they are frames too)
	mbx-folders user1@contoso.com | mbx-ls | grep '^{"type":"item"' >"$BATS_FILE_TMPDIR/items"
	export NFOLDERS=$(mbx-folders user1@contoso.com | wc -l)
	mbx-export <"$BATS_FILE_TMPDIR/items" >"$BATS_FILE_TMPDIR/export.frames"
	export EXPORTED=$BATS_FILE_TMPDIR/export.frames
	export WANT_ITEMS=$(admin GET "/mailboxes/$MBX1" | jq '.items | length')
}

teardown_file() {
	graphd_stop
}

# Three FastTransfer items m1 m2 m3 as s.frames; LEN1/LEN2 are the byte lengths of the
# first frames, HDR2 the length of m2's header line.
setup() {
	cd "$BATS_TEST_TMPDIR"
	cat >m1.json <<-'EOF'
	{"subject": "RE: Zahlen für Q1", "delivery": 1704164645, "flags": 1, "body": "Hello there",
	 "sender": {"name": "Alice Example", "address": "alice@contoso.com"},
	 "recipients": [{"name": "Bob", "address": "bob@example.com"},
	                {"address": "carol@example.com", "type": "cc"}],
	 "attachments": [{"name": "report.pdf", "size": 4000}, {"name": "n.txt", "data": "abc", "mime": "text/x-n"}],
	 "categories": ["Red"]}
	EOF
	echo '{"subject": "second", "body": "two", "attachments": [{"name": "b.bin", "size": 3000}]}' >m2.json
	echo '{"minimal": true, "subject": "third"}' >m3.json
	for m in m1 m2 m3; do mbx-testtool fx-gen $m.json >$m; done
	mbx-testtool frames-write m1 m2 m3 >s.frames
	LEN1=$(mbx-testtool frames-write m1 | wc -c)
	LEN2=$(mbx-testtool frames-write m2 | wc -c)
	HDR2=$(mbx-testtool frames-write m2 | head -n 1 | wc -c)
	ERR='{"type":"error","mailbox":"MBX:t@t","subject":"zz","code":"ErrorItemNotFound","message":"m","program":"mbx-export"}'
}

# hdr FILE...: the header lines mbx-frames -t prints for frames-write FILE...
hdr() { mbx-testtool frames-write "$@" | LC_ALL=C grep -a '^{"type":"item"'; }

@test "-t: one header line per frame, error frames included, no payload on stdout" {
	{ cat s.frames; echo "$ERR"; mbx-testtool frames-write --ndjson m2; } >in
	run --separate-stderr mbx-frames -t in
	assert_equal "$status" 1                  # an error frame: an item missing upstream
	assert_equal "$stderr" ""
	assert_equal "$output" "$(hdr m1 m2 m3; echo "$ERR"; hdr m2)"
	# stdin and "-" alike; both forms list alike (inline data shown as its size)
	run --separate-stderr mbx-frames --list - <s.frames
	assert_success
	assert_equal "$output" "$(hdr m1 m2 m3)"
	assert_equal "$(jq -c '[.v, .size]' <<<"${lines[1]}")" "[1,$(wc -c <m2)]"
}

@test "--verify: sizes, sha256 and FastTransfer checked; a summary on stderr, stdout empty" {
	run --separate-stderr mbx-frames --verify s.frames
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-frames: 3 frames: 3 items ok, 0 bad, 0 error frames"
	run --separate-stderr mbx-frames -q --verify <s.frames
	assert_success
	assert_equal "$stderr" ""
	{ cat s.frames; echo "$ERR"; } >e
	run --separate-stderr mbx-frames --verify e
	assert_equal "$status" 1
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-frames: 4 frames: 3 items ok, 0 bad, 1 error frames"
}

@test "--verify: a payload that is not FastTransfer, a header without sha256, an item without payload" {
	printf 'hello\n' >notfx
	{ mbx-testtool frames-write m1 notfx; printf '{"type":"item","id":"ns","size":3}\nabc\n{"type":"item","id":"np"}\n'; mbx-testtool frames-write m3; } >bad
	run --separate-stderr mbx-frames --verify bad
	assert_equal "$status" 5
	assert_equal "$output" ""
	off2=$LEN1
	off3=$((LEN1 + $(mbx-testtool frames-write notfx | wc -c)))
	assert_equal "$stderr" "mbx-frames: bad: frame 2 at byte $off2 ('notfx'): not a FastTransfer stream: unknown property type 0x6568 at offset 0
mbx-frames: bad: frame 3 at byte $off3 ('ns'): no sha256 in the header: the payload cannot be verified
mbx-frames: bad: frame 4 at byte $((off3 + 39)) ('np'): item frame without a payload (no size or data)
mbx-frames: 5 frames: 2 items ok, 3 bad, 0 error frames"
}

@test "--decode: header plus the report: class, subject, dates, sender, recipients, attachments, sizes, properties" {
	{ cat s.frames; echo "$ERR"; } >in
	run --separate-stderr mbx-frames --decode in
	assert_equal "$status" 1
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[3]}" "$ERR"            # error frames pass unchanged
	d=${lines[0]}
	assert_equal "$(jq -c '[.type, .id, .mailbox, .v, .size, .sha256 == $s]' --arg s "$(sha256sum m1 | cut -d' ' -f1)" <<<"$d")" \
		"[\"item\",\"m1\",\"MBX:t@t\",1,$(wc -c <m1),true]"
	assert_equal "$(jq -c '.fx | [.messageClass, .subject, .deliveryTime, .submitTime, .sender.name, .sender.address]' <<<"$d")" \
		'["IPM.Note","RE: Zahlen für Q1","2024-01-02T03:04:05Z","2024-01-02T03:04:05Z","Alice Example","alice@contoso.com"]'
	assert_equal "$(jq -c '[.fx.recipients[] | [.displayName, .address, .type]]' <<<"$d")" \
		'[["Bob","bob@example.com","to"],["carol@example.com","carol@example.com","cc"]]'
	assert_equal "$(jq -c '[.fx.attachments[] | [.name, .dataBytes, .mimeTag, .inline]]' <<<"$d")" \
		'[["report.pdf",4000,"application/pdf",false],["n.txt",3,"text/x-n",false]]'
	assert_equal "$(jq -c '.fx.sizes | [.bodyTextBytes, .attachmentDataBytes]' <<<"$d")" '[24,4003]'
	# every other property by tag, named ones by set and LID or name
	assert_equal "$(jq -c '[.fx.properties[] | select(.tag == "0x1000001F" or (.tag | endswith(":Keywords"))) | .value]' <<<"$d")" \
		'["Hello there",["Red"]]'
	assert_equal "$(jq -r '.fx.subject' <<<"${lines[2]}")" third
}

@test "--decode: an inline attachment (content id) in a real export" {
	[ -f "$FX/ews-export-exo-2rcpt-13attach.sanitized.bin" ] || skip "no samples in $FX"
	cp "$FX/ews-export-exo-2rcpt-13attach.sanitized.bin" real
	mbx-testtool frames-write real >r.frames
	run --separate-stderr mbx-frames --decode r.frames
	assert_success
	assert_equal "$(jq -c '[.fx.attachments | length, .[0].name, .[0].inline, (.[0].contentId | type)]' <<<"$output")" \
		'[13,"image026.png",true,"string"]'
	assert_equal "$(jq -c '.fx.recipients | length' <<<"$output")" 2
}

@test "--decode: a payload that does not parse is shown as far as it goes and counts as bad" {
	head -c 200 m1 >cut1
	mbx-testtool frames-write cut1 m3 >in
	run --separate-stderr mbx-frames --decode in
	assert_equal "$status" 5
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -c '[.id, .fx.truncated, (.fx.error | length > 0)]' <<<"${lines[0]}")" '["cut1",true,true]'
	assert_regex "$stderr" "^mbx-frames: in: frame 1 at byte 0 \('cut1'\): not a FastTransfer stream: truncated"
}

@test "--to-ndjson then --to-frames gives back the exported stream byte for byte" {
	run --separate-stderr mbx-frames --to-ndjson "$EXPORTED"
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" >nd
	assert_equal "$(wc -l <nd)" "$WANT_ITEMS"
	assert_equal "$(jq -s 'map(select(.data and .v == 1 and (.size | not))) | length' nd)" "$WANT_ITEMS"
	# the inline data is the payload
	head -n 1 nd | jq -r .data | base64 -d >p1
	assert_equal "$(sha256sum <p1 | cut -d' ' -f1)" "$(head -n 1 nd | jq -r .sha256)"
	mbx-frames --to-frames nd >back
	cmp back "$EXPORTED"
	# mixed input with an error frame: both conversions keep it as it is
	{ cat s.frames; echo "$ERR"; } >in
	run --separate-stderr bash -c 'mbx-frames --to-ndjson in | mbx-frames --to-frames >back2; echo "${PIPESTATUS[*]}"'
	assert_equal "$output" "1 1"
	assert_equal "$stderr" ""
	cmp back2 in
}

@test "mbx-folders | mbx-ls | mbx-export | mbx-frames --verify: every item of the mailbox verified" {
	run --separate-stderr bash -c 'mbx-folders user1@contoso.com | mbx-ls | mbx-export | mbx-frames --verify; echo "${PIPESTATUS[*]}"'
	assert_success
	assert_equal "$output" "0 0 0 0"
	assert_equal "$stderr" "mbx-frames: $((WANT_ITEMS + NFOLDERS)) frames: $WANT_ITEMS items ok, 0 bad, 0 error frames"
	[ "$WANT_ITEMS" -ge 25 ]
}

@test "--split, tar, --join: the exported stream comes back byte for byte" {
	{ cat "$EXPORTED"; echo "$ERR"; } >in
	run --separate-stderr mbx-frames --split d in
	assert_equal "$status" 1                     # the error frame
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	n=$((WANT_ITEMS + 1))
	assert_equal "$(ls d | wc -l)" $((2 * WANT_ITEMS + 1))
	assert_equal "$(ls d | head -n 2 | tr '\n' ' ')" "000001.fxs 000001.json "
	# each item: its payload, and its header with v, size and sha256
	cmp d/000001.fxs <(mbx-frames --to-ndjson "$EXPORTED" | head -n 1 | jq -r .data | base64 -d)
	assert_equal "$(jq -c '[.type, .v, .size, (.sha256 | length)]' d/000001.json)" "[\"item\",1,$(wc -c <d/000001.fxs),64]"
	# an error frame is kept as a header-only file
	assert_equal "$(cat "d/$(printf %06d $n).json")" "$ERR"
	[ ! -e "d/$(printf %06d $n).fxs" ]
	tar cf x.tar -C d .
	mkdir d2 && tar xf x.tar -C d2
	mbx-frames --join d2 >joined || st=$?
	assert_equal "${st:-0}" 1
	cmp joined in
}

@test "mbx-export | mbx-frames --split; tar; --join | cmp: the stream exported, restored" {
	run --separate-stderr bash -c 'mbx-export <"$BATS_FILE_TMPDIR/items" | tee orig | mbx-frames --split d; echo "${PIPESTATUS[*]}"'
	assert_equal "$output" "0 0 0"
	assert_equal "$stderr" ""
	assert_equal "$(ls d/*.json | wc -l)" "$WANT_ITEMS"
	tar cf x.tar -C d .
	mkdir d2 && tar xf x.tar -C d2
	run --separate-stderr bash -c 'mbx-frames --join d2 | cmp - orig; echo "${PIPESTATUS[*]}"'
	assert_equal "$output" "0 0"
	assert_equal "$stderr" ""
}

@test "--split refuses a directory that is not empty and clobbers nothing" {
	mkdir d && echo keep >d/000001.json
	run --separate-stderr mbx-frames --split d s.frames
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-frames: cannot split into 'd': directory is not empty"
	assert_equal "$(ls d)" 000001.json
	assert_equal "$(cat d/000001.json)" keep
	# a missing directory is created; a missing parent is an I/O error
	run --separate-stderr mbx-frames --split new s.frames
	assert_success
	assert_equal "$(ls new | tr '\n' ' ')" "000001.fxs 000001.json 000002.fxs 000002.json 000003.fxs 000003.json "
	run --separate-stderr mbx-frames --split no/such s.frames
	assert_equal "$status" 6
	assert_regex "$stderr" "^mbx-frames: cannot create directory 'no/such': No such file or directory$"
}

@test "--join checks every file: a changed payload, a missing payload, a stray payload" {
	mbx-frames --split d s.frames
	printf 'X' | dd of=d/000002.fxs bs=1 seek=100 conv=notrunc 2>/dev/null
	mbx-frames --join d >out 2>err || st=$?
	assert_equal "$st" 5
	assert_equal "$(cat err)" "mbx-frames: d/000002.fxs ('m2'): sha256 mismatch: the payload is corrupt"
	mbx-testtool frames-write m1 m3 >want
	cmp out want
	rm d/000002.fxs
	cp m2 d/000007.fxs
	echo 'not json' >d/000009.json
	echo 'left alone' >d/README
	st=0
	mbx-frames --join d >out 2>err || st=$?
	assert_equal "$st" 5
	assert_equal "$(cat err)" "mbx-frames: d/000002.json ('m2'): the payload file is missing
mbx-frames: d/000007.fxs: payload file without its header file 000007.json
mbx-frames: d/000009.json: header is not a JSON object: lexical error: invalid string in json text"
	cmp out want
	# a changed size is caught before the digest
	mbx-frames --split e s.frames
	sed -i 's/"size":[0-9]*/"size":1/' e/000003.json
	run --separate-stderr mbx-frames --join e
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-frames: e/000003.fxs ('m3'): size 1 in the header, the file has $(wc -c <m3) bytes"
}

# A damaged stream, in every mode that writes: "before" is what the complete frames
# before the damage give.

@test "a stream cut in a payload: the frames before it, then the item and its position" {
	head -c $((LEN1 + HDR2 + 50)) s.frames >cut
	msg="mbx-frames: cut: frame 2 at byte $LEN1 ('m2'): truncated: payload has 50 of $(wc -c <m2) bytes"
	run --separate-stderr mbx-frames -t cut
	assert_equal "$status" 5
	assert_equal "$output" "$(hdr m1)"
	assert_equal "$stderr" "$msg"
	run --separate-stderr mbx-frames --verify cut
	assert_equal "$status" 5
	assert_equal "$output" ""
	assert_equal "$stderr" "$msg
mbx-frames: 2 frames: 1 items ok, 1 bad, 0 error frames"
	mbx-frames --to-frames cut >out 2>err || st=$?
	assert_equal "$st" 5
	cmp out <(head -c "$LEN1" s.frames)
	assert_equal "$(cat err)" "$msg"
	run --separate-stderr mbx-frames --split d cut
	assert_equal "$status" 5
	assert_equal "$(ls d | tr '\n' ' ')" "000001.fxs 000001.json "
	# stdin is named as such; the next file is still read
	run --separate-stderr mbx-frames -t - s.frames <cut
	assert_equal "$status" 5
	assert_equal "$output" "$(hdr m1 m1 m2 m3)"
	assert_equal "$stderr" "mbx-frames: stdin: frame 2 at byte $LEN1 ('m2'): truncated: payload has 50 of $(wc -c <m2) bytes"
}

@test "a flipped payload byte: sha256 mismatch for that item, the frames around it still go out" {
	cp s.frames flip
	printf 'X' | dd of=flip bs=1 seek=$((LEN1 + HDR2 + 100)) conv=notrunc 2>/dev/null
	msg="mbx-frames: flip: frame 2 at byte $LEN1 ('m2'): sha256 mismatch: the payload is corrupt"
	run --separate-stderr mbx-frames -t flip
	assert_equal "$status" 5
	assert_equal "$output" "$(hdr m1 m3)"
	assert_equal "$stderr" "$msg"
	mbx-frames --to-ndjson flip >out 2>err || st=$?
	assert_equal "$st" 5
	assert_equal "$(jq -r .id out | tr '\n' ' ')" "m1 m3 "
	assert_equal "$(cat err)" "$msg"
	run --separate-stderr mbx-frames --decode flip
	assert_equal "$status" 5
	assert_equal "$(jq -r .fx.subject <<<"$output" | tr '\n' ' ')" "RE: Zahlen für Q1 third "
}

@test "a header with a wrong size: no LF after the payload, nothing after it trusted" {
	LC_ALL=C sed "/\"id\":\"m2\"/s/\"size\":[0-9]*/\"size\":$(( $(wc -c <m2) - 1 ))/" s.frames >wrong
	msg="mbx-frames: wrong: frame 2 at byte $LEN1 ('m2'): no LF after the payload: the size is wrong or the stream is corrupt"
	run --separate-stderr mbx-frames -t wrong
	assert_equal "$status" 5
	assert_equal "$output" "$(hdr m1)"
	assert_equal "$stderr" "$msg"
	run --separate-stderr mbx-frames --verify wrong
	assert_equal "$status" 5
	assert_equal "$stderr" "$msg
mbx-frames: 2 frames: 1 items ok, 1 bad, 0 error frames"
}

@test "a header of format version 2 is refused; the frames before and after still go out" {
	LC_ALL=C sed '/"id":"m2"/s/"v":1/"v":2/' s.frames >v2
	msg="mbx-frames: v2: frame 2 at byte $LEN1 ('m2'): unsupported frame version 2 (this reader knows 1)"
	run --separate-stderr mbx-frames -t v2
	assert_equal "$status" 5
	assert_equal "$output" "$(hdr m1 m3)"
	assert_equal "$stderr" "$msg"
	mbx-frames --to-frames v2 >out 2>err || st=$?
	assert_equal "$st" 5
	cmp out <(mbx-testtool frames-write m1 m3)
	assert_equal "$(cat err)" "$msg"
}

@test "a header that is not JSON: reported with its position, reading goes on at the next line" {
	{ mbx-testtool frames-write m1; echo 'garbage'; mbx-testtool frames-write m2 m3; } >g
	run --separate-stderr mbx-frames -t g
	assert_equal "$status" 5
	assert_equal "$output" "$(hdr m1 m2 m3)"
	assert_equal "$stderr" "mbx-frames: g: frame 2 at byte $LEN1: header is not a JSON object: lexical error: invalid char in json text"
	run --separate-stderr mbx-frames --verify g
	assert_equal "$status" 5
	assert_regex "$stderr" $'\nmbx-frames: 4 frames: 3 items ok, 1 bad, 0 error frames$'
	mbx-frames --split d g 2>/dev/null || st=$?
	assert_equal "$st" 5
	assert_equal "$(jq -r .id d/*.json | tr '\n' ' ')" "m1 m2 m3 "
}

@test "usage: exactly one mode; --join takes no files; an unreadable file is an I/O error" {
	run --separate-stderr mbx-frames <s.frames
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_regex "$stderr" "^usage: mbx-frames"
	run --separate-stderr mbx-frames -t --verify s.frames
	assert_equal "$status" 2
	assert_equal "$stderr" "mbx-frames: give one of -t, --verify, --decode, --to-ndjson, --to-frames, --split, --join"
	run --separate-stderr mbx-frames --join d s.frames
	assert_equal "$status" 2
	run --separate-stderr mbx-frames -t nosuch s.frames
	assert_equal "$status" 6
	assert_equal "$output" "$(hdr m1 m2 m3)"
	assert_equal "$stderr" "mbx-frames: cannot open 'nosuch': No such file or directory"
	run --separate-stderr mbx-frames --join nosuch
	assert_equal "$status" 6
	assert_equal "$stderr" "mbx-frames: cannot open directory 'nosuch': No such file or directory"
}
