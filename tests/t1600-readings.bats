#!/usr/bin/env bats
# The programs against the other readings of graph-api.md that mbx-graphd can play: no
# well-known names in paths, only `inbox` (8.23, 3.0), and a /folders that lists the
# root's children only (8.10), alone and combined. Each reading runs on its own emulator
# generated from the same seed as the default one (REF), so the ids are the same and
# every result must equal REF's: the same records, the same frames.

load helpers

READINGS="none inbox top nonetop"

setup_file() {
	local gen=users=2,folders=40,items=30,size=2k,seed=1601 r args
	for r in ref $READINGS; do
		case $r in
		ref) args= ;;
		none) args="--well-known-names none" ;;
		inbox) args="--well-known-names inbox" ;;
		top) args="--folders-scope top" ;;
		nonetop) args="--well-known-names none --folders-scope top" ;;
		esac
		# shellcheck disable=SC2086
		GRAPHD_DIR=$BATS_FILE_TMPDIR/$r graphd_start --generate "$gen" $args
		echo "$GRAPHD_URL" >"$BATS_FILE_TMPDIR/$r.url"
	done
}

teardown_file() {
	local r
	for r in ref $READINGS; do
		GRAPHD_DIR=$BATS_FILE_TMPDIR/$r graphd_stop
	done
}

# on READING CMD...: run CMD against that reading's emulator
on() {
	local u
	u=$(cat "$BATS_FILE_TMPDIR/$1.url")
	shift
	MBX_GRAPH_URL=$u/beta AZURE_AUTHORITY_HOST=$u GRAPHD_URL=$u \
		XDG_CACHE_HOME=$BATS_FILE_TMPDIR/cache-${u##*:} "$@"
}

# sh READING SCRIPT: a pipeline against that reading, exit status of the whole
sh() {
	local r=$1
	shift
	on "$r" bash -c "set -o pipefail; $1"
}

@test "the readings are in force: well-known names refused where the reading says" {
	for r in none nonetop; do
		run --separate-stderr on "$r" mbx-folders user1@contoso.com inbox
		assert_equal "$status" 1
		assert_regex "$stderr" "^mbx-folders: cannot list folders of .*: 400 "
	done
	run --separate-stderr on inbox mbx-folders user1@contoso.com sentitems
	assert_equal "$status" 1
	run --separate-stderr on inbox mbx-folders user1@contoso.com inbox
	assert_success
	assert_equal "$output" "$(on ref mbx-folders user1@contoso.com inbox)"
}

@test "mbx-folders: the whole tree and a subtree, the same records under every reading" {
	ref=$(on ref mbx-folders user1@contoso.com)
	sub=$(on ref mbx-folders user1@contoso.com /Inbox/Projects)
	[ "$(wc -l <<<"$ref")" -gt 40 ]
	[ "$(wc -l <<<"$sub")" -gt 1 ]
	for r in $READINGS; do
		run --separate-stderr on "$r" mbx-folders user1@contoso.com
		assert_success
		assert_equal "$stderr" ""
		assert_equal "$output" "$ref"
		run --separate-stderr on "$r" mbx-folders user1@contoso.com /Inbox/Projects
		assert_success
		assert_equal "$output" "$sub"
		# by id: the path is found by walking up
		id=$(sed -n 3p <<<"$ref" | jq -r .id)
		run --separate-stderr on "$r" mbx-folders user1@contoso.com "$id"
		assert_success
		assert_equal "$output" "$(on ref mbx-folders user1@contoso.com "$id")"
	done
}

@test "mbx-ls with paths and mbx-export: the same items and the same frames" {
	ls_ref=$(on ref mbx-ls user1@contoso.com /Inbox /Inbox/Projects)
	x_ref=$(sh ref 'mbx-folders user1@contoso.com | mbx-ls | mbx-export | mbx-frames -t' | sort)
	[ "$(wc -l <<<"$x_ref")" -gt 30 ]
	for r in $READINGS; do
		run --separate-stderr on "$r" mbx-ls user1@contoso.com /Inbox /Inbox/Projects
		assert_success
		assert_equal "$stderr" ""
		assert_equal "$output" "$ls_ref"
		run --separate-stderr sh "$r" 'mbx-folders user1@contoso.com | mbx-ls | mbx-export | mbx-frames -t'
		assert_success
		assert_equal "$(sort <<<"$output")" "$x_ref"
	done
}

# the folders under PREFIX of user2 and the sha256 of their items, ids left out
restored() {
	sh "$1" "mbx-folders user2@contoso.com '$2' | jq -c 'del(.id, .parentFolderId, .mailbox)'
		mbx-ls user2@contoso.com '$2' | jq -r .folderPath | sort | uniq -c"
}

@test "mbx-import --under and --folder: the same tree and items under every reading" {
	for r in ref $READINGS; do
		run --separate-stderr sh "$r" "mbx-folders user1@contoso.com | mbx-ls | mbx-export >'$BATS_TEST_TMPDIR/$r.frames'
			mbx-import user2@contoso.com --under /Restored/Deep <'$BATS_TEST_TMPDIR/$r.frames'
			mbx-ls user1@contoso.com /Inbox/Projects | mbx-export | mbx-import user2@contoso.com --folder /Inbox/One/Two"
		assert_success
	done
	ref=$(restored ref /Restored)
	one=$(restored ref /Inbox/One)
	[ "$(wc -l <<<"$ref")" -gt 40 ]
	for r in $READINGS; do
		assert_equal "$(restored "$r" /Restored)" "$ref"
		assert_equal "$(restored "$r" /Inbox/One)" "$one"
	done
}

@test "mbx-mkfolder, mbx-mvfolder, mbx-rmfolder by path: the same tree after" {
	for r in ref $READINGS; do
		run --separate-stderr sh "$r" "mbx-mkfolder user1@contoso.com /Top/A/B /Inbox/Projects/New &&
			mbx-mvfolder user1@contoso.com /Top/A Renamed &&
			mbx-rmfolder user1@contoso.com /Top/Renamed/B &&
			mbx-mkfolder -n user1@contoso.com /Top/Renamed/C/D"
		assert_success
		assert_equal "$stderr" ""
		echo "$output" | jq -c 'del(.id, .parentFolderId, .mailbox)' >"$BATS_TEST_TMPDIR/$r.out"
		sh "$r" "mbx-folders user1@contoso.com | jq -c 'del(.id, .parentFolderId, .mailbox)'" \
			>"$BATS_TEST_TMPDIR/$r.tree"
	done
	grep -q '"path":"/Top/Renamed"' "$BATS_TEST_TMPDIR/ref.tree"
	! grep -q '"path":"/Top/Renamed/B"' "$BATS_TEST_TMPDIR/ref.tree"
	for r in $READINGS; do
		cmp "$BATS_TEST_TMPDIR/ref.out" "$BATS_TEST_TMPDIR/$r.out"
		cmp "$BATS_TEST_TMPDIR/ref.tree" "$BATS_TEST_TMPDIR/$r.tree"
	done
}

@test "delta: mbx-folders --delta and mbx-ls --delta, two rounds, the same records" {
	for r in ref $READINGS; do
		d=$BATS_TEST_TMPDIR/$r
		run --separate-stderr sh "$r" "mbx-folders --delta '$d.fst' user1@contoso.com >'$d.f1'
			mbx-ls --delta '$d.lst' user1@contoso.com /Inbox >'$d.l1'
			mbx-mkfolder user1@contoso.com /Inbox/Delta1 >/dev/null
			mbx-ls user1@contoso.com /Inbox | head -n 2 | mbx-rm >/dev/null
			mbx-folders --delta '$d.fst' user1@contoso.com | jq -c 'del(.id, .parentFolderId)' >'$d.f2'
			mbx-ls --delta '$d.lst' user1@contoso.com /Inbox >'$d.l2'"
		assert_success
		assert_equal "$stderr" ""
	done
	[ -s "$BATS_TEST_TMPDIR/ref.f1" ] && [ -s "$BATS_TEST_TMPDIR/ref.l1" ]
	grep -q '/Inbox/Delta1' "$BATS_TEST_TMPDIR/ref.f2"
	[ "$(grep -c '"removed":true' "$BATS_TEST_TMPDIR/ref.l2")" -eq 2 ]
	# the same records, in any order: mbx-rm sends its two deletes at once, so the order
	# of the tombstones, and of a delta round's records, is the order they landed in
	for r in $READINGS; do
		for f in f1 l1 f2 l2; do
			assert_equal "$(sort "$BATS_TEST_TMPDIR/$r.$f")" "$(sort "$BATS_TEST_TMPDIR/ref.$f")"
		done
	done
}
