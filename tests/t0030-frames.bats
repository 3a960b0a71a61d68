#!/usr/bin/env bats
# lib/base/frame.c: the frame stream of mbx-frames(5), both forms, and damaged streams.

load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf 'hello\n' >a
	head -c 3000 /dev/urandom >b
	: >c
	mbx-testtool frames-write a b c >s.frames
}

@test "frames round-trip: header, exact payload, LF; an empty payload is fine" {
	run --separate-stderr mbx-testtool frames-read <s.frames
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" $'1 0 item a 6\n2 143 item b 3000\n3 3283 item c 0'
	# head -1 shows what the stream holds
	run jq -c '{v, size, sha256}' < <(head -n 1 s.frames)
	assert_output "{\"v\":1,\"size\":6,\"sha256\":\"$(sha256sum a | cut -d' ' -f1)\"}"
}

@test "the NDJSON form and frames concatenate and read alike" {
	mbx-testtool frames-write --ndjson a b >s.nd
	run jq -r '.data' s.nd
	assert_equal "$(head -n 1 <<<"$output" | base64 -d)" hello
	run --separate-stderr mbx-testtool frames-read < <(cat s.nd s.frames)
	assert_success
	assert_equal "${lines[0]}" "1 0 item a 6 ndjson"
	assert_equal "${lines[1]}" "2 145 item b 3000 ndjson"
	assert_equal "${lines[4]}" "5 $(( $(wc -c <s.nd) + 3283 )) item c 0"
}

@test "a stream cut in a payload: every complete frame before it, then the item and position" {
	head -c 3050 s.frames >cut
	run --separate-stderr mbx-testtool frames-read <cut
	assert_equal "$status" 5
	assert_equal "$output" "1 0 item a 6"
	assert_equal "$stderr" "mbx-testtool: stdin: frame 2 at byte 143 ('b'): truncated: payload has 2768 of 3000 bytes"
}

@test "a flipped payload byte: sha256 mismatch reported, the frames after it still read" {
	cp s.frames flip
	printf 'X' | dd of=flip bs=1 seek=1000 conv=notrunc 2>/dev/null
	run --separate-stderr mbx-testtool frames-read <flip
	assert_equal "$status" 5
	assert_equal "$output" $'1 0 item a 6\n3 3283 item c 0'
	assert_equal "$stderr" "mbx-testtool: stdin: frame 2 at byte 143 ('b'): sha256 mismatch: the payload is corrupt"
}

@test "a header with a wrong size: reported with its position, nothing after it is trusted" {
	sed '/"id":"b"/s/"size":3000/"size":2999/' s.frames >wrong
	run --separate-stderr mbx-testtool frames-read <wrong
	assert_equal "$status" 5
	assert_equal "$output" "1 0 item a 6"
	assert_equal "$stderr" "mbx-testtool: stdin: frame 2 at byte 143 ('b'): no LF after the payload: the size is wrong or the stream is corrupt"
}

@test "a size larger than the rest of the stream is a truncation" {
	sed '1s/"size":6/"size":600000/' s.frames >big
	run --separate-stderr mbx-testtool frames-read <big
	assert_equal "$status" 5
	assert_equal "$output" ""
	assert_regex "$stderr" "frame 1 at byte 0 \('a'\): truncated: payload has [0-9]+ of 600000 bytes$"
}

@test "a header that is not JSON is reported; the reader goes on at the next line" {
	{ echo 'garbage'; mbx-testtool frames-write --ndjson a; } >g
	run --separate-stderr mbx-testtool frames-read <g
	assert_equal "$status" 5
	assert_equal "$output" "2 8 item a 6 ndjson"
	assert_regex "$stderr" "^mbx-testtool: stdin: frame 1 at byte 0: header is not a JSON object"
}

@test "bad base64 in the NDJSON form is reported for that item only" {
	mbx-testtool frames-write --ndjson a b | sed '1s/"data":"[^"]*"/"data":"a*b"/' >badb64
	run --separate-stderr mbx-testtool frames-read <badb64
	assert_equal "$status" 5
	assert_equal "$output" "2 $(head -n 1 badb64 | wc -c) item b 3000 ndjson"
	assert_equal "$stderr" "mbx-testtool: stdin: frame 1 at byte 0 ('a'): \"data\" is not valid base64"
}

@test "error frames have no payload and pass as records" {
	{ echo '{"type":"error","mailbox":"MBX:t@t","id":"z","code":"ErrorItemNotFound","message":"m"}'; cat s.frames; } >e
	run --separate-stderr mbx-testtool frames-read <e
	assert_success
	assert_equal "${lines[0]}" "1 0 error z 0"
	assert_equal "${lines[1]}" "2 $(head -n 1 e | wc -c) item a 6"
}
