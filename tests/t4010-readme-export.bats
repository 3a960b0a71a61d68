#!/usr/bin/env bats
# The export pipelines README.md shows, run as written (with the emulator's users).

load helpers

setup_file() {
	graphd_start --generate users=2,folders=5,items=60,size=4k,seed=17
	export MBX1=$(mailbox_id user1@contoso.com)
	export NFOLDERS=$(mbx-folders user1@contoso.com | wc -l)
	admin GET "/mailboxes/$MBX1" >"$BATS_FILE_TMPDIR/admin.json"
}

teardown_file() {
	graphd_stop
}

@test "README: a full export, compressed with zstd, holds every item byte for byte" {
	command -v zstd >/dev/null || skip "zstd not installed"
	cd "$BATS_TEST_TMPDIR"
	grep -qF 'mbx-folders alice@contoso.com | mbx-ls | mbx-export | zstd > alice.mbx.zst' "$MBX_SRCDIR/README.md"
	run bash -c 'set -o pipefail; mbx-folders user1@contoso.com | mbx-ls | mbx-export | zstd -q > alice.mbx.zst'
	assert_success
	assert_equal "$output" ""
	zstd -dcq alice.mbx.zst >frames
	run --separate-stderr mbx-testtool frames-read <frames
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | awk '$3 == "item"' | wc -l)" 60
	assert_equal "$(printf '%s\n' "${lines[@]}" | awk '$3 == "folder"' | wc -l)" "$NFOLDERS"
	diff <(grep -a '^{"type":"item"' frames | jq -r '"\(.id) \(.sha256)"' | sort) \
		<(jq -r '.items[] | "\(.id) \(.sha256)"' "$BATS_FILE_TMPDIR/admin.json" | sort)
}

@test "README: items of one folder changed since a date, filtered with jq, exported" {
	grep -qF "jq -c 'select(.lastModifiedDateTime > \"2026-11-01\")'" "$MBX_SRCDIR/README.md"
	run bash -c 'set -o pipefail; mbx-ls user1@contoso.com /Inbox | jq -c "select(.lastModifiedDateTime > \"2026-06-01\")" | mbx-export --ndjson'
	assert_success
	want=$(mbx-ls user1@contoso.com /Inbox | jq -c 'select(.lastModifiedDateTime > "2026-06-01")' | wc -l)
	assert [ "$want" -gt 0 ]
	assert_equal "${#lines[@]}" "$want"
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.lastModifiedDateTime <= "2026-06-01") | .id')" ""
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r '.data | @base64d | length > 0' | sort -u)" true
}

@test "README: one file per item in a tar archive, joined back and verified" {
	cd "$BATS_TEST_TMPDIR"
	grep -qF 'mbx-folders alice@contoso.com | mbx-ls | mbx-export | mbx-frames --split alice.d' "$MBX_SRCDIR/README.md"
	grep -qF 'tar cf alice.tar -C alice.d .' "$MBX_SRCDIR/README.md"
	grep -qF 'mkdir back && tar xf alice.tar -C back && mbx-frames --join back | mbx-frames --verify' "$MBX_SRCDIR/README.md"
	run bash -c 'set -o pipefail; mbx-folders user1@contoso.com | mbx-ls | mbx-export | mbx-frames --split alice.d'
	assert_success
	assert_equal "$output" ""
	assert_equal "$(ls alice.d/*.fxs | wc -l)" 60
	tar cf alice.tar -C alice.d .
	run --separate-stderr bash -c 'set -o pipefail; mkdir back && tar xf alice.tar -C back && mbx-frames --join back | mbx-frames --verify'
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-frames: $((60 + NFOLDERS)) frames: 60 items ok, 0 bad, 0 error frames"
	diff <(mbx-frames --join back | grep -a '^{"type":"item"' | jq -r '"\(.id) \(.sha256)"' | sort) \
		<(jq -r '.items[] | "\(.id) \(.sha256)"' "$BATS_FILE_TMPDIR/admin.json" | sort)
}
