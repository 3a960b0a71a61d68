#!/usr/bin/env bats
# mbx-mkfolder: folders with their parents, idempotent; trees replicated under --under.

load helpers

setup_file() {
	graphd_start --generate users=2,folders=6,items=5,size=2k,seed=31
}

teardown_file() {
	graphd_stop
}

@test "a nested path is created with its parents; a second run reuses them" {
	run --separate-stderr mbx-mkfolder user2@contoso.com '/Restored/2026/Q1\/Q2 Reports'
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r '[.path, .created, .displayName] | map(tostring) | join("\t")' <<<"$output")" $'/Restored/2026/Q1\\/Q2 Reports\ttrue\tQ1/Q2 Reports'
	id=$(jq -r .id <<<"$output")
	run --separate-stderr mbx-mkfolder user2@contoso.com '/restored/2026/Q1\/Q2 Reports'
	assert_success
	assert_equal "$(jq -r '[.id, .created] | @tsv' <<<"$output")" "$id"$'\tfalse'
	run mbx-folders user2@contoso.com /Restored
	assert_equal "$(jq -r .path <<<"$output" | tr '\n' ' ')" '/Restored /Restored/2026 /Restored/2026/Q1\/Q2 Reports '
}

@test "-n creates nothing and says what it would create" {
	run --separate-stderr mbx-mkfolder -n user2@contoso.com /DryRun/Below
	assert_success
	assert_equal "$(jq -r '[.path, .created, .dryRun, .id] | @tsv' <<<"$output")" $'/DryRun/Below\ttrue\ttrue\t'
	run --separate-stderr mbx-folders user2@contoso.com /DryRun
	assert_equal "$status" 1
}

@test "folder records replicate a tree under --under" {
	mbx-folders user1@contoso.com >"$BATS_TEST_TMPDIR/a"
	run --separate-stderr mbx-mkfolder --under /FromA user2@contoso.com <"$BATS_TEST_TMPDIR/a"
	assert_success
	assert_equal "$stderr" ""
	diff <(jq -r '"/FromA" + .path' "$BATS_TEST_TMPDIR/a" | sort) \
		<(mbx-folders user2@contoso.com /FromA | jq -r .path | grep -v '^/FromA$' | sort)
	assert_equal "$(jq -r .created <<<"$output" | sort -u)" true
	# again: nothing new
	run --separate-stderr mbx-mkfolder --under /FromA user2@contoso.com <"$BATS_TEST_TMPDIR/a"
	assert_success
	assert_equal "$(jq -r .created <<<"$output" | sort -u)" false
}

@test "a bad path or record is an error record; the others are made" {
	run --separate-stderr mbx-mkfolder user2@contoso.com '/Bad\x' /Good
	assert_equal "$status" 1
	assert_equal "$(jq -r 'select(.type == "error") | .subject' <<<"$output")" '/Bad\x'
	assert_equal "$(jq -r 'select(.type == "folder") | .path' <<<"$output")" /Good
	assert_equal "$stderr" "mbx-mkfolder: cannot create '/Bad\\x': bad folder path '/Bad\\x' (write '/' in a name as '\\/')"
	run --separate-stderr mbx-mkfolder user2@contoso.com <<<'{"type":"folder","mailbox":"MBX:x@y","id":"x"}'
	assert_equal "$status" 1
	assert_equal "$stderr" "mbx-mkfolder: stdin:1: folder record without a path"
}

@test "a name the service refuses: its error record, the other paths made" {
	run --separate-stderr mbx-mkfolder user2@contoso.com $'/Ctl\001Name' /Fine
	assert_equal "$status" 1
	assert_equal "$(jq -r 'select(.type == "error") | .code' <<<"$output")" FolderCreateFailed
	assert_equal "$(jq -r 'select(.type == "folder") | .path' <<<"$output")" /Fine
	[[ $stderr == *"400 Bad Request: ErrorInvalidFolderName"* ]]
}

@test "usage errors" {
	run --separate-stderr mbx-mkfolder
	assert_equal "$status" 2
	run --separate-stderr mbx-mkfolder --under relative user2@contoso.com
	assert_equal "$status" 2
}
