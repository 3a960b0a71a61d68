#!/usr/bin/env bats
# mbx-export and the emulator's exportItems (graph-api.md 3.13): batching, streaming
# frames, matching by itemId, re-queueing, error frames, and nothing lost.

load helpers

setup_file() {
	graphd_start --generate users=2,folders=4,items=70,size=6k,seed=21
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
	# item records only (mbx-ls also passes the folder records on; tested below)
	mbx-folders user1@contoso.com | mbx-ls | grep '^{"type":"item"' >"$BATS_FILE_TMPDIR/items1"
	mbx-folders user2@contoso.com | mbx-ls | grep '^{"type":"item"' >"$BATS_FILE_TMPDIR/items2"
	admin GET "/mailboxes/$MBX1" | jq -r '.items[] | "\(.id) \(.sha256)"' | sort >"$BATS_FILE_TMPDIR/want1"
	admin GET "/mailboxes/$MBX2" | jq -r '.items[] | "\(.id) \(.sha256)"' | sort >"$BATS_FILE_TMPDIR/want2"
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
	LOG_FROM=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
}

log_since() { tail -n +"$LOG_FROM" "$GRAPHD_DIR/graphd.log"; }
# "id sha256" of the item frames in a stream, sorted
frame_shas() { mbx-testtool frames-read <"$1" >/dev/null && grep -a '^{"type":"item"' "$1" | jq -r '"\(.id) \(.sha256)"' | sort; }

@test "every item of a mailbox comes out once, byte-identical to the service's stream" {
	run --separate-stderr mbx-export <"$BATS_FILE_TMPDIR/items1"
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/f"
	mbx-export <"$BATS_FILE_TMPDIR/items1" >"$BATS_TEST_TMPDIR/frames"
	run --separate-stderr mbx-testtool frames-read <"$BATS_TEST_TMPDIR/frames"
	assert_success
	assert_equal "${#lines[@]}" 70
	diff <(frame_shas "$BATS_TEST_TMPDIR/frames") "$BATS_FILE_TMPDIR/want1"
	# the header is the item record: folderPath and friends survive
	run jq -r 'select(.v == 1) | .folderPath' < <(grep -a '^{"type":"item"' "$BATS_TEST_TMPDIR/frames")
	assert_line --partial /Inbox
}

@test "calls carry at most 20 ids of one mailbox; two mailboxes mixed are grouped" {
	paste -d '\n' "$BATS_FILE_TMPDIR/items1" "$BATS_FILE_TMPDIR/items2" >"$BATS_TEST_TMPDIR/mixed"
	run --separate-stderr mbx-export --stats "$BATS_TEST_TMPDIR/stats" <"$BATS_TEST_TMPDIR/mixed"
	assert_success
	mbx-export <"$BATS_TEST_TMPDIR/mixed" >"$BATS_TEST_TMPDIR/frames"
	diff <(frame_shas "$BATS_TEST_TMPDIR/frames") <(sort -m "$BATS_FILE_TMPDIR/want1" "$BATS_FILE_TMPDIR/want2")
	# 70 items per mailbox: 4 calls each (20+20+20+10), per run
	assert_equal "$(log_since | jq -r 'select(.path | endswith("/exportItems")) | .mailbox' | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" "8 8 "
	assert_equal "$(jq -r '"\(.items) \(.ok) \(.failed)"' "$BATS_TEST_TMPDIR/stats")" "140 140 0"
	assert_equal "$(log_since | jq -r 'select(.status == 429) | .path' | wc -l)" 0
}

@test "--ndjson writes the inline form; --mailbox takes ids from the command line" {
	ids=$(head -n 3 "$BATS_FILE_TMPDIR/items1" | jq -r .id)
	run --separate-stderr mbx-export --ndjson --mailbox "$MBX1" $ids
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_equal "$(jq -r '.data | @base64d | length > 0' <<<"${lines[0]}")" true
	assert_equal "$(jq -r .id <<<"${lines[0]}")" "$(head -n 1 <<<"$ids")"
}

@test "a non-JSON or non-item line: an error record naming the line, the rest exported" {
	{ head -n 5 "$BATS_FILE_TMPDIR/items1"; echo 'garbage'; echo '{"type":"mailbox","mailbox":"MBX:a@b","id":"x"}'; tail -n +6 "$BATS_FILE_TMPDIR/items1"; } \
		>"$BATS_TEST_TMPDIR/in"
	mbx-export <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/frames" 2>"$BATS_TEST_TMPDIR/err" && st=0 || st=$?
	assert_equal "$st" 1
	diff <(frame_shas "$BATS_TEST_TMPDIR/frames") "$BATS_FILE_TMPDIR/want1"
	run grep -a '"type":"error"' "$BATS_TEST_TMPDIR/frames"
	assert_equal "${#lines[@]}" 2
	assert_regex "${lines[0]}" '"message":"stdin:6: not a JSON object'
	assert_regex "${lines[1]}" '"message":"stdin:7: not an item record"'
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/err")" 2
}

@test "folder records pass through as payload-less frames, in place, not counted as items" {
	mbx-folders user1@contoso.com | mbx-ls >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr bash -c "mbx-export --stats '$BATS_TEST_TMPDIR/stats' <'$BATS_TEST_TMPDIR/in' | mbx-frames -t"
	assert_success
	assert_equal "$stderr" ""
	diff <(printf '%s\n' "${lines[@]}" | jq -c 'select(.type == "folder")') <(grep '^{"type":"folder"' "$BATS_TEST_TMPDIR/in")
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '"type":"item"')" 70
	assert_equal "$(jq -r '"\(.items) \(.ok)"' "$BATS_TEST_TMPDIR/stats")" "70 70"
}

@test "entries missing from a response and per-item errors are asked again, then exported" {
	admin POST /faults --data-binary $'match=/exportItems,omit=3,count=1\nmatch=/exportItems,itemerror=ErrorInternalServerTransientError,count=1' >/dev/null
	run --separate-stderr mbx-export <"$BATS_FILE_TMPDIR/items1"
	assert_success
	assert_equal "$stderr" ""
	mbx-export <"$BATS_FILE_TMPDIR/items1" >"$BATS_TEST_TMPDIR/frames"
	diff <(frame_shas "$BATS_TEST_TMPDIR/frames") "$BATS_FILE_TMPDIR/want1"
	assert_equal "$(log_since | jq -r 'select(.fault) | .fault' | sort | tr '\n' ' ')" "itemerror omit "
}

@test "an item that never comes back: an error frame after bounded retries, counts in = out" {
	admin POST /faults --data-binary 'match=/exportItems,omit=1,count=0' >/dev/null
	mbx-export <"$BATS_FILE_TMPDIR/items1" >"$BATS_TEST_TMPDIR/frames" 2>"$BATS_TEST_TMPDIR/err" && st=0 || st=$?
	assert_equal "$st" 1
	items=$(grep -ac '^{"type":"item"' "$BATS_TEST_TMPDIR/frames")
	errors=$(grep -ac '^{"type":"error"' "$BATS_TEST_TMPDIR/frames")
	assert_equal "$((items + errors))" 70
	assert [ "$errors" -ge 1 ]
	assert_regex "$(head -n 1 "$BATS_TEST_TMPDIR/err")" "^mbx-export: cannot export 'AAMk[^']+': the service did not return the item$"
}

# A token that cannot be renewed fails every call alike: the run stops with one line and
# exit 3, and what was exported stays (mbx(7) EXIT STATUS). It also once hung: the token
# request ran the engine, which started a queued call, which waited for the token lock
# its own process held (timeout turns a hang into a failure here).
@test "a token that cannot be renewed mid-run: exit 3, one line, what was written stays" {
	rm -f "$XDG_CACHE_HOME"/mbx/token-*.json
	admin POST /token-lifetime -d '{"seconds":2}' >/dev/null
	admin POST /faults --data-binary $'match=/oauth2/v2.0/token,status=400,skip=1,count=0\nmatch=/exportItems,latency=700,count=0' >/dev/null
	timeout 60 mbx-export --jobs 1 <"$BATS_FILE_TMPDIR/items1" >"$BATS_TEST_TMPDIR/frames" \
		2>"$BATS_TEST_TMPDIR/err" && st=0 || st=$?
	admin POST /token-lifetime -d '{"seconds":3599}' >/dev/null
	admin DELETE /faults >/dev/null
	assert_equal "$st" 3
	assert_regex "$(cat "$BATS_TEST_TMPDIR/err")" "^mbx-export: cannot export items of '$MBX1': cannot get a token for client '$GEN_CLIENT_ID': [^"$'\n'"]+$"
	run mbx-testtool frames-read <"$BATS_TEST_TMPDIR/frames"
	assert_success
	assert_equal "$(grep -ac '^{"type":"error"' "$BATS_TEST_TMPDIR/frames")" 0
	n=$(grep -ac '^{"type":"item"' "$BATS_TEST_TMPDIR/frames")
	assert [ "$n" -ge 20 ] && assert [ "$n" -lt 70 ]
	# each one byte-identical to the service's stream
	assert_equal "$(comm -23 <(frame_shas "$BATS_TEST_TMPDIR/frames") "$BATS_FILE_TMPDIR/want1")" ""
}

@test "a 403 fails only the items of that call: error frames, the rest exported, exit 3" {
	admin POST /faults --data-binary 'match=/exportItems,status=403,count=1' >/dev/null
	mbx-export --jobs 1 <"$BATS_FILE_TMPDIR/items1" >"$BATS_TEST_TMPDIR/frames" \
		2>"$BATS_TEST_TMPDIR/err" && st=0 || st=$?
	assert_equal "$st" 3
	assert_equal "$(grep -ac '^{"type":"error"' "$BATS_TEST_TMPDIR/frames")" 20
	assert_equal "$(grep -ac '^{"type":"item"' "$BATS_TEST_TMPDIR/frames")" 50
	assert_equal "$(grep -c . "$BATS_TEST_TMPDIR/err")" 20
	assert_regex "$(head -n 1 "$BATS_TEST_TMPDIR/err")" "^mbx-export: cannot export 'AAMk[^']+': 403 "
}

@test "an unknown id: ErrorItemNotFound error frame, no retry, exit 1" {
	run --separate-stderr mbx-export --ndjson --mailbox "$MBX1" AAMkADNmZjI1AEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "$(head -n 1 "$BATS_FILE_TMPDIR/items1" | jq -r .id)"
	assert_equal "$status" 1
	assert_equal "$(grep -ac '^{"type":"error"' <<<"$output")" 1
	assert_equal "$(grep -ac '"data":' <<<"$output")" 1
	assert_regex "$stderr" "cannot export 'AAMkADNmZjI1AEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAA': ErrorItemNotFound$"
	assert_equal "$(log_since | jq -r 'select(.path | endswith("/exportItems")) | .path' | wc -l)" 1
}

@test "exportItems is strict: 0 or 21 ids are refused; ItemIds is accepted too" {
	TOKEN=$(token)
	run graph POST "admin/exchange/mailboxes/$MBX1/exportItems" -H 'Content-Type: application/json' -d '{"itemIds":[]}'
	assert_equal "$(tail -n 1 <<<"$output")" 400
	ids=$(jq -R . < <(for i in $(seq 21); do echo AAMkADNmZjI1AEYAAAAAAAAAAAA$i; done) | jq -sc .)
	run graph POST "admin/exchange/mailboxes/$MBX1/exportItems" -H 'Content-Type: application/json' -d "{\"itemIds\":$ids}"
	assert_equal "$(tail -n 1 <<<"$output")" 400
	assert_equal "$(sed '$d' <<<"$output" | jq -r .error.code)" ErrorInvalidRequest
	id=$(head -n 1 "$BATS_FILE_TMPDIR/items1" | jq -r .id)
	run graph POST "admin/exchange/mailboxes/$MBX1/exportItems" -H 'Content-Type: application/json' -d "{\"ItemIds\":[\"$id\",\"bad id!\"]}"
	assert_equal "$(tail -n 1 <<<"$output")" 200
	assert_equal "$(sed '$d' <<<"$output" | jq -r '.value[0].itemId, .value[1].error.code' | tr '\n' ' ')" "$id ErrorInvalidIdMalformed "
}

@test "usage: --mailbox needs ids, ids need --mailbox" {
	run --separate-stderr mbx-export --mailbox MBX:x@y
	assert_equal "$status" 2
	assert_regex "$stderr" "^usage: mbx-export"
	run --separate-stderr mbx-export AAMk
	assert_equal "$status" 2
}
