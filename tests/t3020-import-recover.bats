#!/usr/bin/env bats
# mbx-import --journal after an importItem answer that was lost once the service had made
# the item (mbx-import(1) "Resuming"): the re-run looks for it in its folder
# (createdDateTime, and the search key or message id through $expand, graph-api.md 3.9)
# instead of making it twice; when the lookup cannot tell (mbx-graphd --item-properties
# refuse or ignore: the other readings of 3.9), it sends the item again, says so once and
# counts it.

load helpers

setup() {
	GRAPHD_DIR=$BATS_TEST_TMPDIR/graphd
	export U1=user1@contoso.com U2=user2@contoso.com D=$BATS_TEST_TMPDIR
}

teardown() {
	graphd_stop
}

# start [mbx-graphd options]: an emulator, and frames of user1's 4 items in $D/frames
start() {
	graphd_start --generate users=2,folders=1,items=4,size=3k,seed=3020 "$@"
	export MBX1=$(mailbox_id "$U1") MBX2=$(mailbox_id "$U2")
	mbx-folders "$U1" | mbx-ls | jq -c 'select(.type == "item")' | mbx-export >"$D/frames"
	admin DELETE /faults >/dev/null
}

# sha256 of every item of user2 under PREFIX, sorted (duplicates show twice)
target_shas() {
	admin GET "/mailboxes/$MBX2" | jq -r --arg p "$1" '(.folders | map({key: .id, value: .path}) | from_entries) as $f
		| .items[] | select($f[.folderId] | startswith($p + "/")) | .sha256' | sort
}
# sha256 of the frames' payloads, sorted: the independent oracle
frame_shas() { mbx-frames -t "$1" | jq -r .sha256 | sort; }
# importItem requests in the emulator's log since line $1
imports_since() { tail -n +"$(($1 + 1))" "$GRAPHD_DIR/graphd.log" | grep -c '/importItem' || true; }

# fail the 2nd importItem's answer with KIND after the item was made; the first run
# ends with mbx(7)'s status for it: 1 for an answer that is not one (an error record),
# 4 for a cut transfer (the service failed), with an error record too
fail_second() {
	local want=1
	[ "$1" != truncated ] || want=4
	admin POST /faults -d "match=importItem,body=$1,skip=1,count=1" >/dev/null
	run --separate-stderr mbx-import --retry-max-time 1 --under "$2" --journal "$D/j" "$U2" <"$D/frames"
	admin DELETE /faults >/dev/null
	assert_failure "$want"
	assert_equal "$(jq -c 'select(.type == "error")' <<<"$output" | wc -l)" 1
	assert_equal "$(jq -c 'select(.type == "imported" and .status == "created")' <<<"$output" | wc -l)" 3
	# the service made all four: the lost one is there, the journal has its intent only
	assert_equal "$(target_shas "$2")" "$(frame_shas "$D/frames")"
	assert_equal "$(jq -c 'select(.type == "intent")' "$D/j" | wc -l)" 4
	assert_equal "$(jq -c 'select(.type == null)' "$D/j" | wc -l)" 3
}

@test "a truncated importItem answer: the re-run finds the item and imports nothing twice" {
	start
	fail_second truncated /R
	from=$(wc -l <"$GRAPHD_DIR/graphd.log")
	run --separate-stderr mbx-import --stats "$D/st" --under /R --journal "$D/j" "$U2" <"$D/frames"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .status <<<"$output" | sort | uniq -c | awk '{print $2 $1}' | paste -sd' ')" "created1 skipped3"
	assert_equal "$(imports_since "$from")" 0
	assert_equal "$(jq -c '[.recovered, .unverified, .ok, .skipped]' "$D/st")" "[1,0,1,3]"
	# every item exactly once, and the journal names each copy once
	assert_equal "$(target_shas /R)" "$(frame_shas "$D/frames")"
	assert_equal "$(jq -r 'select(.type == null) | .id' "$D/j" | sort -u | wc -l)" 4
	assert_equal "$(jq -r 'select(.type == null) | .id' "$D/j" | sort)" \
		"$(admin GET "/mailboxes/$MBX2" | jq -r '(.folders | map(select(.path | startswith("/R/"))) | map(.id)) as $f | .items[] | select(.folderId as $x | $f | index($x)) | .id' | sort)"
	# a third run: all skipped, nothing sent
	run --separate-stderr mbx-import --under /R --journal "$D/j" "$U2" <"$D/frames"
	assert_success
	assert_equal "$(jq -r .status <<<"$output" | sort -u)" skipped
}

@test "a malformed importItem answer: recovered the same way" {
	start
	fail_second malformed /M
	run --separate-stderr mbx-import --stats "$D/st" --under /M --journal "$D/j" "$U2" <"$D/frames"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.recovered, .unverified]' "$D/st")" "[1,0]"
	assert_equal "$(target_shas /M)" "$(frame_shas "$D/frames")"
}

@test "a refused answer (the item not made): the lookup finds nothing and the item is sent" {
	start
	admin POST /faults -d "match=importItem,status=400,skip=1,count=1" >/dev/null
	run --separate-stderr mbx-import --under /N --journal "$D/j" "$U2" <"$D/frames"
	admin DELETE /faults >/dev/null
	assert_failure 1
	assert_equal "$(target_shas /N | wc -l)" 3
	from=$(wc -l <"$GRAPHD_DIR/graphd.log")
	run --separate-stderr mbx-import --stats "$D/st" --under /N --journal "$D/j" "$U2" <"$D/frames"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(imports_since "$from")" 1
	assert_equal "$(jq -c '[.recovered, .unverified, .ok]' "$D/st")" "[0,0,1]"
	assert_equal "$(target_shas /N)" "$(frame_shas "$D/frames")"
}

# The other readings of 3.9: the lookup cannot tell, so the item is sent again
# (a duplicate, within the bound of mbx-import(1) "Resuming"), with one warning.
cannot_tell() {
	start --item-properties "$1"
	fail_second truncated /X
	from=$(wc -l <"$GRAPHD_DIR/graphd.log")
	run --separate-stderr mbx-import --stats "$D/st" --under /X --journal "$D/j" "$U2" <"$D/frames"
	assert_success
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "${stderr_lines[0]}" "^mbx-import: warning: cannot tell whether '[^']+' reached 'MBX:[^']+' before its answer was lost \\($2\\): sending it again, so it may exist twice \\(--stats: unverified\\)$"
	assert_equal "$(imports_since "$from")" 1
	assert_equal "$(jq -c '[.recovered, .unverified, .ok]' "$D/st")" "[0,1,1]"
	# the lost item twice, the others once
	assert_equal "$(target_shas /X | uniq -c | awk '{print $1}' | sort | paste -sd' ')" "1 1 1 2"
	assert_equal "$(target_shas /X | sort -u)" "$(frame_shas "$D/frames")"
}

@test "the service refuses the \$expand: re-sent, one warning, counted as unverified" {
	cannot_tell refuse '400 Bad Request: .*'
}

@test "the service ignores the \$expand: re-sent, one warning, counted as unverified" {
	cannot_tell ignore 'the listing did not expand singleValueExtendedProperties'
}

@test "a version 1 journal loads, and becomes version 2 with the first intent" {
	start
	run --separate-stderr mbx-import --under /V0 --journal "$D/j" "$U2" <"$D/frames"
	assert_success
	# as version 1 wrote it: its header, done lines only, the last item left out
	{ printf '{"type":"journal","v":1,"target":"%s"}\n' "$MBX2"
	  jq -c 'select(.type == null)' "$D/j" | head -n 3; } >"$D/j1"
	run --separate-stderr mbx-import --stats "$D/st" --under /V --journal "$D/j1" "$U2" <"$D/frames"
	assert_success
	assert_equal "$(jq -r .status <<<"$output" | sort | uniq -c | awk '{print $2 $1}' | paste -sd' ')" "created1 skipped3"
	assert_equal "$(head -n 1 "$D/j1")" "{\"type\":\"journal\",\"v\":2,\"target\":\"$MBX2\"}"
	assert_equal "$(jq -c 'select(.type == "intent")' "$D/j1" | wc -l)" 1
	# the item the version 1 journal lacked, and only it
	left=$(jq -r 'select(.type == null) | .source.id' "$D/j1" | head -n 3 | jq -R . | jq -sc .)
	assert_equal "$(target_shas /V)" "$(mbx-frames -t "$D/frames" | jq -r --argjson l "$left" 'select(.id as $i | $l | index($i) | not) | .sha256')"
}

# one lost answer for the frames in $2 (one item) into folder $1, then the re-run
lost_then_rerun() {
	admin POST /faults -d "match=importItem,body=malformed,count=1" >/dev/null
	run --separate-stderr mbx-import --folder "$1" --journal "$D/j" "$U2" <"$2"
	admin DELETE /faults >/dev/null
	assert_failure 1
	assert_equal "$(target_shas "${1%/*}" | wc -l)" 1
	run --separate-stderr mbx-import --stats "$D/st" --folder "$1" --journal "$D/j" "$U2" <"$2"
	assert_success
}

@test "an exported stream with a search key: found by PidTagSearchKey (Binary 0x300B)" {
	f=$MBX_SAMPLES/fasttransfer/ews-export-lab-simple-noattach.bin
	[ -f "$f" ] || skip "no samples in $MBX_SAMPLES"
	start
	{ printf '{"type":"item","mailbox":"MBX:sample","id":"s1","v":1,"size":%s,"sha256":"%s"}\n' \
		"$(stat -c %s "$f")" "$(sha256sum "$f" | cut -d' ' -f1)"
	  cat "$f"; echo; } >"$D/one"
	lost_then_rerun /K1/in "$D/one"
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.recovered, .unverified]' "$D/st")" "[1,0]"
	assert_equal "$(jq -r 'select(.type == "intent") | .key.id' "$D/j")" "Binary 0x300B"
	assert_equal "$(target_shas /K1)" "$(sha256sum "$f" | cut -d' ' -f1)"
}

@test "a stream with no search key and no message id: re-sent, one warning, unverified" {
	start
	printf 'From: a@example.com\r\nTo: b@example.com\r\nSubject: no id\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\nbody\r\n' >"$D/a.eml"
	mbx-mime --to-frames "$D/a.eml" >"$D/one"
	lost_then_rerun /K2/in "$D/one"
	assert_equal "${#stderr_lines[@]}" 1
	assert_regex "${stderr_lines[0]}" "^mbx-import: warning: cannot tell whether '[^']+' reached 'MBX:[^']+' before its answer was lost \\(its stream has no search key or message id\\): sending it again"
	assert_equal "$(jq -c '[.recovered, .unverified]' "$D/st")" "[0,1]"
	assert_equal "$(jq -c 'select(.type == "intent") | .key' "$D/j" | sort -u)" "null"
	assert_equal "$(target_shas /K2 | uniq -c | awk '{print $1}')" 2
}

@test "mbx-graphd: a listing's \$expand serves the stream's search key and message id" {
	start
	cat >"$D/spec.json" <<-'S'
	[{"header": {"type": "item", "mailbox": "MBX:spec", "id": "e1", "folderPath": "/E"},
	  "msg": {"props": [["0x001A", "str", "IPM.Note"], ["0x0037", "str", "keyed"],
	                    ["0x0E07", "int", 1], ["0x300B", "bin", {"hex": "00a1b2c3d4e5f60718293a4b5c6d7e8f"}],
	                    ["0x1035", "str", "<keyed.1@example.com>"]]}}]
	S
	python3 "$MBX_SRCDIR/tests/fxpy.py" frames "$D/spec.json" >"$D/e.frames"
	run --separate-stderr mbx-import --under /E --journal "$D/j" "$U2" <"$D/e.frames"
	assert_success
	# the intent's key: from the stream, by lib/fx
	want=$(printf '00a1b2c3d4e5f60718293a4b5c6d7e8f' | xxd -r -p | base64)
	assert_equal "$(jq -c 'select(.type == "intent") | .key' "$D/j")" "{\"id\":\"Binary 0x300B\",\"value\":\"$want\"}"
	fid=$(jq -r .folderId <<<"$output")
	TOKEN=$(token)
	for p in "Binary 0x300B" "String 0x1035" "String 0x0E1D"; do
		graph GET "admin/exchange/mailboxes/$MBX2/folders/$fid/items" -G \
			--data-urlencode "\$expand=singleValueExtendedProperties(\$filter=id eq '$p')" >"$D/l"
		assert_equal "$(tail -n 1 "$D/l")" 200
		echo "$p: $(head -n -1 "$D/l" | jq -c '[.value[].singleValueExtendedProperties]')"
	done >"$D/got"
	assert_equal "$(cat "$D/got")" "Binary 0x300B: [[{\"id\":\"Binary 0x300B\",\"value\":\"$want\"}]]
String 0x1035: [[{\"id\":\"String 0x1035\",\"value\":\"<keyed.1@example.com>\"}]]
String 0x0E1D: [null]"
	# another form of $expand is refused, not ignored
	graph GET "admin/exchange/mailboxes/$MBX2/folders/$fid/items" -G \
		--data-urlencode '$expand=attachments' >"$D/l"
	assert_equal "$(tail -n 1 "$D/l")" 400
}

@test "the source changed after the lost answer: the copy found is updated, not made again" {
	start
	mbx-frames --to-ndjson "$D/frames" >"$D/nd"
	admin POST /faults -d "match=importItem,body=malformed,skip=1,count=1" >/dev/null
	run --separate-stderr mbx-import --jobs 1 --under /U --journal "$D/j" "$U2" <"$D/nd"
	admin DELETE /faults >/dev/null
	assert_failure 1
	lost=$(jq -r 'select(.type == "error") | .subject' <<<"$output")
	# the lost item's source at another changeKey (same content: the oracle stays simple)
	jq -c --arg l "$lost" 'if .id == $l then .changeKey = "CQAAABYAAABchanged" else . end' "$D/nd" >"$D/nd2"
	run --separate-stderr mbx-import --stats "$D/st" --jobs 1 --under /U --journal "$D/j" "$U2" <"$D/nd2"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r --arg l "$lost" 'select(.source.id == $l) | .status' <<<"$output")" updated
	assert_equal "$(jq -c '[.recovered, .updated, .unverified, .ok, .skipped]' "$D/st")" "[1,1,0,1,3]"
	assert_equal "$(target_shas /U)" "$(frame_shas "$D/frames")"
	# the journal: the copy at the new version
	assert_equal "$(jq -r --arg l "$lost" 'select(.type == null and .source.id == $l) | .source.changeKey' "$D/j" | tail -n 1)" CQAAABYAAABchanged
}
