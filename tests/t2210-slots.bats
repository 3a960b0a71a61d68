#!/usr/bin/env bats
# Mailbox slots (mbx(7) MANY MAILBOXES, FILES): the processes of one machine share a
# mailbox's 4 requests in flight (graph-api.md 7), so the stages of a pipeline do not
# draw 429s from each other; MBX_SLOTS_DIR=none shows what happens without; a directory
# that cannot be used costs one warning, never the run.

load helpers

setup_file() {
	graphd_start --generate users=3,folders=1,items=400,size=2k,seed=23
	local u
	: >"$BATS_FILE_TMPDIR/want"
	for u in 1 2 3; do
		admin GET "/mailboxes/$(mailbox_id "user$u@contoso.com")" |
			jq -r '.items[] | "\(.id) \(.sha256)"' >>"$BATS_FILE_TMPDIR/want"
	done
	sort -o "$BATS_FILE_TMPDIR/want" "$BATS_FILE_TMPDIR/want"
	mbx-folders user1@contoso.com | mbx-ls | grep '^{"type":"item"' >"$BATS_FILE_TMPDIR/items1"
}

teardown_file() {
	graphd_stop
}

setup() {
	# calls that take a while: the exporter keeps 4 exportItems in flight on a mailbox
	# (a page of 100 items is 5 calls) while the lister asks for that mailbox's next page
	printf '%s\n' 'match=/exportItems,latency=100,count=0' 'match=/items,latency=50,count=0' |
		admin POST /faults --data-binary @- >/dev/null
	LOG_FROM=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
	export MBX_SLOTS_DIR=$BATS_TEST_TMPDIR/slots
}

log_since() { tail -n +"$LOG_FROM" "$GRAPHD_DIR/graphd.log"; }
throttled() { log_since | jq -r 'select(.status == 429) | .path' | wc -l; }
# "id sha256" of the item frames in a stream, sorted
frame_shas() { mbx-testtool frames-read <"$1" >/dev/null && grep -a '^{"type":"item"' "$1" | jq -r '"\(.id) \(.sha256)"' | sort; }
# The most calls of one mailbox in flight at once, from the emulator's log (a call runs
# from t - ms to t, whole milliseconds: one that starts within 2 ms of another's end does
# not overlap it); requests that name no mailbox are left out.
peak() {
	log_since | jq -r 'select(.mailbox != null) | "\(.t - .ms / 1000 + 0.002) 1 \(.mailbox)\n\(.t) -1 \(.mailbox)"' |
		sort -k1,1n -k2,2n | awk '{ n[$3] += $2; if (n[$3] > p) p = n[$3] } END { print p + 0 }'
}
# The name of user1's slot files: the service's origin, the app and the mailbox (slots.c)
slot_key() {
	printf '%s\n%s\n%s' "$GRAPHD_URL" "$AZURE_CLIENT_ID" "$(mailbox_id user1@contoso.com)" |
		sha256sum | cut -c1-32
}
# The pipeline over the 3 mailboxes, frames to $BATS_TEST_TMPDIR/f, stderr to .../err
pipeline() {
	mbx-ls -M user1@contoso.com user2@contoso.com user3@contoso.com | mbx-folders |
		mbx-ls --page-size 100 | mbx-export >"$BATS_TEST_TMPDIR/f" 2>"$BATS_TEST_TMPDIR/err"
}

@test "mbx-ls | mbx-export over 3 mailboxes: no 429, never more than 4 calls of a mailbox in flight, every item" {
	run --separate-stderr pipeline
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" ""
	diff <(frame_shas "$BATS_TEST_TMPDIR/f") "$BATS_FILE_TMPDIR/want"
	assert_equal "$(throttled)" 0
	assert_equal "$(peak)" 4
	# and the lock files are gone with the processes that needed them
	assert_equal "$(find "$MBX_SLOTS_DIR" -type f | wc -l)" 0
}

@test "the same with MBX_SLOTS_DIR=none: the stages throttle each other (429s), every item still there" {
	MBX_SLOTS_DIR=none run --separate-stderr pipeline
	assert_success
	diff <(frame_shas "$BATS_TEST_TMPDIR/f") "$BATS_FILE_TMPDIR/want"
	assert [ "$(throttled)" -ge 1 ]
	[ ! -e none ]
}

@test "two mbx-export processes on one mailbox: 4 calls in flight together at most, no 429" {
	local half=$(( $(wc -l <"$BATS_FILE_TMPDIR/items1") / 2 ))
	head -n "$half" "$BATS_FILE_TMPDIR/items1" >"$BATS_TEST_TMPDIR/a"
	tail -n +"$((half + 1))" "$BATS_FILE_TMPDIR/items1" >"$BATS_TEST_TMPDIR/b"
	mbx-export <"$BATS_TEST_TMPDIR/a" >"$BATS_TEST_TMPDIR/fa" 2>"$BATS_TEST_TMPDIR/ea" &
	local pa=$!
	mbx-export <"$BATS_TEST_TMPDIR/b" >"$BATS_TEST_TMPDIR/fb" 2>"$BATS_TEST_TMPDIR/eb" && sb=0 || sb=$?
	wait "$pa" && sa=0 || sa=$?
	assert_equal "$sa $sb" "0 0"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/ea" "$BATS_TEST_TMPDIR/eb")" ""
	diff <(cat <(frame_shas "$BATS_TEST_TMPDIR/fa") <(frame_shas "$BATS_TEST_TMPDIR/fb") | sort) \
		<(grep -F "$(jq -r .id "$BATS_FILE_TMPDIR/items1")" "$BATS_FILE_TMPDIR/want")
	assert_equal "$(throttled)" 0
	assert_equal "$(peak)" 4
	# both held slots at the same time: their calls overlapped
	log_since | jq -r 'select(.path | endswith("/exportItems")) | "\(.t - .ms / 1000) \(.t)"' |
		sort -n | awk 'NR > 1 && $1 < end { overlap++ } { if ($2 > end) end = $2 } END { exit !(overlap > 0) }'
}

@test "slot files left by a process killed with SIGKILL are free: no warning, no 429" {
	admin POST /faults --data-binary 'match=/exportItems,latency=3000,count=0' >/dev/null
	mbx-export <"$BATS_FILE_TMPDIR/items1" >/dev/null 2>&1 &
	local pid=$! i
	for i in $(seq 1 100); do
		[ "$(find "$MBX_SLOTS_DIR" -name '*.[0-9]' 2>/dev/null | wc -l)" -ge 4 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	assert [ "$(find "$MBX_SLOTS_DIR" -name '*.[0-9]' | wc -l)" -ge 4 ]
	printf '%s\n' 'match=/exportItems,latency=100,count=0' 'match=/items,latency=50,count=0' |
		admin POST /faults --data-binary @- >/dev/null
	# the killed calls still hold the emulator's places until their latency ends: wait
	# for their 4 answers in the log (the emulator logs an answer before it sends it),
	# then for the sends to the dead connections to fail
	for i in $(seq 1 200); do
		[ "$(log_since | jq -r 'select(.path | endswith("/exportItems")) | .ms' | wc -l)" -ge 4 ] && break
		sleep 0.05
	done
	sleep 0.3
	LOG_FROM=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
	run --separate-stderr pipeline
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" ""
	diff <(frame_shas "$BATS_TEST_TMPDIR/f") "$BATS_FILE_TMPDIR/want"
	assert_equal "$(throttled)" 0
}

@test "slots held by a process that does not move: a call waits 2 s, then goes without one" {
	mkdir -p "$MBX_SLOTS_DIR"
	local k fds=()
	for k in 0 1 2 3; do
		exec {fd}>"$MBX_SLOTS_DIR/$(slot_key).$k"
		flock -x -n "$fd"
		fds+=("$fd")
	done
	head -n 20 "$BATS_FILE_TMPDIR/items1" >"$BATS_TEST_TMPDIR/in"
	local t0=$SECONDS
	run --separate-stderr mbx-export <"$BATS_TEST_TMPDIR/in"
	local el=$((SECONDS - t0))
	for fd in "${fds[@]}"; do exec {fd}>&-; done
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(grep -ac '^{"type":"item"' <<<"$output")" 20
	assert [ "$el" -ge 2 ]
	assert [ "$el" -le 10 ]
}

@test "a slot directory that cannot be used: one warning line, every item exported" {
	touch "$BATS_TEST_TMPDIR/file"
	MBX_SLOTS_DIR=$BATS_TEST_TMPDIR/file run --separate-stderr mbx-export <"$BATS_FILE_TMPDIR/items1"
	assert_success
	assert_equal "$stderr" "mbx-export: warning: cannot use directory '$BATS_TEST_TMPDIR/file' for mailbox slots: Not a directory (requests are not shared with other processes)"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/f"
	assert_equal "$(grep -ac '^{"type":"item"' "$BATS_TEST_TMPDIR/f")" "$(wc -l <"$BATS_FILE_TMPDIR/items1")"
	# writable by others: another user could hold the slots
	mkdir -m 0777 "$BATS_TEST_TMPDIR/open"
	chmod 0777 "$BATS_TEST_TMPDIR/open"
	MBX_SLOTS_DIR=$BATS_TEST_TMPDIR/open run --separate-stderr mbx-export <"$BATS_FILE_TMPDIR/items1" >/dev/null
	assert_success
	assert_equal "$stderr" "mbx-export: warning: cannot use directory '$BATS_TEST_TMPDIR/open' for mailbox slots: Operation not permitted (requests are not shared with other processes)"
	# a slot path taken by something that is not a file
	mkdir -p "$MBX_SLOTS_DIR"
	local k
	for k in 0 1 2 3; do
		mkdir "$MBX_SLOTS_DIR/$(slot_key).$k"
	done
	run --separate-stderr mbx-export <"$BATS_FILE_TMPDIR/items1"
	assert_success
	assert_regex "$stderr" "^mbx-export: warning: cannot use file '$MBX_SLOTS_DIR/[0-9a-f]{32}\.0' for mailbox slots: Is a directory \(requests are not shared with other processes\)$"
	assert_equal "$(grep -ac '^{"type":"item"' <<<"$output")" "$(wc -l <"$BATS_FILE_TMPDIR/items1")"
}

@test "calls that name no mailbox take no slot: mbx-ls -M with an unusable directory is silent" {
	touch "$BATS_TEST_TMPDIR/file"
	MBX_SLOTS_DIR=$BATS_TEST_TMPDIR/file run --separate-stderr mbx-ls -M user1@contoso.com
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .type <<<"$output")" mailbox
}
