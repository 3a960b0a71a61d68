#!/usr/bin/env bats
# README's nightly backup (mbx-ls --delta | mbx-export | zstd), run as written for three
# nights of a changing mailbox: the first holds everything, the next only the changes,
# and replaying them gives every item's current bytes.

load helpers

setup_file() {
	graphd_start --generate users=1,folders=4,items=50,size=3k,seed=71
	export MBX1=$(mailbox_id user1@contoso.com)
}

teardown_file() {
	graphd_stop
}

@test "README: nightly backups with --delta, replayed, hold every current item byte for byte" {
	command -v zstd >/dev/null || skip "zstd not installed"
	cd "$BATS_TEST_TMPDIR"
	grep -qF 'mbx-ls --delta alice.state alice@contoso.com | mbx-export | zstd > alice-$(date +%F).mbx.zst' "$MBX_SRCDIR/README.md"
	for night in 0 1 2; do
		if [ "$night" -gt 0 ]; then
			admin POST "/mailboxes/$(jq -rn --arg s "$MBX1" '$s|@uri')/churn" \
				-d "{\"adds\":4,\"edits\":3,\"moves\":2,\"deletes\":2,\"seed\":$night}" >/dev/null
		fi
		run --separate-stderr bash -c "set -o pipefail; mbx-ls --delta alice.state user1@contoso.com | mbx-export | zstd -q > night$night.mbx.zst"
		assert_success
		assert_equal "$stderr" ""
		zstd -dcq "night$night.mbx.zst" | mbx-frames -t >"night$night.hdr"
	done
	# the first night has every item; the next ones only changes
	assert_equal "$(grep -c '"type":"item"' night0.hdr)" 50
	[ "$(grep -c '"type":"item"' night1.hdr)" -lt 15 ]
	[ "$(grep -c '"removed":true' night1.hdr)" -ge 2 ]
	# replay: the last version of each item, removals dropped, is the mailbox today
	diff <(jq -rn 'reduce (inputs | select(.type == "item")) as $r ({};
			if $r.removed then del(.[$r.id]) else .[$r.id] = $r.sha256 end)
			| to_entries[] | "\(.key) \(.value)"' night0.hdr night1.hdr night2.hdr | sort) \
		<(admin GET "/mailboxes/$MBX1" | jq -r '.items[] | "\(.id) \(.sha256)"' | sort)
}
