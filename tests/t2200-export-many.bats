#!/usr/bin/env bats
# mbx-export over many mailboxes at once (mbx(7) MANY MAILBOXES): any input order gives
# the same frames, --mailboxes caps the mailboxes in flight, --jobs stays per mailbox,
# one mailbox's failure stays its own, a mailbox's folders come before their items.

load helpers

setup_file() {
	graphd_start --generate users=6,folders=2,items=70,size=2k,seed=22
	local u
	: >"$BATS_FILE_TMPDIR/want"
	for u in 1 2 3 4 5 6; do
		mbx-folders "user$u@contoso.com" | mbx-ls >"$BATS_FILE_TMPDIR/all$u"
		grep '^{"type":"item"' "$BATS_FILE_TMPDIR/all$u" >"$BATS_FILE_TMPDIR/items$u"
		admin GET "/mailboxes/$(mailbox_id "user$u@contoso.com")" |
			jq -r '.items[] | "\(.id) \(.sha256)"' >>"$BATS_FILE_TMPDIR/want"
	done
	sort -o "$BATS_FILE_TMPDIR/want" "$BATS_FILE_TMPDIR/want"
	# the worst order: sorted by mailbox; and one record of each mailbox in turn
	cat "$BATS_FILE_TMPDIR"/items[1-6] >"$BATS_FILE_TMPDIR/sorted"
	paste -d '\n' "$BATS_FILE_TMPDIR"/items[1-6] | grep -v '^$' >"$BATS_FILE_TMPDIR/mixed"
}

teardown_file() {
	graphd_stop
}

setup() {
	# calls that take a while, so that calls of different mailboxes can overlap
	admin POST /faults --data-binary 'match=/exportItems,latency=60,count=0' >/dev/null
	LOG_FROM=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
}

log_calls() {
	tail -n +"$LOG_FROM" "$GRAPHD_DIR/graphd.log" | jq -c 'select(.path | endswith("/exportItems"))'
}
# "id sha256" of the item frames in a stream, sorted
frame_shas() { mbx-testtool frames-read <"$1" >/dev/null && grep -a '^{"type":"item"' "$1" | jq -r '"\(.id) \(.sha256)"' | sort; }
# xrun OUT CMD...: stdout (frames: binary) to OUT, stderr to $err, the status in $st
xrun() { local o=$1; shift; err=$BATS_TEST_TMPDIR/err; "$@" >"$o" 2>"$err" && st=0 || st=$?; }
headers() { grep -a '^{"type":' "$1" | sort; }
# The most calls in flight at once, of one mailbox (per) or of distinct mailboxes
# (mailboxes), from the emulator's log: a call runs from t - ms to t, whole milliseconds,
# so a call that starts within 2 ms of another's end does not overlap it.
peak() {
	log_calls | jq -r '"\(.t - .ms / 1000 + 0.002) 1 \(.mailbox)\n\(.t) -1 \(.mailbox)"' | sort -k1,1n -k2,2n |
		awk -v what="$1" '{ n[$3] += $2; if (n[$3] > per) per = n[$3]
			if ($2 > 0 && n[$3] == 1) m++; if ($2 < 0 && n[$3] == 0) m--; if (m > mb) mb = m }
			END { print (what == "per") ? per : mb }'
}

@test "input sorted by mailbox and input interleaved give the same frames, all mailboxes at once" {
	# calls long enough that the sixth mailbox's begin within the first's, however slow
	# the build (24 connections to open)
	admin POST /faults --data-binary 'match=/exportItems,latency=500,count=0' >/dev/null
	xrun "$BATS_TEST_TMPDIR/a" mbx-export --stats "$BATS_TEST_TMPDIR/stats" <"$BATS_FILE_TMPDIR/sorted"
	assert_equal "$st" 0
	assert_equal "$(cat "$err")" ""
	assert_equal "$(jq -r '"\(.items) \(.ok) \(.failed)"' "$BATS_TEST_TMPDIR/stats")" "420 420 0"
	# read ahead past the first mailbox: every mailbox had calls in flight together
	assert_equal "$(peak mailboxes)" 6
	assert [ "$(peak per)" -le 4 ]
	assert_equal "$(log_calls | jq -r 'select(.status == 429)' | wc -l)" 0
	admin POST /faults --data-binary 'match=/exportItems,latency=60,count=0' >/dev/null
	xrun "$BATS_TEST_TMPDIR/b" mbx-export <"$BATS_FILE_TMPDIR/mixed"
	assert_equal "$st" 0
	diff <(frame_shas "$BATS_TEST_TMPDIR/a") "$BATS_FILE_TMPDIR/want"
	diff <(frame_shas "$BATS_TEST_TMPDIR/b") "$BATS_FILE_TMPDIR/want"
	diff <(headers "$BATS_TEST_TMPDIR/a") <(headers "$BATS_TEST_TMPDIR/b")
	assert_equal "$(headers "$BATS_TEST_TMPDIR/a" | wc -l)" 420
}

@test "--mailboxes 1 and 3 give the same set of frames, with at most that many mailboxes in flight" {
	for n in 1 3; do
		LOG_FROM=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
		xrun "$BATS_TEST_TMPDIR/f$n" mbx-export --mailboxes "$n" <"$BATS_FILE_TMPDIR/mixed"
		assert_equal "$st" 0
		assert_equal "$(cat "$err")" ""
		assert_equal "$(peak mailboxes)" "$n"
		diff <(frame_shas "$BATS_TEST_TMPDIR/f$n") "$BATS_FILE_TMPDIR/want"
	done
	diff <(headers "$BATS_TEST_TMPDIR/f1") <(headers "$BATS_TEST_TMPDIR/f3")
	run --separate-stderr mbx-export --mailboxes 0 </dev/null
	assert_failure 2
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-export: invalid --mailboxes '0': expected 1..100000"
}

@test "--jobs is per mailbox: 6 mailboxes at --jobs 2, never more than 2 calls of one in flight" {
	xrun "$BATS_TEST_TMPDIR/f" mbx-export --jobs 2 <"$BATS_FILE_TMPDIR/sorted"
	assert_equal "$st" 0
	diff <(frame_shas "$BATS_TEST_TMPDIR/f") "$BATS_FILE_TMPDIR/want"
	assert_equal "$(peak per)" 2
	assert [ "$(peak mailboxes)" -ge 2 ]
}

@test "a 403 on one mailbox's exportItems: error frames for it only, the others complete, exit 3" {
	mbx3=$(mailbox_id user3@contoso.com)
	guid=${mbx3#MBX:}
	admin POST /faults --data-binary "match=${guid%%@*},method=POST,status=403,count=0" >/dev/null
	mbx-export <"$BATS_FILE_TMPDIR/sorted" >"$BATS_TEST_TMPDIR/f" 2>"$BATS_TEST_TMPDIR/err" && st=0 || st=$?
	# mbx(7) EXIT STATUS: a 403 is an authorisation failure of those items (as t2000)
	assert_equal "$st" 3
	run jq -r 'select(.type == "error") | .mailbox' < <(grep -a '^{"type":"error"' "$BATS_TEST_TMPDIR/f")
	assert_equal "${#lines[@]}" 70
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort -u)" "$mbx3"
	diff <(frame_shas "$BATS_TEST_TMPDIR/f") <(grep -v -F -f <(jq -r .id "$BATS_FILE_TMPDIR/items3") "$BATS_FILE_TMPDIR/want")
	assert_equal "$(grep -c "^mbx-export: cannot export '" "$BATS_TEST_TMPDIR/err")" 70
	assert_equal "$(grep -vc "^mbx-export: cannot export '.*': 403 Forbidden" "$BATS_TEST_TMPDIR/err")" 0
}

@test "a mailbox's folder frames come before that folder's items, whatever the mailboxes in between" {
	cat "$BATS_FILE_TMPDIR"/all[1-6] >"$BATS_TEST_TMPDIR/in"
	xrun "$BATS_TEST_TMPDIR/f" mbx-export --mailboxes 2 <"$BATS_TEST_TMPDIR/in"
	assert_equal "$st" 0
	diff <(frame_shas "$BATS_TEST_TMPDIR/f") "$BATS_FILE_TMPDIR/want"
	# every item's (mailbox, folderId) was seen in a folder frame above it
	run awk '/^\{"type":"folder"/ { match($0, /"mailbox":"[^"]*"/); mb = substr($0, RSTART, RLENGTH)
			match($0, /"id":"[^"]*"/); seen[mb substr($0, RSTART + 5, RLENGTH - 5)] = 1 }
		/^\{"type":"item"/ { match($0, /"mailbox":"[^"]*"/); mb = substr($0, RSTART, RLENGTH)
			match($0, /"folderId":"[^"]*"/); f = substr($0, RSTART + 11, RLENGTH - 11)
			n++; if (!((mb f) in seen)) bad++ }
		END { print n + 0, bad + 0 }' "$BATS_TEST_TMPDIR/f"
	assert_output "420 0"
}

@test "a read-ahead past its bound spills to a temporary file and comes back in order" {
	# 12 rounds of the 6 mailboxes: with --jobs 1 a mailbox keeps 80 records in memory
	# (4 x --jobs calls), so reading on to reach the others spills
	for i in $(seq 1 12); do cat "$BATS_FILE_TMPDIR/sorted"; done >"$BATS_TEST_TMPDIR/big"
	xrun "$BATS_TEST_TMPDIR/f" mbx-export --mailboxes 2 --jobs 1 --stats "$BATS_TEST_TMPDIR/stats" <"$BATS_TEST_TMPDIR/big"
	assert_equal "$st" 0
	assert_equal "$(jq -r '"\(.items) \(.ok)"' "$BATS_TEST_TMPDIR/stats")" "5040 5040"
	assert [ "$(jq -r .spilled "$BATS_TEST_TMPDIR/stats")" -gt 0 ]
	diff <(frame_shas "$BATS_TEST_TMPDIR/f" | uniq) "$BATS_FILE_TMPDIR/want"
	assert_equal "$(frame_shas "$BATS_TEST_TMPDIR/f" | uniq -c | awk '$1 != 12' | wc -l)" 0
	# one call at a time per mailbox: each mailbox's items come out in input order
	for u in 1 4 6; do
		mb=$(head -n 1 "$BATS_FILE_TMPDIR/items$u" | jq -r .mailbox)
		diff <(grep -a '^{"type":"item"' "$BATS_TEST_TMPDIR/f" | jq -r --arg m "$mb" 'select(.mailbox == $m) | .id') \
			<(jq -r --arg m "$mb" 'select(.mailbox == $m) | .id' "$BATS_TEST_TMPDIR/big")
	done
}
