#!/usr/bin/env bats
# NDJSON item records of any item size (mbx-frames(5) "Reading"): a line may hold a record
# and the base64 of the largest payload a frame may carry; past that bound, an error that
# names the line. Round trip of 5 MB items: mbx-export --ndjson | mbx-import.

load helpers

setup_file() {
	graphd_start --generate users=2,folders=1,items=2,size=5m,seed=2110
	export U1=user1@contoso.com U2=user2@contoso.com D=$BATS_FILE_TMPDIR
	export MBX1=$(mailbox_id "$U1") MBX2=$(mailbox_id "$U2")
}

teardown_file() {
	graphd_stop
}

# sha256 of the items of a mailbox (under PREFIX, when given), sorted: from the emulator
shas() {
	admin GET "/mailboxes/$1" | jq -r --arg p "${2:-}" '(.folders | map({key: .id, value: .path}) | from_entries) as $f
		| .items[] | select($p == "" or ($f[.folderId] | startswith($p + "/"))) | .sha256' | sort
}

@test "5 MB items: mbx-export --ndjson | mbx-import, every item byte for byte" {
	mbx-folders "$U1" | mbx-ls | jq -c 'select(.type == "item")' | mbx-export --ndjson >"$D/nd"
	# each record is one line well over the 1 MiB of a header
	assert_equal "$(wc -l <"$D/nd")" 2
	assert_equal "$(awk 'length($0) > 5 * 1024 * 1024' "$D/nd" | wc -l)" 2
	run --separate-stderr mbx-frames --verify "$D/nd"
	assert_success
	assert_equal "$stderr" "mbx-frames: 2 frames: 2 items ok, 0 bad, 0 error frames"
	run --separate-stderr mbx-import --under /N "$U2" <"$D/nd"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .status <<<"$output" | sort | uniq -c | awk '{print $2 $1}')" created2
	assert_equal "$(shas "$MBX2" /N)" "$(shas "$MBX1")"
	# and the other form from it, the same bytes
	run --separate-stderr bash -c 'mbx-frames --to-frames "$D/nd" | mbx-frames -t'
	assert_success
	assert_equal "$(jq -r .sha256 <<<"$output" | sort)" "$(shas "$MBX1")"
}

@test "a line over the bound: refused with its line number, the reader stops" {
	# a reader whose payload limit is 3000 bytes takes lines of 1 MiB + 4000
	printf '{"type":"folder","path":"/a"}\n' >"$D/long"
	{ printf '{"type":"item","id":"x","data":"'; head -c $((1048576 + 4001)) /dev/zero | tr '\0' A
	  printf '"}\n{"type":"folder","path":"/b"}\n'; } >>"$D/long"
	run --separate-stderr mbx-testtool frames-read 3000 <"$D/long"
	assert_failure 5
	assert_equal "$output" "1 0 folder - 0"
	assert_equal "$stderr" "mbx-testtool: stdin: frame 2 at byte 30: line 2 is longer than 1052576 bytes (1 MiB of record and the base64 of the largest payload, 3000 bytes)"
}

@test "the rest of a record stays within 1 MiB: a long record without data is refused" {
	junk=$(head -c $((1048576 + 10)) /dev/zero | tr '\0' j)
	# NDJSON: bad, and the next line is read
	printf '{"type":"item","id":"j","junk":"%s","data":"QUJD"}\n{"type":"folder","path":"/b"}\n' "$junk" >"$D/junk"
	run --separate-stderr mbx-testtool frames-read <"$D/junk"
	assert_failure 5
	assert_equal "$output" "2 $(head -n 1 "$D/junk" | wc -c) folder - 0"
	assert_equal "$stderr" "mbx-testtool: stdin: frame 1 at byte 0 ('j'): record longer than 1 MiB without its \"data\""
	# a frame header: the reader stops, as before
	printf '{"type":"item","id":"k","junk":"%s","size":1}\nA\n{"type":"folder","path":"/b"}\n' "$junk" >"$D/junk2"
	run --separate-stderr mbx-testtool frames-read <"$D/junk2"
	assert_failure 5
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-testtool: stdin: frame 1 at byte 0 ('k'): header line longer than 1 MiB"
}
