#!/usr/bin/env bats
# mbx-tenant(7) "Every night, what changed", run as written over four mailboxes for
# three nights (a wrapper for date(1) says which night it is): the first night holds
# every item, the next ones only the changes; a night that fails for one mailbox keeps
# its old delta state and leaves no night file, the same line run again finishes only
# that job, and replaying each mailbox's nights gives its items as they are today.

load helpers

setup_file() {
	command -v parallel >/dev/null || skip "GNU parallel not installed"
	graphd_start --generate users=4,folders=3,items=15,size=2k,seed=29
}

teardown_file() {
	graphd_stop
}

# recipe NAME: the literal block after '.\" recipe NAME' in man/mbx-tenant.7
recipe() {
	awk -v n="$1" '$0 == ".\\\" recipe " n { f = 1; next } f && /^\.Bd/ { next }
		f && /^\.Ed/ { exit } f' "$MBX_SRCDIR/man/mbx-tenant.7" | sed 's/\\e/\\/g'
}

# night DAY: run the nightly recipe as if today were DAY (YYYY-MM-DD)
night() {
	run --separate-stderr env NIGHT="$1" PATH="$BATS_TEST_TMPDIR/wrap:$PATH" bash -c "$(recipe nightly)"
}

# churn USER SEED: a user's day of changes in the emulator
churn() {
	admin POST "/mailboxes/$(jq -rn --arg s "$(mailbox_id "$1")" '$s|@uri')/churn" \
		-d "{\"adds\":3,\"edits\":2,\"moves\":1,\"deletes\":1,\"seed\":$2}" >/dev/null
}

# replayed USER: "id sha256" of the user's items from its night files in date order,
# the last version of each, removals dropped
replayed() {
	local f
	for f in "$1"-20*.mbx; do mbx-frames -t <"$f"; done |
		jq -rn 'reduce (inputs | select(.type == "item")) as $r ({};
			if $r.removed then del(.[$r.id]) else .[$r.id] = $r.sha256 end)
			| to_entries[] | "\(.key) \(.value)"' | sort
}
current() {
	admin GET "/mailboxes/$(jq -rn --arg s "$(mailbox_id "$1")" '$s|@uri')" |
		jq -r '.items[] | "\(.id) \(.sha256)"' | sort
}
items_of() { mbx-frames -t <"$1" | grep -c '"type":"item"' || true; }

@test "mbx-tenant(7): three nights of four mailboxes; a failed night keeps its state and is run again" {
	cd "$BATS_TEST_TMPDIR"
	mkdir wrap
	printf '#!/bin/sh\n[ "$*" = +%%F ] && [ -n "$NIGHT" ] && { echo "$NIGHT"; exit 0; }\nexec /bin/date "$@"\n' >wrap/date
	chmod +x wrap/date
	seq 1 4 | sed 's/.*/user&@contoso.com/' >users.txt

	night 2026-11-29
	assert_success
	assert_equal "$output" ""
	for u in $(cat users.txt); do
		assert_equal "$(items_of "$u-2026-11-29.mbx")" 15
		[ -s "$u.state" ] && [ ! -e "$u.state.new" ] && [ ! -e "$u-2026-11-29.mbx.part" ]
		assert_equal "$(jq .ok "$u-2026-11-29.stats.json")" 15
	done

	# the second night: user2 and user3 changed; user2's export fails past its retries
	churn user2@contoso.com 1
	churn user3@contoso.com 2
	cp user2@contoso.com.state user2.state.before
	admin POST /faults --data-binary "match=$(jq -rn --arg s "$(mailbox_id user2@contoso.com)" '$s|@uri')/exportItems,status=500,count=0" >/dev/null
	night 2026-11-30
	assert_failure 1            # parallel: the number of jobs that failed
	assert_equal "$(awk -F'\t' 'NR > 1 && $7 != 0' night-2026-11-30.log | wc -l)" 1
	assert_equal "$(awk -F'\t' 'NR > 1 && $7 != 0 { print $NF }' night-2026-11-30.log | grep -c user2@)" 1
	# the failed night: no night file, the old state untouched
	[ ! -e user2@contoso.com-2026-11-30.mbx ]
	cmp user2@contoso.com.state user2.state.before
	# the others: user3's changes only, nothing for the two that did not change
	[ "$(items_of user3@contoso.com-2026-11-30.mbx)" -gt 0 ]
	[ "$(items_of user3@contoso.com-2026-11-30.mbx)" -lt 10 ]
	assert_equal "$(items_of user1@contoso.com-2026-11-30.mbx)" 0
	assert_equal "$(items_of user4@contoso.com-2026-11-30.mbx)" 0

	# the same line again, the fault gone: only user2's job runs, and lists its changes
	admin DELETE /faults >/dev/null
	night 2026-11-30
	assert_success
	assert_equal "$output" ""
	assert_equal "$(awk -F'\t' 'NR > 1' night-2026-11-30.log | wc -l)" 5
	[ "$(items_of user2@contoso.com-2026-11-30.mbx)" -gt 0 ]
	[ "$(items_of user2@contoso.com-2026-11-30.mbx)" -lt 10 ]
	! cmp -s user2@contoso.com.state user2.state.before

	# the third night: more changes for user1 only
	churn user1@contoso.com 3
	night 2026-12-01
	assert_success
	assert_equal "$output" ""
	for u in $(cat users.txt); do
		diff <(replayed "$u") <(current "$u") || fail "$u: its nights replayed differ from its mailbox"
		[ ! -e "$u.state.new" ]
	done
	ls ./*.part 2>/dev/null && fail ".part files left"
	true
}
