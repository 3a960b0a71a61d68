#!/usr/bin/env bats
# mbx-graphd checks an imported stream as the service would (docs/mime.md 3.1, 1.8):
# it must parse as FastTransfer, hold no zero-length TransferBuffer, and set a valid
# PidTagMessageClass; what it takes, exportItems gives back byte for byte. The largest
# stream is --quota item= (graph-api.md 8.9), and a body past its bound is refused
# without being read.

load helpers

LIMIT=1048576

setup_file() {
	graphd_start --generate users=1,folders=1,items=2,seed=71 --quota "item=$LIMIT,upload=512M/300"
	export MBX1=$(mailbox_id user1@contoso.com) TOKEN=$(token)
	export URL=$(graph POST "admin/exchange/mailboxes/$MBX1/createImportSession" | sed '$d' | jq -r .importUrl)
}

teardown_file() {
	graphd_stop
}

code() { tail -n 1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }
count() { admin GET "/mailboxes/$MBX1" | jq '.items | length'; }

# gen NAME SPEC: a stream from mbx-testtool's generator into $BATS_TEST_TMPDIR/NAME
gen() {
	printf '%s' "$2" >"$BATS_TEST_TMPDIR/$1.json"
	mbx-testtool fx-gen "$BATS_TEST_TMPDIR/$1.json" >"$BATS_TEST_TMPDIR/$1"
}

# upload STREAM [curl args]: import the file as a new item in Drafts; body, then status
upload() {
	jq -n --rawfile d <(base64 -w0 "$1") '{FolderId:"drafts", Mode:"create", Data:$d}' \
		>"$BATS_TEST_TMPDIR/body"
	curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' -w '\n%{http_code}' \
		--data-binary @"$BATS_TEST_TMPDIR/body" "$URL" "${@:2}"
}

# exported ID: the decoded data exportItems gives for ID
exported() {
	graph POST "admin/exchange/mailboxes/$MBX1/exportItems" -H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"$1\"]}" | sed '$d' | jq -r '.value[0].data' | base64 -d
}

@test "a stream without PidTagMessageClass is 400 naming it; nothing is stored" {
	gen nc '{"minimal":true,"subject":"no class"}'
	n=$(count)
	run upload "$BATS_TEST_TMPDIR/nc"
	assert_equal "$(code "$output")" 400
	assert_equal "$(body "$output" | jq -r '"\(.error.code): \(.error.message)"')" \
		"ErrorInvalidRequest: Data sets no PidTagMessageClass (0x001A), which every message has."
	assert_equal "$(count)" "$n"
}

@test "a PidTagMessageClass that is not 1 to 255 ASCII characters without a final period is 400" {
	for c in 'IPM.Note.' 'IPM.Nöte' "$(printf 'IPM.%0300d' 0)"; do
		gen bad "{\"minimal\":true,\"subject\":\"x\",\"messageClass\":\"$c\"}"
		run upload "$BATS_TEST_TMPDIR/bad"
		assert_equal "$(code "$output")" 400
		assert_equal "$(body "$output" | jq -r .error.message)" \
			"Data's PidTagMessageClass is not 1 to 255 ASCII characters without a trailing period."
	done
}

@test "a zero-length TransferBuffer is 400 with its offset (the service calls it corrupt)" {
	gen ok '{"subject":"fine","body":"hello","messageClass":"IPM.Note"}'
	# after Config (16 bytes), IsInterfaceOk (32) and TellPartnerVersion (14)
	python3 - "$BATS_TEST_TMPDIR/ok" "$BATS_TEST_TMPDIR/empty" <<-'EOF'
	import sys
	b = open(sys.argv[1], 'rb').read()
	assert b[62:66] == b'\x02\x00\x00\x00', b[62:66]
	open(sys.argv[2], 'wb').write(b[:62] + b'\x02\x00\x00\x00\x00\x00\x00\x00' + b[62:])
	EOF
	run upload "$BATS_TEST_TMPDIR/empty"
	assert_equal "$(code "$output")" 400
	assert_equal "$(body "$output" | jq -r .error.message)" \
		"Data is not a valid item stream: an empty TransferBuffer at blob offset 62."
	run upload "$BATS_TEST_TMPDIR/ok"
	assert_equal "$(code "$output")" 200
}

@test "a cut stream and bytes that are no stream are 400" {
	gen ok '{"subject":"fine","body":"hello","messageClass":"IPM.Note"}'
	head -c 150 "$BATS_TEST_TMPDIR/ok" >"$BATS_TEST_TMPDIR/cut"
	run upload "$BATS_TEST_TMPDIR/cut"
	assert_equal "$(code "$output")" 400
	assert_regex "$(body "$output" | jq -r .error.message)" '^Data is not a valid item stream: truncated at '
	printf 'Subject: not FastTransfer\r\n\r\nhello\r\n' >"$BATS_TEST_TMPDIR/mime"
	run upload "$BATS_TEST_TMPDIR/mime"
	assert_equal "$(code "$output")" 400
	assert_regex "$(body "$output" | jq -r .error.message)" '^Data is not a valid item stream: '
}

@test "every shared sample stream imports and exports back byte for byte" {
	[ -d "$MBX_SAMPLES/fasttransfer" ] || skip "no samples in $MBX_SAMPLES"
	n=0
	for f in "$MBX_SAMPLES"/fasttransfer/*.bin; do
		run upload "$f"
		assert_equal "$(code "$output") $f" "200 $f"
		exported "$(body "$output" | jq -r .itemId)" >"$BATS_TEST_TMPDIR/back"
		run cmp "$f" "$BATS_TEST_TMPDIR/back"
		assert_success
		n=$((n + 1))
	done
	assert [ "$n" -ge 5 ]
}

@test "a stream just under --quota item= imports and comes back whole; just over it is 413" {
	# the stream is about 2 bytes per body character (UTF-16) and some framing
	gen small '{"subject":"size","body":"x","messageClass":"IPM.Note"}'
	base=$(stat -c %s "$BATS_TEST_TMPDIR/small")
	chars=$(( (LIMIT - 4096 - base) / 2 ))
	gen near "{\"subject\":\"size\",\"messageClass\":\"IPM.Note\",\"body\":\"$(head -c "$chars" /dev/zero | tr '\0' y)\"}"
	size=$(stat -c %s "$BATS_TEST_TMPDIR/near")
	assert [ "$size" -le "$LIMIT" ]
	assert [ "$size" -gt $((LIMIT - 8192)) ]
	run upload "$BATS_TEST_TMPDIR/near"
	assert_equal "$(code "$output")" 200
	exported "$(body "$output" | jq -r .itemId)" >"$BATS_TEST_TMPDIR/back"
	run cmp "$BATS_TEST_TMPDIR/near" "$BATS_TEST_TMPDIR/back"
	assert_success
	gen over "{\"subject\":\"size\",\"messageClass\":\"IPM.Note\",\"body\":\"$(head -c $((chars + 4096)) /dev/zero | tr '\0' y)\"}"
	assert [ "$(stat -c %s "$BATS_TEST_TMPDIR/over")" -gt "$LIMIT" ]
	n=$(count)
	run upload "$BATS_TEST_TMPDIR/over"
	assert_equal "$(code "$output")" 413
	assert_equal "$(body "$output" | jq -r '"\(.error.code): \(.error.message)"')" \
		"RequestEntityTooLarge: The item is larger than $LIMIT bytes, the largest an import takes."
	assert_equal "$(count)" "$n"
}

@test "a body past the bound is 413: at once and unread by its Content-Length; else dropped" {
	head -c $((6 * LIMIT)) /dev/zero | tr '\0' A >"$BATS_TEST_TMPDIR/huge"
	run curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' -w '\n%{http_code}' \
		--data-binary @"$BATS_TEST_TMPDIR/huge" "$URL"
	assert_equal "$(code "$output")" 413
	assert_regex "$(body "$output" | jq -r .error.message)" '^The request body is larger than [0-9]+ bytes\.$'
	assert_equal "$(tail -n 1 "$GRAPHD_DIR/graphd.log" | jq -c '[.status, .bytes]')" '[413,0]'
	# chunked: no length to judge by; what passes the bound is read and dropped
	run curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
		-w '\n%{http_code}' --data-binary @"$BATS_TEST_TMPDIR/huge" "$URL"
	assert_equal "$(code "$output")" 413
	assert_equal "$(tail -n 1 "$GRAPHD_DIR/graphd.log" | jq -c '[.status, .bytes]')" "[413,$((6 * LIMIT))]"
}

@test "the body's members: each once, strings only, no others" {
	gen ok '{"subject":"fine","body":"hello","messageClass":"IPM.Note"}'
	d=$(base64 -w0 "$BATS_TEST_TMPDIR/ok")
	for b in "{\"FolderId\":\"drafts\",\"Mode\":\"create\",\"Mode\":\"create\",\"Data\":\"$d\"}" \
		"{\"FolderId\":\"drafts\",\"Mode\":1,\"Data\":\"$d\"}" \
		"{\"FolderId\":\"drafts\",\"Mode\":\"create\",\"Data\":\"$d\",\"Extra\":\"x\"}" \
		"[\"FolderId\"]" "{\"FolderId\":\"drafts\",\"Mode\":\"create\",\"Data\":\"no base64!\"}"; do
		run curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' -w '\n%{http_code}' -d "$b" "$URL"
		echo "$(body "$output" | jq -r .error.message)" >>"$BATS_TEST_TMPDIR/msgs"
		assert_equal "$(code "$output")" 400
	done
	run cat "$BATS_TEST_TMPDIR/msgs"
	assert_output "$(printf '%s\n' "Parameter 'Mode' is given twice." "'Mode' must be a string." \
		"Unknown parameter 'Extra'." "Unable to read JSON request payload." "Data is not valid base64.")"
}

@test "--quota item= takes 1 byte to 200M" {
	for q in item=0 item=201M item=lots; do
		run --separate-stderr mbx-graphd --quota "$q" --generate users=1
		assert_equal "$status" 2
		assert_regex "$stderr" "^mbx-graphd: invalid --quota '$q': expected concurrency=N, upload=BYTES/SECONDS or item=BYTES"
	done
}
