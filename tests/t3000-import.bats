#!/usr/bin/env bats
# mbx-import: frames into another mailbox, folders made on demand, the journal, session
# renewal, and every bad input of the import issue.

load helpers

setup_file() {
	graphd_start --generate users=3,folders=4,items=40,size=3k,seed=31
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
	export MBX3=$(mailbox_id user3@contoso.com)
	mbx-folders user1@contoso.com | mbx-ls | mbx-export >"$BATS_FILE_TMPDIR/frames"
	admin GET "/mailboxes/$MBX1" >"$BATS_FILE_TMPDIR/src.json"
	# the items alone, in the NDJSON form (the stream also carries folder records)
	mbx-frames --to-ndjson "$BATS_FILE_TMPDIR/frames" | grep '^{"type":"item"' >"$BATS_FILE_TMPDIR/items"
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
}

# a fresh prefix per test, so tests do not see each other's items
fresh() { echo "/T$BATS_TEST_NUMBER"; }

@test "the migration pipeline recreates the tree under --under, every item once, byte-identical" {
	run --separate-stderr bash -c "set -o pipefail; mbx-folders user1@contoso.com | mbx-ls | mbx-export | mbx-import user2@contoso.com --under /FromA --journal '$BATS_TEST_TMPDIR/j' --stats '$BATS_TEST_TMPDIR/stats'"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 40
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r '"\(.type) \(.status) \(.mailbox)"' | sort -u)" "imported created $MBX2"
	# the source id, changeKey and path travel with each result
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r '.source.mailbox' | sort -u)" "$MBX1"
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.folderPath != "/FromA" + .source.folderPath) | .id')" ""
	diff <(tree_items "$MBX2" /FromA) <(src_items "$BATS_FILE_TMPDIR/src.json")
	# the folder tree is A's (empty folders too), under /FromA
	diff <(mbx-folders user2@contoso.com /FromA | jq -r '.path | ltrimstr("/FromA")' | grep . | sort) \
		<(mbx-folders user1@contoso.com | jq -r .path | sort)
	assert_equal "$(jq -r '"\(.items) \(.ok) \(.failed) \(.skipped) \(.sessions)"' "$BATS_TEST_TMPDIR/stats")" "40 40 0 0 1"
	# a second run with the journal imports nothing new
	run --separate-stderr bash -c "set -o pipefail; mbx-import user2@contoso.com --under /FromA --journal '$BATS_TEST_TMPDIR/j' <'$BATS_FILE_TMPDIR/frames'"
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .status | sort | uniq -c | awk '{print $1, $2}')" "40 skipped"
	diff <(tree_items "$MBX2" /FromA) <(src_items "$BATS_FILE_TMPDIR/src.json")
}

@test "--folder puts every item in one folder; -n imports nothing and says what it would do" {
	p=$(fresh)
	run --separate-stderr mbx-import -n user3@contoso.com --folder "$p/All" <"$BATS_FILE_TMPDIR/frames"
	assert_success
	assert_equal "${#lines[@]}" 40
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .status | sort -u)" would-create
	assert_equal "$(tree_items "$MBX3" "$p" | wc -l)" 0
	run --separate-stderr mbx-import user3@contoso.com --folder "$p/All" <"$BATS_FILE_TMPDIR/frames"
	assert_success
	assert_equal "$(tree_items "$MBX3" "$p" | awk '{print $1}' | sort | uniq -c | awk '{print $1, $2}')" "40 /All"
	diff <(tree_items "$MBX3" "$p" | awk '{print $NF}' | sort) <(src_items "$BATS_FILE_TMPDIR/src.json" | awk '{print $NF}' | sort)
}

@test "the NDJSON form imports like frames; upstream error frames pass through as error records" {
	p=$(fresh)
	head -n 5 "$BATS_FILE_TMPDIR/items" >"$BATS_TEST_TMPDIR/in"
	echo '{"type":"error","mailbox":"'"$MBX1"'","subject":"AAMkgone","code":"ErrorItemNotFound","message":"cannot export","program":"mbx-export"}' >>"$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-import user3@contoso.com --under "$p" <"$BATS_TEST_TMPDIR/in"
	assert_failure 1
	assert_equal "${#lines[@]}" 6
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .type | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')" "1 error 5 imported "
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep '"type":"error"')" "$(tail -n 1 "$BATS_TEST_TMPDIR/in")"
	assert_equal "$(tree_items "$MBX3" "$p" | wc -l)" 5
}

@test "a truncated stream: every complete frame imported, the cut one reported by position, exit 5" {
	p=$(fresh)
	# cut in the middle of the 10th item's payload
	hdr=$(grep -abo '^{"type":"item"' "$BATS_FILE_TMPDIR/frames" | sed -n 10p | cut -d: -f1)
	len=$(grep -a '^{"type":"item"' "$BATS_FILE_TMPDIR/frames" | sed -n 10p | wc -c)
	head -c $(( hdr + len + 100 )) "$BATS_FILE_TMPDIR/frames" >"$BATS_TEST_TMPDIR/cut"
	complete=$(mbx-frames -t "$BATS_TEST_TMPDIR/cut" 2>/dev/null | grep -c '"type":"item"')
	frames=$(mbx-frames -t "$BATS_TEST_TMPDIR/cut" 2>/dev/null | wc -l)
	run --separate-stderr mbx-import user3@contoso.com --under "$p" <"$BATS_TEST_TMPDIR/cut"
	assert_failure 5
	assert_equal "$complete" 9
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "imported") | .id' | wc -l)" "$complete"
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "error") | .code')" BadFrame
	[[ $stderr =~ ^mbx-import:\ stdin:\ frame\ $((frames + 1))\ at\ byte\ $hdr\ \(\'AAMk[^\']*\'\):\ truncated:\ payload\ has\ 100\ of ]]
	assert_equal "$(tree_items "$MBX3" "$p" | wc -l)" "$complete"
}

@test "a flipped byte: that item is refused with its position, the others imported, exit 5" {
	p=$(fresh)
	cp "$BATS_FILE_TMPDIR/frames" "$BATS_TEST_TMPDIR/bad"
	# a byte inside the third frame's payload
	off=$(mbx-frames -t "$BATS_FILE_TMPDIR/frames" | head -n 3 | tail -n 1 | jq -r .size)
	hdr3=$(grep -abo '^{"type":"item"' "$BATS_TEST_TMPDIR/bad" | sed -n 3p | cut -d: -f1)
	len3=$(grep -a '^{"type":"item"' "$BATS_TEST_TMPDIR/bad" | sed -n 3p | wc -c)
	pos=$(( hdr3 + len3 + off / 2 ))
	b=$(dd if="$BATS_TEST_TMPDIR/bad" bs=1 skip="$pos" count=1 status=none | od -An -tu1 | tr -d ' ')
	printf "\\$(printf %03o $(( (b + 1) % 256 )))" | dd of="$BATS_TEST_TMPDIR/bad" bs=1 seek="$pos" conv=notrunc status=none
	run --separate-stderr mbx-import user3@contoso.com --under "$p" <"$BATS_TEST_TMPDIR/bad"
	assert_failure 5
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "imported") | .id' | wc -l)" 39
	idx=$(mbx-frames -t "$BATS_FILE_TMPDIR/frames" | grep -n '"type":"item"' | sed -n 3p | cut -d: -f1)
	[[ $stderr =~ frame\ $idx\ at\ byte\ [0-9]+\ \(\'$(sed -n 3p "$BATS_FILE_TMPDIR/items" | jq -r .id | sed 's/[+/=]/./g')\'\):\ sha256\ mismatch ]]
	assert_equal "$(tree_items "$MBX3" "$p" | wc -l)" 39
}

@test "a payload the service rejects (400): an error record, the run goes on, exit 1" {
	p=$(fresh)
	head -n 4 "$BATS_FILE_TMPDIR/items" >"$BATS_TEST_TMPDIR/in"
	# a valid frame whose bytes are not a FastTransfer stream
	printf 'hello, not an item' >"$BATS_TEST_TMPDIR/junk"
	sed -n 2p "$BATS_TEST_TMPDIR/in" | jq -c --arg d "$(base64 -w0 "$BATS_TEST_TMPDIR/junk")" \
		--arg s "$(sha256sum "$BATS_TEST_TMPDIR/junk" | cut -d' ' -f1)" '.data = $d | .sha256 = $s | .id = "AAMkjunk00001"' >"$BATS_TEST_TMPDIR/j1"
	sed -i "2r $BATS_TEST_TMPDIR/j1" "$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-import user3@contoso.com --under "$p" <"$BATS_TEST_TMPDIR/in"
	assert_failure 1
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .type | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')" "1 error 4 imported "
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "error") | "\(.subject) \(.code)"')" "AAMkjunk00001 ErrorInvalidRequest"
	[[ $stderr == "mbx-import: cannot import 'AAMkjunk00001': 400 Bad Request: ErrorInvalidRequest: Data is not a valid item stream: "* ]]
	assert_equal "$(printf '%s\n' "$stderr" | wc -l)" 1
	assert_equal "$(tree_items "$MBX3" "$p" | wc -l)" 4
}

@test "an import URL that expires or is refused mid-run is renewed; no item lost" {
	p=$(fresh)
	admin POST /import-lifetime -d '{"seconds":1}' >/dev/null
	admin POST /faults -d 'match=importItem,latency=60,count=0' >/dev/null
	run --separate-stderr mbx-import --jobs 2 --stats "$BATS_TEST_TMPDIR/s1" user3@contoso.com --under "$p/a" <"$BATS_FILE_TMPDIR/frames"
	admin POST /import-lifetime -d '{"seconds":3600}' >/dev/null
	assert_success
	assert_equal "$stderr" ""
	[ "$(jq -r .sessions "$BATS_TEST_TMPDIR/s1")" -ge 2 ]
	diff <(tree_items "$MBX3" "$p/a") <(src_items "$BATS_FILE_TMPDIR/src.json")
	# refused before its stated expiry (graph-api.md 3.14 [obs]): 401, renewed, retried
	admin POST /faults -d 'match=importItem,status=401,count=3,skip=5' >/dev/null
	run --separate-stderr mbx-import --stats "$BATS_TEST_TMPDIR/s2" user3@contoso.com --under "$p/b" <"$BATS_FILE_TMPDIR/frames"
	assert_success
	assert_equal "$stderr" ""
	[ "$(jq -r .sessions "$BATS_TEST_TMPDIR/s2")" -ge 2 ]
	diff <(tree_items "$MBX3" "$p/b") <(src_items "$BATS_FILE_TMPDIR/src.json")
}

@test "a folder that cannot be made (illegal name, another kind of folder): its items fail, the rest import" {
	p=$(fresh)
	mbx-mkfolder --class IPF.Appointment user3@contoso.com "$p/Inbox" >/dev/null
	mbx-frames --to-ndjson "$BATS_FILE_TMPDIR/frames" >"$BATS_TEST_TMPDIR/all"
	jq -c 'if (.folderPath // "" | startswith("/Inbox/Travel")) then .folderPath = "/Bad\u0001Name" else . end' \
		"$BATS_TEST_TMPDIR/all" >"$BATS_TEST_TMPDIR/in"
	inbox=$(jq -r 'select(.folderPath == "/Inbox") | .id' "$BATS_TEST_TMPDIR/in" | wc -l)
	bad=$(jq -r 'select(.folderPath == "/Bad\u0001Name") | .id' "$BATS_TEST_TMPDIR/in" | wc -l)
	[ "$inbox" -gt 0 ] && [ "$bad" -gt 0 ]
	run --separate-stderr mbx-import user3@contoso.com --under "$p" <"$BATS_TEST_TMPDIR/in"
	assert_failure 1
	# the items of both, and the /Inbox folder record
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "error") | .code' | sort | uniq -c | awk '{print $1, $2}')" "$((inbox + bad + 1)) FolderUnavailable"
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "imported") | .id' | wc -l)" "$((40 - inbox - bad))"
	assert_output --partial "is a folder of type 'IPF.Appointment', not 'IPF.Note'"
	assert_output --partial ErrorInvalidFolderName
	assert_equal "$(tree_items "$MBX3" "$p" | wc -l)" "$((40 - inbox - bad))"
}

@test "a journal that is corrupt or another target's: a clear error before anything is imported" {
	p=$(fresh)
	mbx-import user3@contoso.com --under "$p/x" --journal "$BATS_TEST_TMPDIR/j3" \
		< <(head -n 2 "$BATS_FILE_TMPDIR/items") >/dev/null
	before=$(tree_items "$MBX2" / | wc -l)
	run --separate-stderr mbx-import user2@contoso.com --under "$p" --journal "$BATS_TEST_TMPDIR/j3" <"$BATS_FILE_TMPDIR/frames"
	assert_failure 5
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-import: cannot use journal '$BATS_TEST_TMPDIR/j3': it belongs to another target ('$MBX3')"
	printf '{"type":"journal","v":1,"target":"%s"}\nnot json\n{"source":{}}\n' "$MBX2" >"$BATS_TEST_TMPDIR/j4"
	run --separate-stderr mbx-import user2@contoso.com --under "$p" --journal "$BATS_TEST_TMPDIR/j4" <"$BATS_FILE_TMPDIR/frames"
	assert_failure 5
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-import: cannot use journal '$BATS_TEST_TMPDIR/j4': line 2 is not a journal entry"
	echo 'hello' >"$BATS_TEST_TMPDIR/j5"
	run --separate-stderr mbx-import user2@contoso.com --journal "$BATS_TEST_TMPDIR/j5" <"$BATS_FILE_TMPDIR/frames"
	assert_failure 5
	assert_equal "$stderr" "mbx-import: cannot use journal '$BATS_TEST_TMPDIR/j5': not an mbx-import journal (no journal header on line 1)"
	assert_equal "$(tree_items "$MBX2" / | wc -l)" "$before"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/j5")" hello
}

@test "a changed source item is imported with Mode update over its earlier copy" {
	p=$(fresh)
	head -n 3 "$BATS_FILE_TMPDIR/items" >"$BATS_TEST_TMPDIR/v1"
	mbx-import user3@contoso.com --under "$p" --journal "$BATS_TEST_TMPDIR/j" <"$BATS_TEST_TMPDIR/v1" >"$BATS_TEST_TMPDIR/r1"
	# the second item changed at the source: another changeKey and other bytes
	(sed -n 1p "$BATS_TEST_TMPDIR/v1"
	 sed -n 3p "$BATS_TEST_TMPDIR/v1" | jq -c --arg id "$(sed -n 2p "$BATS_TEST_TMPDIR/v1" | jq -r .id)" \
		--arg fp "$(sed -n 2p "$BATS_TEST_TMPDIR/v1" | jq -r .folderPath)" '.id = $id | .folderPath = $fp | .changeKey = "CQAAABYAAABchanged"'
	) >"$BATS_TEST_TMPDIR/v2"
	run --separate-stderr mbx-import user3@contoso.com --under "$p" --journal "$BATS_TEST_TMPDIR/j" <"$BATS_TEST_TMPDIR/v2"
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .status | tr '\n' ' ')" "skipped updated "
	old=$(jq -c --arg id "$(sed -n 2p "$BATS_TEST_TMPDIR/v1" | jq -r .id)" 'select(.source.id == $id)' "$BATS_TEST_TMPDIR/r1")
	assert_equal "$(printf '%s\n' "${lines[1]}" | jq -r .id)" "$(jq -r .id <<<"$old")"
	refute [ "$(printf '%s\n' "${lines[1]}" | jq -r .changeKey)" = "$(jq -r .changeKey <<<"$old")" ]
	# still 3 items; the updated one now holds the third item's bytes, twice in the tree
	assert_equal "$(tree_items "$MBX3" "$p" | wc -l)" 3
	assert_equal "$(tree_items "$MBX3" "$p" | awk '{print $NF}' | sort | uniq -c | awk '{print $1}' | sort | tr '\n' ' ')" "1 2 "
}

@test "usage errors: no target, --folder with --under, a bad --upload-limit" {
	run --separate-stderr mbx-import
	assert_failure 2
	assert_output ""
	run --separate-stderr mbx-import --folder /X --under /Y user2@contoso.com
	assert_failure 2
	assert_equal "$stderr" "mbx-import: --folder and --under exclude each other"
	run --separate-stderr mbx-import --upload-limit 10M user2@contoso.com
	assert_failure 2
	assert_equal "$stderr" "mbx-import: invalid --upload-limit '10M': expected BYTES/SECONDS such as 150M/300"
}
