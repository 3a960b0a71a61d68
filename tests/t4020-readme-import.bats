#!/usr/bin/env bats
# The import lines of README.md run as written (with the emulator's users), and the
# resume promise of mbx-import(1): killed at any point, re-run with the journal, every
# item exists once but for at most --jobs in flight.

load helpers

setup_file() {
	graphd_start --generate users=3,folders=5,items=60,size=4k,seed=23
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
	export MBX3=$(mailbox_id user3@contoso.com)
	admin GET "/mailboxes/$MBX1" >"$BATS_FILE_TMPDIR/src.json"
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
}


@test "README: a zstd backup restored under /Restored holds every item byte for byte" {
	command -v zstd >/dev/null || skip "zstd not installed"
	cd "$BATS_TEST_TMPDIR"
	grep -qF 'zstd -dc alice.mbx.zst | mbx-import alice@contoso.com --under /Restored' "$MBX_SRCDIR/README.md"
	mbx-folders user1@contoso.com | mbx-ls | mbx-export | zstd -q >alice.mbx.zst
	# restored into user3: user1 stays the unchanged source of the next tests
	run --separate-stderr bash -c 'set -o pipefail; zstd -dc alice.mbx.zst | mbx-import user3@contoso.com --under /Restored'
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 60
	diff <(tree_items "$MBX3" /Restored) <(src_items "$BATS_FILE_TMPDIR/src.json")
}

@test "README: the migration leaves B's tree equal to A's; the same line again imports nothing" {
	cd "$BATS_TEST_TMPDIR"
	grep -qF 'mbx-folders alice@contoso.com | mbx-ls | mbx-export |' "$MBX_SRCDIR/README.md"
	grep -qF '  mbx-import bob@contoso.com --under /FromAlice --journal alice-bob.journal' "$MBX_SRCDIR/README.md"
	line='set -o pipefail; mbx-folders user1@contoso.com | mbx-ls | mbx-export |
	  mbx-import user2@contoso.com --under /FromAlice --journal alice-bob.journal'
	run --separate-stderr bash -c "$line"
	assert_success
	assert_equal "$stderr" ""
	diff <(tree_items "$MBX2" /FromAlice) <(src_items "$BATS_FILE_TMPDIR/src.json")
	diff <(mbx-folders user2@contoso.com /FromAlice | jq -r '.path | ltrimstr("/FromAlice")' | grep . | sort) \
		<(mbx-folders user1@contoso.com | jq -r .path | sort)
	run --separate-stderr bash -c "$line"
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .status | sort | uniq -c | awk '{print $1, $2}')" "60 skipped"
	diff <(tree_items "$MBX2" /FromAlice) <(src_items "$BATS_FILE_TMPDIR/src.json")
}

# Kill the importer with SIGKILL after a random number of journaled items, re-run with
# the journal, and count: every source item present, duplicates at most --jobs.
@test "kill -9 at random points and a re-run with the journal: no item lost, at most --jobs twice" {
	mbx-folders user1@contoso.com | mbx-ls | mbx-export >"$BATS_TEST_TMPDIR/frames"
	admin POST /faults -d 'match=importItem,latency=40,count=0' >/dev/null
	worst=0
	for seed in $(seq 1 20); do
		p=/K$seed j=$BATS_TEST_TMPDIR/j$seed
		RANDOM=$seed
		stop=$(( RANDOM % 50 + 1 ))
		mbx-import --jobs 4 user3@contoso.com --under "$p" --journal "$j" \
			<"$BATS_TEST_TMPDIR/frames" >/dev/null 2>&1 &
		pid=$!
		# wait for $stop journaled items (the header is line 1), then SIGKILL
		for _ in $(seq 1 400); do
			[ "$(wc -l <"$j" 2>/dev/null || echo 0)" -gt "$stop" ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.01
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		run --separate-stderr mbx-import --jobs 4 user3@contoso.com --under "$p" --journal "$j" <"$BATS_TEST_TMPDIR/frames"
		assert_success
		# every source item is there (as a multiset of contents at least once) ...
		diff <(src_items "$BATS_FILE_TMPDIR/src.json") <(tree_items "$MBX3" "$p" | sort -u)
		# ... and the extra copies are no more than the uploads in flight at the kill
		extra=$(( $(tree_items "$MBX3" "$p" | wc -l) - 60 ))
		[ "$extra" -ge 0 ] && [ "$extra" -le 4 ] || { echo "seed $seed: $extra duplicates" >&2; false; }
		[ "$extra" -gt "$worst" ] && worst=$extra
	done
	echo "# worst duplicates over 20 kills: $worst (bound 4)" >&3
}
