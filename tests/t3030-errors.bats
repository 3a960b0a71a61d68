#!/usr/bin/env bats
# Issue 12 items 3 and 4: a folder lookup that failed is not "no such folder" (mbx-mkfolder
# and mbx-import create a folder only where the listing said it is missing), and the HTTP
# engine refuses to be driven from inside one of its callbacks.

load helpers

setup_file() {
	# --folders-scope top: a folder's children come from its childFolders listing
	graphd_start --generate users=1,folders=2,items=3,size=2k,seed=7 --folders-scope top
	export MBX1=$(mailbox_id user1@contoso.com)
	mbx-mkfolder user1@contoso.com /Parent/Child >/dev/null
	mbx-folders user1@contoso.com /Inbox | mbx-ls | mbx-export >"$BATS_FILE_TMPDIR/frames"
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
}

# The folders under /Parent, once the faults are gone.
parent_tree() {
	admin DELETE /faults >/dev/null
	mbx-folders user1@contoso.com /Parent | jq -r .path | tr '\n' ' '
}

@test "mbx-mkfolder: a refused childFolders listing is reported, nothing is created" {
	admin POST /faults -d 'match=/childFolders,method=GET,status=400,code=ErrorInvalidRequest,count=0' >/dev/null
	run --separate-stderr mbx-mkfolder user1@contoso.com /Parent/New
	assert_equal "$status" 1
	assert_equal "$(jq -r '[.type, .code, .subject] | @tsv' <<<"$output")" $'error\tFolderCreateFailed\t/Parent/New'
	assert_equal "$stderr" "mbx-mkfolder: cannot create '/Parent/New': 400 Bad Request: ErrorInvalidRequest: Injected fault"
	assert_equal "$(parent_tree)" "/Parent /Parent/Child "
}

@test "mbx-mkfolder: a childFolders listing answered 404 is not \"no such folder\": nothing is created" {
	# a 404 is NOTFOUND only for a GET of one object (a folder by id), never for a listing
	admin POST /faults -d 'match=/childFolders,method=GET,status=404,code=ErrorItemNotFound,count=0' >/dev/null
	run --separate-stderr mbx-mkfolder user1@contoso.com /Parent/New
	assert_equal "$status" 1
	assert_equal "$(jq -r '[.type, .code, .subject] | @tsv' <<<"$output")" $'error\tFolderCreateFailed\t/Parent/New'
	assert_equal "$stderr" "mbx-mkfolder: cannot create '/Parent/New': 404 Not Found: ErrorItemNotFound: Injected fault"
	assert_equal "$(parent_tree)" "/Parent /Parent/Child "
}

@test "mbx-mkfolder: a listing that stays unavailable is exit 4, nothing is created" {
	admin POST /faults -d 'match=/childFolders,method=GET,status=500,count=0' >/dev/null
	run --separate-stderr mbx-mkfolder --retry-max-time 1 user1@contoso.com /Parent/New
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_equal "${stderr%% after *}" "mbx-mkfolder: cannot create '/Parent/New': gave up"
	assert_equal "$(parent_tree)" "/Parent /Parent/Child "
}

@test "mbx-mkfolder -n: a failed listing is not taken for a folder to make" {
	admin POST /faults -d 'match=/childFolders,method=GET,status=400,count=0' >/dev/null
	run --separate-stderr mbx-mkfolder -n user1@contoso.com /Parent/New
	assert_equal "$status" 1
	assert_equal "$(jq -r '[.type, .code] | @tsv' <<<"$output")" $'error\tFolderCreateFailed'
	assert_equal "$stderr" "mbx-mkfolder: cannot create '/Parent/New': 400 Bad Request: generalException: Injected fault"
	assert_equal "$(parent_tree)" "/Parent /Parent/Child "
}

@test "mbx-import --under: a listing that stays unavailable ends the import, exit 4, nothing made" {
	admin POST /faults -d 'match=/childFolders,method=GET,status=500,count=0' >/dev/null
	run --separate-stderr mbx-import --retry-max-time 1 --under /Parent user1@contoso.com <"$BATS_FILE_TMPDIR/frames"
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_equal "${stderr%% after *}" "mbx-import: cannot create folder '/Parent/Inbox': gave up"
	assert_equal "$(parent_tree)" "/Parent /Parent/Child "
}

@test "mbx-import --under: a refused listing fails its items, nothing is made" {
	admin POST /faults -d 'match=/childFolders,method=GET,status=400,count=0' >/dev/null
	run --separate-stderr mbx-import --under /Parent user1@contoso.com <"$BATS_FILE_TMPDIR/frames"
	assert_equal "$status" 1
	assert_equal "$(jq -r '[.type, .code] | @tsv' <<<"$output" | sort | uniq -c | awk '{print $1, $2, $3}')" "6 error FolderUnavailable"
	assert_equal "$(sort -u <<<"$stderr" | sed 's/cannot import .[^:]*:/cannot import ID:/' | sort -u)" "$(printf "mbx-import: cannot create folder '%s': 400 Bad Request: generalException: Injected fault\n" /Parent/Inbox /Parent/Inbox/Projects /Parent/Inbox/Projects/Receipts)"$'\n'"mbx-import: cannot import ID: 400 Bad Request: generalException: Injected fault"
	assert_equal "$(parent_tree)" "/Parent /Parent/Child "
}

@test "a callback that drives its own engine is refused: exit 70, one line" {
	url="$MBX_GRAPH_URL/admin/exchange/mailboxes/$MBX1/folders/inbox"
	run --separate-stderr mbx-testtool http GET "$url" --lane "$MBX1" --reenter
	assert_equal "$status" 70
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-testtool: internal error: the HTTP engine was driven from inside one of its callbacks"
	# the same request without the re-entry is fine
	run --separate-stderr mbx-testtool http GET "$url" --lane "$MBX1"
	assert_success
	assert_equal "$(jq -r .displayName <<<"$output")" Inbox
	assert_equal "$stderr" "status 200 attempts 1"
}
