#!/usr/bin/env bats
# mbx-folders: the folder tree, depth-first, with escaped paths, from arguments or records.

load helpers

setup_file() {
	graphd_start --generate users=2,folders=12,items=60,size=2k,seed=11,archive=1
	export MBX1=$(admin GET /mailboxes | jq -r '.value[] | select(.user=="user1@contoso.com" and .kind=="primary") | .id')
	admin GET "/mailboxes/$MBX1" >"$BATS_FILE_TMPDIR/admin.json"
}

teardown_file() {
	graphd_stop
}

# ids of the folders the emulator holds, root and hidden folders excluded
admin_folder_ids() {
	jq -r '.folders[] | select(.path != "/" and .path != "") | .id' "$BATS_FILE_TMPDIR/admin.json" | sort
}

@test "mbx-folders lists every folder once, depth-first, with paths and counts" {
	run --separate-stderr mbx-folders user1@contoso.com
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	# every record is a folder record of this mailbox
	assert_equal "$(jq -r '[.type, .mailbox] | join(" ")' "$BATS_TEST_TMPDIR/out" | sort -u)" "folder $MBX1"
	# the same folders as the emulator holds (the user-visible IPM tree)
	diff <(jq -r .id "$BATS_TEST_TMPDIR/out" | sort) \
		<(jq -r '.folders[] | select(.path != "/" and .path != "" and (.hidden // false | not)) | .id' \
			"$BATS_FILE_TMPDIR/admin.json" | sort)
	# depth-first: a folder's parent appears before it (or is the root)
	jq -r '[.id, .parentFolderId] | @tsv' "$BATS_TEST_TMPDIR/out" | awk -F'\t' '
		NR == 1 { root = $2 } { seen[$1] = 1 }
		$2 != root && !seen[$2] { print "parent after child: " $1; bad = 1 }
		END { exit bad }'
	# counts agree with the emulator's
	diff <(jq -r '"\(.id) \(.totalItemCount)"' "$BATS_TEST_TMPDIR/out" | sort) \
		<(jq -r '.folders[] | "\(.id) \(.count)"' "$BATS_FILE_TMPDIR/admin.json" | sort | \
			grep -Ff <(jq -r .id "$BATS_TEST_TMPDIR/out"))
	assert_equal "$(jq -r 'select(.wellKnownName=="inbox") | .path' "$BATS_TEST_TMPDIR/out")" /Inbox
}

@test "a path names a subtree: the folder first, then everything under it" {
	run --separate-stderr mbx-folders user1@contoso.com /Inbox
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .path <<<"${lines[0]}")" /Inbox
	run jq -r 'select(.path | startswith("/Inbox") | not) | .path' <<<"$output"
	assert_output ""
}

@test "a display name with '/' is found through its escaped path" {
	all=$(mbx-folders user1@contoso.com)
	name=$(jq -r 'select(.displayName | contains("/")) | .displayName' <<<"$all" | head -n 1)
	[ -n "$name" ] || fail "the generated mailbox has no folder with '/' in its name"
	path=$(jq -r --arg n "$name" 'select(.displayName == $n) | .path' <<<"$all" | head -n 1)
	[[ "$path" == *'\/'* ]] || fail "path '$path' does not escape the '/'"
	run --separate-stderr mbx-folders user1@contoso.com "$path"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .displayName <<<"${lines[0]}")" "$name"
	assert_equal "$(jq -r .path <<<"${lines[0]}")" "$path"
}

@test "a folder id or a well-known name works in place of a path, with the path computed" {
	id=$(mbx-folders user1@contoso.com /Inbox | jq -r .id | tail -n 1)
	expect=$(mbx-folders user1@contoso.com /Inbox | jq -r .path | tail -n 1)
	run --separate-stderr mbx-folders user1@contoso.com "$id"
	assert_success
	assert_equal "$(jq -r .path <<<"${lines[0]}")" "$expect"
	run --separate-stderr mbx-folders user1@contoso.com sentitems
	assert_success
	assert_equal "$(jq -r .path <<<"${lines[0]}")" "/Sent Items"
	assert_equal "$stderr" ""
}

@test "folder names match without regard to case" {
	run --separate-stderr mbx-folders user1@contoso.com /INBOX
	assert_success
	assert_equal "$(jq -r .path <<<"${lines[0]}")" /Inbox
}

@test "mailbox records on stdin: the same tree as from the argument" {
	mbx-folders user1@contoso.com >"$BATS_TEST_TMPDIR/direct"
	mbx-ls -M user1@contoso.com >"$BATS_TEST_TMPDIR/mailboxes"
	run --separate-stderr mbx-folders <"$BATS_TEST_TMPDIR/mailboxes"
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" | grep -F "\"mailbox\":\"$MBX1\"" >"$BATS_TEST_TMPDIR/piped"
	diff "$BATS_TEST_TMPDIR/direct" "$BATS_TEST_TMPDIR/piped"
	# the archive's folders follow
	arch=$(jq -r 'select(.kind=="archive") | .id' "$BATS_TEST_TMPDIR/mailboxes")
	assert [ "$(grep -c "\"mailbox\":\"$arch\"" <<<"$output")" -gt 0 ]
}

@test "--archive walks the in-place archive" {
	arch=$(admin GET /mailboxes | jq -r '.value[] | select(.user=="user1@contoso.com" and .kind=="archive") | .id')
	run --separate-stderr mbx-folders --archive user1@contoso.com
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .mailbox <<<"$output" | sort -u)" "$arch"
}

@test "an unknown path: error record and a clear message, exit 1" {
	run --separate-stderr mbx-folders user1@contoso.com /Inbox/NoSuchFolder
	assert_equal "$status" 1
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -r .type <<<"$output")" error
	assert_equal "$(jq -r .subject <<<"$output")" /Inbox/NoSuchFolder
	assert_equal "$(jq -r .code <<<"$output")" FolderNotFound
	assert_regex "$stderr" "^mbx-folders: cannot list folders of 'MBX:[^']+': no folder 'NoSuchFolder' under '/Inbox'$"
}

@test "a tree that cannot be read is FolderWalkFailed in mbx-folders and mbx-ls alike" {
	admin POST /faults -d 'match=/folders,method=GET,status=400,code=ErrorInvalidRequest,count=0' >/dev/null
	run --separate-stderr mbx-folders user1@contoso.com
	folders_status=$status folders_out=$output folders_err=$stderr
	run --separate-stderr mbx-ls user1@contoso.com
	admin DELETE /faults >/dev/null
	assert_equal "$folders_status" 1
	assert_equal "$(jq -r '[.type, .code, .mailbox] | @tsv' <<<"$folders_out")" "error	FolderWalkFailed	$MBX1"
	assert_equal "$folders_err" "mbx-folders: cannot list folders of '$MBX1': 400 Bad Request: ErrorInvalidRequest: Injected fault"
	assert_equal "$status" 1
	assert_equal "$(jq -r '[.type, .code, .mailbox] | @tsv' <<<"$output")" "error	FolderWalkFailed	$MBX1"
	assert_equal "$stderr" "mbx-ls: cannot list '/' in '$MBX1': 400 Bad Request: ErrorInvalidRequest: Injected fault"
	# once the fault is gone, the same tree as ever
	run --separate-stderr mbx-folders user1@contoso.com
	assert_success
	assert_equal "$stderr" ""
}

@test "an unknown user: error record, exit 1" {
	run --separate-stderr mbx-folders ghost@contoso.com
	assert_equal "$status" 1
	assert_equal "$(jq -r .type <<<"$output")" error
	assert_regex "$stderr" "^mbx-folders: cannot find mailbox of 'ghost@contoso.com': 404 "
}

# mbx(7) STATISTICS: every program honours --stats; those without counts of their own
# count the records they wrote and the error records among them.
@test "--stats: mbx-ls, mbx-folders and mbx-mkfolder count the records they wrote" {
	s=$BATS_TEST_TMPDIR
	mbx-ls --stats "$s/ls-M" -M user1@contoso.com nobody@contoso.com >"$s/mailboxes" 2>/dev/null && st=0 || st=$?
	assert_equal "$st" 1
	assert_equal "$(jq -c '[.type, .program, .records, .errors]' "$s/ls-M")" "[\"stats\",\"mbx-ls\",$(wc -l <"$s/mailboxes"),1]"
	assert_equal "$(grep -c '"type":"error"' "$s/mailboxes")" 1
	mbx-folders --stats "$s/folders" user1@contoso.com >"$s/folders.out"
	assert_equal "$(jq -c '[.program, .records, .errors]' "$s/folders")" "[\"mbx-folders\",$(wc -l <"$s/folders.out"),0]"
	assert [ "$(jq .requests "$s/folders")" -ge 1 ]
	assert_equal "$(jq -r '[.retries, .throttled, (.elapsed | type)] | @tsv' "$s/folders")" $'0\t0\tnumber'
	mbx-mkfolder --stats "$s/mk" user1@contoso.com /Stats/a /Stats/b >"$s/mk.out"
	assert_equal "$(jq -c '[.program, .records, .errors]' "$s/mk")" "[\"mbx-mkfolder\",$(wc -l <"$s/mk.out"),0]"
	assert [ "$(wc -l <"$s/mk.out")" -ge 2 ]
}
