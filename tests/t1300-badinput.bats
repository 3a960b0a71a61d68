#!/usr/bin/env bats
# Bad input to the discovery filters: every bad line becomes an error record naming it,
# every good line is still processed, and the exit code says some failed.

load helpers

setup_file() {
	graphd_start --generate users=1,folders=4,items=30,size=2k,seed=9
	mbx-folders user1@contoso.com >"$BATS_FILE_TMPDIR/folders"
	export NFOLDERS=$(wc -l <"$BATS_FILE_TMPDIR/folders")
	mbx-ls <"$BATS_FILE_TMPDIR/folders" >"$BATS_FILE_TMPDIR/items"
	# mbx-ls passes each folder record on before its items
	export NITEMS=$(grep -c '"type":"item"' "$BATS_FILE_TMPDIR/items")
	[ "$(grep -c '"type":"folder"' "$BATS_FILE_TMPDIR/items")" -eq "$NFOLDERS" ]
}

teardown_file() {
	graphd_stop
}

@test "a non-JSON line on mbx-ls's stdin: error naming the line, other lines processed, exit 1" {
	{ head -n 1 "$BATS_FILE_TMPDIR/folders"; echo 'this is not json'; tail -n +2 "$BATS_FILE_TMPDIR/folders"; } \
		>"$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-ls <"$BATS_TEST_TMPDIR/in"
	assert_equal "$status" 1
	assert_equal "$(grep -c '"type":"item"' <<<"$output")" "$NITEMS"
	assert_equal "$(grep -c '"type":"error"' <<<"$output")" 1
	assert_regex "$(grep '"type":"error"' <<<"$output")" '"message":"stdin:2: not a JSON object'
	assert_regex "$stderr" "^mbx-ls: stdin:2: not a JSON object"
	assert_equal "$(wc -l <<<"$stderr")" 1
}

@test "a record of the wrong type is an error record naming the line" {
	{ grep -m 1 '"type":"item"' "$BATS_FILE_TMPDIR/items"; cat "$BATS_FILE_TMPDIR/folders"; } >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-ls <"$BATS_TEST_TMPDIR/in"
	assert_equal "$status" 1
	assert_equal "$(grep -c '"type":"item"' <<<"$output")" "$NITEMS"
	assert_regex "$stderr" "^mbx-ls: stdin:1: unexpected record type 'item'$"
}

@test "a folder record without an id is reported, the rest listed" {
	{ echo '{"type":"folder","mailbox":"MBX:x@y","path":"/x"}'; cat "$BATS_FILE_TMPDIR/folders"; } \
		>"$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-ls <"$BATS_TEST_TMPDIR/in"
	assert_equal "$status" 1
	assert_equal "$(grep -c '"type":"item"' <<<"$output")" "$NITEMS"
	assert_equal "$stderr" "mbx-ls: stdin:1: folder record without an id"
}

@test "error records from upstream pass through unchanged, exit 1" {
	err='{"type":"error","mailbox":"MBX:a@b","subject":"x","code":"Boom","message":"m","program":"mbx-folders"}'
	{ echo "$err"; cat "$BATS_FILE_TMPDIR/folders"; } >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-ls <"$BATS_TEST_TMPDIR/in"
	assert_equal "$status" 1
	assert_equal "${lines[0]}" "$err"
	assert_equal "$(grep -c '"type":"item"' <<<"$output")" "$NITEMS"
	assert_equal "$stderr" ""
}

@test "a folder that no longer exists: error record, the other folders listed" {
	{ echo '{"type":"folder","mailbox":"'"$(head -n1 "$BATS_FILE_TMPDIR/folders" | jq -r .mailbox)"'","id":"AAMkAGhvc3Q=","path":"/Gone"}'
	  cat "$BATS_FILE_TMPDIR/folders"; } >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-ls <"$BATS_TEST_TMPDIR/in"
	assert_equal "$status" 1
	assert_equal "$(grep -c '"type":"item"' <<<"$output")" "$NITEMS"
	assert_equal "$(jq -r 'select(.type=="error") | .subject' <<<"$output")" /Gone
	assert_regex "$stderr" "^mbx-ls: cannot list items of '/Gone' in 'MBX:[^']+': 404 Not Found: ErrorItemNotFound"
}

@test "an unknown folder path given as an argument: error record, the other paths listed" {
	run --separate-stderr mbx-ls user1@contoso.com /NoSuch /Inbox
	assert_equal "$status" 1
	assert_equal "$(jq -r 'select(.type=="error") | .subject' <<<"$output")" /NoSuch
	assert [ "$(grep -c '"type":"item"' <<<"$output")" -gt 0 ]
	assert_regex "$stderr" "^mbx-ls: cannot find folder '/NoSuch' in 'MBX:[^']+': no folder 'NoSuch' under '/'$"
}

@test "a bad escape in a path is refused clearly" {
	run --separate-stderr mbx-ls user1@contoso.com '/Inbox\x'
	assert_equal "$status" 1
	assert_equal "$(jq -r .type <<<"$output")" error
	assert_regex "$stderr" "^mbx-ls: cannot find folder '/Inbox.x' in 'MBX:[^']+': "
}

@test "empty input: no output, exit 0" {
	run --separate-stderr mbx-ls </dev/null
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" ""
}
