#!/usr/bin/env bats
# The import engine of lib/graph/import.c driven directly (mbx-testtool): several target
# mailboxes at once on one HTTP engine, and the upload window of quota.c.

load helpers

setup_file() {
	graphd_start --generate users=3,folders=3,items=12,size=2k,seed=47
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
	export MBX3=$(mailbox_id user3@contoso.com)
	mbx-folders user1@contoso.com | mbx-ls | mbx-export >"$BATS_FILE_TMPDIR/frames"
}

teardown_file() {
	graphd_stop
}


@test "two engines import the same frames into two mailboxes at once: each gets every item once" {
	run --separate-stderr mbx-testtool import-many /Both "$MBX2" "$MBX3" <"$BATS_FILE_TMPDIR/frames"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 24
	assert_equal "$(printf '%s\n' "${lines[@]}" | awk '{print $1, $2}' | sort | uniq -c | awk '{print $1, $2, $3}')" \
		"$(printf '12 created %s\n12 created %s\n' "$MBX2" "$MBX3" | sort -k3)"
	# the oracle: the source mailbox as the emulator holds it
	src=$(tree_items "$MBX1" "")
	[ -n "$src" ]
	diff <(tree_items "$MBX2" /Both) <(echo "$src")
	diff <(tree_items "$MBX3" /Both) <(echo "$src")
}

@test "the upload window: an upload counts while in flight and a whole window after it finished" {
	run --separate-stderr mbx-testtool quota
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" "wait 500: none
wait 40: none
wait 50: until one finishes
wait 50: about the window
wait 40: none"
}
