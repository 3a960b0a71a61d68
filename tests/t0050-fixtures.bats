#!/usr/bin/env bats
# Bytes pinned (tests/README "Fixtures"): the records, frames and --decode report of a small
# generated tenant, compared byte for byte with tests/fixtures/. mbx-graphd --generate is
# deterministic (mbx-graphd(1)): the same spec gives the same ids, dates and item streams,
# so a difference is a change of behaviour. tests/fixtures/regen.sh rewrites the files
# (MBX_FIXTURES_REGEN=1); review the diff before committing it.

load helpers

SPEC=users=2,folders=2,items=3,size=2k,seed=5
U1=user1@contoso.com
U2=user2@contoso.com

setup_file() {
	graphd_start --generate "$SPEC"
}

teardown_file() {
	graphd_stop
}

# pin NAME: $output against tests/fixtures/NAME (or, regenerating, into it).
pin() {
	local f=$MBX_SRCDIR/tests/fixtures/$1
	if [ -n "${MBX_FIXTURES_REGEN:-}" ]; then
		printf '%s\n' "$output" >"$f"
		return 0
	fi
	[ -f "$f" ] || fail "no fixture $f: run tests/fixtures/regen.sh"
	diff -u "$f" <(printf '%s\n' "$output") || fail "$1 differs from tests/fixtures/$1"
}

@test "mbx-ls -M: the mailbox records of the generated users" {
	run --separate-stderr mbx-ls -M "$U1" "$U2"
	assert_success
	assert_equal "$stderr" ""
	pin mailboxes.ndjson
}

@test "mbx-folders: the folder records of user1" {
	run --separate-stderr mbx-folders "$U1"
	assert_success
	assert_equal "$stderr" ""
	pin folders.ndjson
}

@test "mbx-ls: the item records of user1" {
	run --separate-stderr mbx-ls "$U1"
	assert_success
	assert_equal "$stderr" ""
	pin items.ndjson
}

@test "mbx-export: the frames of user1's items (headers and the stream's sha256)" {
	mbx-ls "$U1" | mbx-export -j 1 >"$BATS_TEST_TMPDIR/all.frames"
	run --separate-stderr mbx-frames -t "$BATS_TEST_TMPDIR/all.frames"
	assert_success
	assert_equal "$stderr" ""
	pin export.headers.ndjson
	output=$(cd "$BATS_TEST_TMPDIR" && sha256sum all.frames)
	pin export.sha256
	run --separate-stderr mbx-frames --verify "$BATS_TEST_TMPDIR/all.frames"
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-frames: 3 frames: 3 items ok, 0 bad, 0 error frames"
}

@test "mbx-frames --decode: the report of user1's first item" {
	mbx-ls "$U1" | head -n 1 | mbx-export >"$BATS_TEST_TMPDIR/one.frames"
	run --separate-stderr mbx-frames --decode "$BATS_TEST_TMPDIR/one.frames"
	assert_success
	assert_equal "$stderr" ""
	pin decode.ndjson
}

@test "the fixtures agree with each other: counts, ids and mailboxes" {
	[ -z "${MBX_FIXTURES_REGEN:-}" ] || skip "regenerating"
	d=$MBX_SRCDIR/tests/fixtures
	# SPEC: 2 users with one primary mailbox each; 3 items in user1's folders
	assert_equal "$(jq -r .user "$d/mailboxes.ndjson" | sort | tr '\n' ' ')" "$U1 $U2 "
	mbx=$(jq -r "select(.user == \"$U1\") | .id" "$d/mailboxes.ndjson")
	assert_equal "$(jq -s 'map(.totalItemCount) | add' "$d/folders.ndjson")" 3
	assert_equal "$(jq -r .mailbox "$d/folders.ndjson" "$d/items.ndjson" | sort -u)" "$mbx"
	assert_equal "$(wc -l <"$d/items.ndjson")" 3
	# every item's folder is a listed folder; the frames carry the items' ids, in order
	for f in $(jq -r .folderId "$d/items.ndjson"); do
		grep -qF "\"id\":\"$f\"" "$d/folders.ndjson" || fail "folder $f of an item not listed"
	done
	assert_equal "$(jq -r .id "$d/export.headers.ndjson")" "$(jq -r .id "$d/items.ndjson")"
	assert_equal "$(jq -r .id "$d/decode.ndjson")" "$(head -n 1 "$d/items.ndjson" | jq -r .id)"
}
