#!/usr/bin/env bats
# Gmail Takeout (issue 16, "Done when"): a Gmail-style mbox with labels imports into
# the emulator with its folder tree, every message once, and comes back out through
# mbx-mime equal to what went in; --labels folders|categories|none; the README's
# "Mail from anywhere" lines run as written.

load helpers

PY=/usr/bin/python3

setup_file() {
	graphd_start --generate users=2,folders=1,items=1,seed=8
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
	$PY "$MBX_SRCDIR/tests/mime-gen.py" gmail "$BATS_FILE_TMPDIR/takeout.mbox"
	$PY "$MBX_SRCDIR/tests/mime-gen.py" trees "$BATS_FILE_TMPDIR/trees"
}

teardown_file() {
	graphd_stop
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	TAKEOUT=$BATS_FILE_TMPDIR/takeout.mbox
}

# The labels of the generated Takeout, in order (tests/mime-gen.py gmail):
#   0 Inbox,Important,Opened         5 Work/Projects,Receipts,Opened
#   1 Work/Projects,Inbox,Opened     6 =?UTF-8?Q?Fam=C3=ADlia?=,Opened
#   2 Work,Unread                    7 Spam,Unread
#   3 Sent,Opened                    8 Trash,Opened
#   4 Archived,Starred,...Personal   9 "Travel, 2024",Opened  (4 has no Message-ID)

@test "--labels folders (the default): the first label of the user is the folder, the others categories" {
	run --separate-stderr bash -c "mbx-mime --to-frames '$TAKEOUT' | mbx-frames -t | jq -c '[.subject[-1:], .folderPath, .isRead, .categories]'"
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(printf '%s\n' '["0","/Inbox",true,["Important"]]' '["1","/Work/Projects",true,null]' \
		'["2","/Work",false,null]' '["3","/Sent Items",true,null]' \
		'["4","/Archive",true,["Category Personal"]]' '["5","/Work/Projects",true,["Receipts"]]' \
		'["6","/Família",true,null]' '["7","/Junk Email",false,null]' \
		'["8","/Deleted Items",true,null]' '["9","/Travel, 2024",true,null]')"
	# unread is MessageFlags 0, Starred a flag (PidTagFlagStatus 2)
	mbx-mime --to-frames "$TAKEOUT" | mbx-frames --decode >d.json
	assert_equal "$(jq -c '[.fx.messageFlags]' d.json | tr -d '\n')" '[1][1][0][1][1][1][1][0][1][1]'
	assert_equal "$(jq -r 'select(.subject == "Gmail message 4") | .fx.properties[] | select(.tag == "0x10900003") | .value' d.json)" 2
}

@test "--labels categories: places are folders, every other label a category; --labels none: neither" {
	run --separate-stderr bash -c "mbx-mime --to-frames --labels categories '$TAKEOUT' | mbx-frames -t | jq -c '[.folderPath, .categories]'"
	assert_success
	assert_output "$(printf '%s\n' '["/Inbox",["Important"]]' '["/Inbox",["Work/Projects"]]' \
		'["/Archive",["Work"]]' '["/Sent Items",null]' '["/Archive",["Category Personal"]]' \
		'["/Archive",["Work/Projects","Receipts"]]' '["/Archive",["Família"]]' \
		'["/Junk Email",null]' '["/Deleted Items",null]' '["/Archive",["Travel, 2024"]]')"
	run --separate-stderr bash -c "mbx-mime --to-frames --labels none '$TAKEOUT' | mbx-frames -t | jq -c '[has(\"folderPath\"), .categories, .isRead]' | sort | uniq -c | awk '{print \$1, \$2}'"
	assert_success
	assert_output '10 [false,null,true]'
}

@test "done when: a Takeout goes in with its folder tree, every message once, and comes back equal" {
	run --separate-stderr bash -c "set -o pipefail; mbx-mime --to-frames '$TAKEOUT' | mbx-import user1@contoso.com --under /Gmail --journal j"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 10
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .status | sort -u)" created
	# the tree: a folder per label used as a folder, nested as the labels are
	run bash -c "mbx-folders user1@contoso.com /Gmail | jq -r '\"\(.path) \(.totalItemCount)\"' | sort"
	assert_output "$(printf '%s\n' '/Gmail 0' '/Gmail/Archive 1' '/Gmail/Deleted Items 1' '/Gmail/Família 1' \
		'/Gmail/Inbox 1' '/Gmail/Junk Email 1' '/Gmail/Sent Items 1' '/Gmail/Travel, 2024 1' \
		'/Gmail/Work 1' '/Gmail/Work/Projects 2' | sort)"
	# every message once, and the same as it went in, as Python reads both mboxes
	mbx-folders user1@contoso.com /Gmail | mbx-ls | mbx-export | mbx-mime >back.mbox
	run --separate-stderr $PY "$MBX_SRCDIR/tests/mime-norm.py" compare "$TAKEOUT" -- back.mbox
	assert_success
	assert_equal "$stderr" "10 in, 10 out, 0 unmatched"
	# the same line again imports nothing
	run --separate-stderr bash -c "set -o pipefail; mbx-mime --to-frames '$TAKEOUT' | mbx-import user1@contoso.com --under /Gmail --journal j"
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .status | sort | uniq -c | awk '{print $1, $2}')" "10 skipped"
}

@test "README: the Mail from anywhere lines run as written" {
	R=$MBX_SRCDIR/README.md
	grep -qF "mbx-mime --to-frames 'All mail Including Spam and Trash.mbox' |" "$R"
	grep -qF '  mbx-import bob@contoso.com --under /Gmail --journal gmail.journal' "$R"
	grep -qF 'mbx-mime --to-frames ~/Maildir | mbx-import bob@contoso.com --under /FromIMAP' "$R"
	grep -qF "find archive -name '*.eml' | mbx-mime --to-frames --files-from - |" "$R"
	grep -qF '  mbx-import bob@contoso.com --folder /Archive/2019' "$R"
	grep -qF "mbx-mime --to-frames --ndjson takeout.mbox | jq -c 'select(.folderPath | startswith(\"/Work\"))' |" "$R"
	grep -qF '  mbx-import bob@contoso.com --under /Gmail' "$R"
	cp "$TAKEOUT" 'All mail Including Spam and Trash.mbox'
	cp "$TAKEOUT" takeout.mbox
	mkdir -p home/Maildir/cur home/Maildir/.Lists.Debian/cur archive/2019
	cp "$BATS_FILE_TMPDIR/trees/alternative.eml" home/Maildir/cur/1.a:2,S
	cp "$BATS_FILE_TMPDIR/trees/nested.eml" home/Maildir/.Lists.Debian/cur/2.b:2,S
	cp "$BATS_FILE_TMPDIR/trees"/charset-*.eml archive/2019/
	run --separate-stderr bash -c "set -o pipefail; mbx-mime --to-frames 'All mail Including Spam and Trash.mbox' |
	  mbx-import user2@contoso.com --under /Gmail --journal gmail.journal"
	assert_success
	assert_equal "${#lines[@]}" 10
	run --separate-stderr bash -c "set -o pipefail; HOME=\$PWD/home; mbx-mime --to-frames ~/Maildir | mbx-import user2@contoso.com --under /FromIMAP"
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .folderPath | sort | tr '\n' ' ')" "/FromIMAP/Inbox /FromIMAP/Lists/Debian "
	run --separate-stderr bash -c "set -o pipefail; find archive -name '*.eml' | mbx-mime --to-frames --files-from - |
	  mbx-import user2@contoso.com --folder /Archive/2019"
	assert_success
	assert_equal "${#lines[@]}" "$(ls archive/2019 | wc -l)"
	run --separate-stderr bash -c "set -o pipefail; mbx-mime --to-frames --ndjson takeout.mbox | jq -c 'select(.folderPath | startswith(\"/Work\"))' |
	  mbx-import user2@contoso.com --under /Work2"
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .folderPath | sort | tr '\n' ' ')" "/Work2/Work /Work2/Work/Projects /Work2/Work/Projects "
	assert_equal "$stderr" ""
}

@test "labels with blanks around them keep every letter, and a non-UTF-8 label stays valid JSON" {
	# found by fuzz-mbox: the trailing blanks were cut by the count of the leading ones,
	# so "Inbox, Work, Travel" gave the folder /Wor and the category "Trave"; with a
	# windows-1252 byte the cut split a UTF-8 sequence and broke the frame's header
	printf 'From a@b Mon Jan  1 00:00:00 2024\nX-Gmail-Labels: Inbox,  Work , Travel\t\nSubject: x\n\nhi\n' >sp.mbox
	printf 'From a@b Mon Jan  1 00:00:00 2024\nX-Gmail-Labels: Inbox, Caf\xe9 \nKeywords:  Red , Blue \nSubject: y\n\nhi\n' >>sp.mbox
	run --separate-stderr bash -c "mbx-mime --to-frames sp.mbox | mbx-frames -t | jq -c '[.folderPath, .categories, .defects]'"
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(printf '%s\n' '["/Work",["Travel"],null]' '["/Café",["Red","Blue"],["headerNotUtf8"]]')"
	run --separate-stderr bash -c "mbx-mime --to-frames --labels categories sp.mbox | mbx-frames -t | jq -c '[.folderPath, .categories]'"
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(printf '%s\n' '["/Inbox",["Work","Travel"]]' '["/Inbox",["Café","Red","Blue"]]')"
}
