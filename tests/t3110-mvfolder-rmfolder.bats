#!/usr/bin/env bats
# mbx-mvfolder renames (the API cannot move), mbx-rmfolder deletes and refuses the
# well-known folders unless forced; both take paths or folder records.

load helpers

setup_file() {
	graphd_start --generate users=2,folders=6,items=10,size=2k,seed=41
	export MBX2=$(mailbox_id user2@contoso.com)
}

teardown_file() {
	graphd_stop
}

paths() { mbx-folders user2@contoso.com "$@" | jq -r .path; }

@test "mbx-mvfolder renames a folder in place and prints its new record" {
	mbx-mkfolder user2@contoso.com /Mv/Old/Kid >/dev/null
	run --separate-stderr mbx-mvfolder user2@contoso.com /Mv/Old 'New name'
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r '[.type, .path, .oldPath, .displayName] | @tsv' <<<"$output")" $'folder\t/Mv/New name\t/Mv/Old\tNew name'
	assert_equal "$(paths /Mv | tr '\n' ' ')" "/Mv /Mv/New name /Mv/New name/Kid "
}

@test "mbx-mvfolder refuses a name with '/', a clash and a missing folder; -n changes nothing" {
	mbx-mkfolder user2@contoso.com /Mv2/A /Mv2/B >/dev/null
	run --separate-stderr mbx-mvfolder user2@contoso.com /Mv2/A 'x/y'
	assert_failure 1
	assert_equal "$stderr" "mbx-mvfolder: cannot rename '/Mv2/A' to 'x/y': the new name must be one non-empty name without '/' (the API renames, it does not move)"
	run --separate-stderr mbx-mvfolder user2@contoso.com /Mv2/A b
	assert_failure 1
	[[ $stderr == "mbx-mvfolder: cannot rename '/Mv2/A' to 'b': 409 Conflict: ErrorFolderExists: "* ]]
	assert_equal "$(jq -r .code <<<"$output")" FolderRenameFailed
	run --separate-stderr mbx-mvfolder user2@contoso.com /Mv2/Nope C
	assert_failure 1
	run --separate-stderr mbx-mvfolder -n user2@contoso.com /Mv2/A C
	assert_success
	assert_equal "$(jq -r '[.path, .dryRun] | @tsv' <<<"$output")" $'/Mv2/C\ttrue'
	assert_equal "$(paths /Mv2 | tr '\n' ' ')" "/Mv2 /Mv2/A /Mv2/B "
}

@test "mbx-mvfolder reads folder records with newName (or --name)" {
	mbx-mkfolder user2@contoso.com /Mv3/P /Mv3/Q >/dev/null
	run --separate-stderr bash -c "mbx-folders user2@contoso.com /Mv3/P | jq -c '.newName = \"P2\"' | mbx-mvfolder"
	assert_success
	assert_equal "$(jq -r .path <<<"$output")" /Mv3/P2
	run --separate-stderr bash -c "mbx-folders user2@contoso.com /Mv3/Q | mbx-mvfolder"
	assert_failure 1
	assert_equal "$stderr" 'mbx-mvfolder: stdin:1: no "newName" in the record and no --name'
	run --separate-stderr bash -c "mbx-folders user2@contoso.com /Mv3/Q | mbx-mvfolder --name Q2"
	assert_success
	assert_equal "$(paths /Mv3 | tr '\n' ' ')" "/Mv3 /Mv3/P2 /Mv3/Q2 "
}

@test "mbx-rmfolder deletes a folder with its subfolders and items" {
	mbx-mkfolder user2@contoso.com /Rm/Deep/Down >/dev/null
	run --separate-stderr mbx-rmfolder user2@contoso.com /Rm/Deep
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r '[.path, .removed] | @tsv' <<<"$output")" $'/Rm/Deep\ttrue'
	assert_equal "$(paths /Rm | tr '\n' ' ')" "/Rm "
	# a folder full of items goes with them
	n=$(admin GET "/mailboxes/$MBX2" | jq '.items | length')
	inbox_kid=$(mbx-folders user2@contoso.com /Inbox | jq -r 'select(.totalItemCount > 0 and .path != "/Inbox") | .path' | head -n 1)
	k=$(mbx-folders user2@contoso.com "$inbox_kid" | jq -s 'map(.totalItemCount) | add')
	run --separate-stderr mbx-rmfolder user2@contoso.com "$inbox_kid"
	assert_success
	assert_equal "$(admin GET "/mailboxes/$MBX2" | jq '.items | length')" "$((n - k))"
}

@test "mbx-rmfolder refuses well-known folders and the root unless forced, keeps the rest going" {
	mbx-mkfolder user2@contoso.com /Rm2 >/dev/null
	run --separate-stderr mbx-rmfolder user2@contoso.com /Drafts / /Rm2
	assert_failure 1
	assert_equal "$(jq -r 'select(.type == "error") | .subject' <<<"$output" | tr '\n' ' ')" "/Drafts / "
	assert_equal "$(jq -r 'select(.removed) | .path' <<<"$output")" /Rm2
	assert_equal "${stderr%%$'\n'*}" "mbx-rmfolder: cannot delete '/Drafts': a well-known folder ('drafts'); use --force to delete it"
	paths / | grep -qx /Drafts
	run --separate-stderr mbx-rmfolder --force user2@contoso.com /Drafts
	assert_success
	run paths /
	refute_line /Drafts
}

@test "mbx-rmfolder reads folder records; children of a deleted folder are not asked for again" {
	mbx-mkfolder user2@contoso.com /Rm3/A/B /Rm3/C >/dev/null
	mbx-folders user2@contoso.com /Rm3 >"$BATS_TEST_TMPDIR/recs"
	from=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
	run --separate-stderr mbx-rmfolder <"$BATS_TEST_TMPDIR/recs"
	assert_success
	assert_equal "$stderr" ""
	# every record is answered: the children went with their parent
	assert_equal "$(jq -r '[.path, .removed] | map(tostring) | join(" ")' <<<"$output" | tr '\n' ',')" "/Rm3 true,/Rm3/A true,/Rm3/A/B true,/Rm3/C true,"
	assert_equal "$(tail -n +"$from" "$GRAPHD_DIR/graphd.log" | jq -r 'select(.method == "DELETE") | .status' | tr '\n' ' ')" "204 "
	run --separate-stderr mbx-folders user2@contoso.com /Rm3
	assert_failure 1
}

@test "a renamed folder whose name ends in a backslash keeps its parent in the new path" {
	mbx-mkfolder user2@contoso.com '/Mv4/X\\/Kid' >/dev/null
	run --separate-stderr mbx-mvfolder user2@contoso.com '/Mv4/X\\/Kid' Z
	assert_success
	assert_equal "$(jq -r .path <<<"$output")" '/Mv4/X\\/Z'
}

@test "an unknown target: an error record and the service's answer on stderr" {
	run --separate-stderr mbx-rmfolder nobody@contoso.com /X
	assert_failure 1
	assert_equal "$(jq -r '"\(.type) \(.code) \(.subject)"' <<<"$output")" "error MailboxNotFound nobody@contoso.com"
	[[ $stderr == "mbx-rmfolder: cannot find mailbox of 'nobody@contoso.com': 404 Not Found"* ]]
}

@test "usage errors: a target without paths; mvfolder with a wrong number of arguments" {
	run --separate-stderr mbx-rmfolder user2@contoso.com
	assert_failure 2
	run --separate-stderr mbx-mvfolder user2@contoso.com /A
	assert_failure 2
	run --separate-stderr mbx-mvfolder --name X user2@contoso.com /A B
	assert_failure 2
}
