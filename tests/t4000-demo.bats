#!/usr/bin/env bats
# The README's demo runs the main job through the real TLS and auth path: a full export
# of user1 into a zstd archive, verified, restored into user2 under /Restored, a
# migration with a jq filter, and a closing table that must show source and targets
# agree. Run in a pipe here (t8000 runs it on a terminal): no progress, nothing on stderr.

load helpers

setup_file() {
	command -v zstd >/dev/null || skip "zstd not installed"
	cd "$BATS_FILE_TMPDIR"
	start=$SECONDS
	"$MBX_SRCDIR/demo.sh" >demo.out 2>demo.err && echo $? >demo.rc || echo $? >demo.rc
	echo $((SECONDS - start)) >demo.secs
}

setup() {
	cd "$BATS_FILE_TMPDIR"
	output=$(cat demo.out)
	mapfile -t lines <demo.out
}

# The rows of the closing table: "path<TAB>user1<TAB>restored<TAB>migrated".
table() {
	sed -n '/^folder  *user1  *\/Restored  *\/Migrated$/,/^total /p' demo.out | sed '1d;$d' |
		sed -E 's/^(.*[^ ]) +([0-9]+) +([0-9-]+) +([0-9-]+)$/\1\t\2\t\3\t\4/'
}

@test "demo.sh succeeds well under a minute, with nothing on stderr" {
	assert_equal "$(cat demo.rc)" 0
	assert_equal "$(cat demo.err)" ""
	[ "$(cat demo.secs)" -lt 60 ] || fail "demo.sh took $(cat demo.secs) s"
	assert_regex "${lines[-1]}" '^\(demo done in [0-9]+ s\)$'
	echo "# demo.sh: $(cat demo.secs) s" >&3
}

@test "demo.sh shows the two mailboxes and user1's folder tree" {
	assert_line --index 0 "== mailboxes: mbx-ls -M user1@contoso.com user2@contoso.com"
	assert_regex "${lines[1]}" $'^user1@contoso.com\tprimary\tMBX:'
	assert_regex "${lines[2]}" $'^user2@contoso.com\tprimary\tMBX:'
	assert_line "== folders of user1: mbx-folders user1@contoso.com"
	assert_line $'/Inbox/Q1\\/Q2 Reports\t22 items'
	# the folder list adds up to the generated 200 items
	assert_equal "$(grep -E $'\t[0-9]+ items$' demo.out | awk -F'\t' '{ s += $2 } END { print s }')" 200
}

@test "demo.sh exports user1 into a zstd archive and verifies every frame" {
	assert_line "mbx-folders user1@contoso.com | mbx-ls | mbx-export | zstd > user1.mbx.zst"
	assert_regex "$output" $'\n[0-9]+ bytes of frames, [0-9]+ bytes compressed\n'
	nfolders=$(grep -cE $'\t[0-9]+ items$' demo.out)
	assert_line "mbx-frames: $((200 + nfolders)) frames: 200 items ok, 0 bad, 0 error frames"
}

@test "demo.sh restores all 200 items and migrates all but /Inbox/Projects" {
	assert_line "zstd -dc user1.mbx.zst | mbx-import user2@contoso.com --under /Restored"
	assert_line "  jq -c 'select(.path | test(\"^/Inbox/Projects(/|\$)\") | not)' |"
	created=$(grep -E '^ +[0-9]+ created$' demo.out | awk '{ print $1 }')
	skipped=$(table | awk -F'\t' '$1 ~ /^\/Inbox\/Projects(\/|$)/ { s += $2 } END { print s }')
	[ "$skipped" -gt 0 ]
	assert_equal "$created" "200
$((200 - skipped))"
}

@test "the closing table: the restore agrees everywhere, the migration where the filter kept the folder" {
	[ "$(table | wc -l)" -ge 7 ]
	while IFS=$'\t' read -r path src res mig; do
		assert_equal "$res" "$src"
		if [[ $path =~ ^/Inbox/Projects(/|$) ]]; then
			assert_equal "$mig" "-"
		else
			assert_equal "$mig" "$src"
		fi
	done < <(table)
	tot=$(grep '^total ' demo.out | awk '{ print $2, $3, $4 }')
	sum=$(table | awk -F'\t' '{ s += $2; if ($4 != "-") m += $4 } END { print s, s, m }')
	assert_equal "$tot" "$sum"
	assert_line "source and targets agree: every folder restored, every folder the filter kept migrated"
}
