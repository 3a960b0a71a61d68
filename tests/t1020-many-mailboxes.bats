#!/usr/bin/env bats
# mbx-ls, mbx-folders and mbx-rm over many mailboxes at once (DESIGN-NOTES "Many
# mailboxes in the listers"): the same records as one run per mailbox, each mailbox's
# records in the order its own run writes them, mailboxes listed concurrently (seen in the
# emulator's request log, not in wall time), --mailboxes caps them, one mailbox's failure
# stays its own.

load helpers

setup_file() {
	graphd_start --generate users=8,folders=2,items=12,size=1k,seed=1020
	local u
	mbx-ls -M user{1..8}@contoso.com >"$BATS_FILE_TMPDIR/mailboxes"
	: >"$BATS_FILE_TMPDIR/single-folders"
	: >"$BATS_FILE_TMPDIR/single-items"
	for u in 1 2 3 4 5 6 7 8; do
		mbx-folders "user$u@contoso.com" >"$BATS_FILE_TMPDIR/folders$u"
		mbx-ls <"$BATS_FILE_TMPDIR/folders$u" >"$BATS_FILE_TMPDIR/items$u"
		cat "$BATS_FILE_TMPDIR/folders$u" >>"$BATS_FILE_TMPDIR/single-folders"
		cat "$BATS_FILE_TMPDIR/items$u" >>"$BATS_FILE_TMPDIR/single-items"
	done
	# the worst order, sorted by mailbox; and one record of each mailbox in turn
	paste -d '\n' "$BATS_FILE_TMPDIR"/folders[1-8] | grep -v '^$' >"$BATS_FILE_TMPDIR/mixed"
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
	LOG_FROM=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
}

# The most mailboxes with a request in flight at once, from the emulator's log (a request
# runs from t - ms to t), of the requests whose path matches $1. The log's times are
# whole milliseconds: a request that starts within 2 ms of another's end does not count
# as overlapping it (one mailbox's next listing may go out at once).
peak() {
	tail -n +"$LOG_FROM" "$GRAPHD_DIR/graphd.log" | jq -r --arg m "$1" \
		'select(.path | test($m)) | "\(.t - .ms / 1000 + 0.002) 1 \(.mailbox)\n\(.t) -1 \(.mailbox)"' |
		sort -k1,1n -k2,2n | awk '{ n[$3] += $2
			if ($2 > 0 && n[$3] == 1) m++; if ($2 < 0 && n[$3] == 0) m--; if (m > mb) mb = m }
			END { print mb + 0 }'
}
# The records of mailbox $2 in file $1, in their order.
of() { jq -c --arg m "$2" 'select(.mailbox == $m)' "$1"; }

@test "8 mailboxes in one mbx-folders and one mbx-ls: the records of 8 single runs, each mailbox's in its order, concurrently" {
	admin POST /faults -d 'match=/folders,latency=80,count=0' >/dev/null
	run --separate-stderr mbx-folders <"$BATS_FILE_TMPDIR/mailboxes"
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/folders"
	diff <(sort "$BATS_TEST_TMPDIR/folders") <(sort "$BATS_FILE_TMPDIR/single-folders")
	assert [ "$(peak '/folders')" -ge 4 ]
	run --separate-stderr mbx-ls <"$BATS_TEST_TMPDIR/folders"
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/items"
	diff <(sort "$BATS_TEST_TMPDIR/items") <(sort "$BATS_FILE_TMPDIR/single-items")
	# per mailbox: its folder records before their items, as its own run wrote them
	for m in $(jq -r .id "$BATS_FILE_TMPDIR/mailboxes"); do
		diff <(of "$BATS_TEST_TMPDIR/folders" "$m") <(of "$BATS_FILE_TMPDIR/single-folders" "$m")
		diff <(of "$BATS_TEST_TMPDIR/items" "$m") <(of "$BATS_FILE_TMPDIR/single-items" "$m")
	done
	# the input was the worst order, and still the mailboxes' listings overlapped
	assert [ "$(peak '/folders/[^/]*/items')" -ge 4 ]
}

@test "mbx-ls over mailbox records: 8 mailboxes at once, as 8 single runs" {
	admin POST /faults -d 'match=/items,latency=60,count=0' >/dev/null
	run --separate-stderr mbx-ls <"$BATS_FILE_TMPDIR/mailboxes"
	assert_success
	assert_equal "$stderr" ""
	want=$(for u in 1 2 3 4 5 6 7 8; do mbx-ls "user$u@contoso.com"; done | sort)
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort)" "$want"
	assert [ "$(peak '/items')" -ge 4 ]
}

@test "sorted and interleaved input give the same records" {
	run --separate-stderr mbx-ls <"$BATS_FILE_TMPDIR/mixed"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort)" "$(sort "$BATS_FILE_TMPDIR/single-items")"
	for m in $(jq -r .id "$BATS_FILE_TMPDIR/mailboxes"); do
		diff <(printf '%s\n' "${lines[@]}" | jq -c --arg m "$m" 'select(.mailbox == $m)') \
			<(of "$BATS_FILE_TMPDIR/single-items" "$m")
	done
}

@test "--mailboxes 1: one mailbox at a time, the same records" {
	admin POST /faults -d 'match=/items,latency=30,count=0' >/dev/null
	run --separate-stderr mbx-ls --mailboxes 1 <"$BATS_FILE_TMPDIR/single-folders"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "${lines[@]}")" "$(cat "$BATS_FILE_TMPDIR/single-items")"
	assert_equal "$(peak '/items')" 1
	run --separate-stderr mbx-folders --mailboxes 1 <"$BATS_FILE_TMPDIR/mailboxes"
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}")" "$(cat "$BATS_FILE_TMPDIR/single-folders")"
}

@test "a mailbox that refuses (403): its error, exit 3; the 7 others complete" {
	m3=$(mailbox_id user3@contoso.com)
	u3=${m3#MBX:}
	admin POST /faults -d "match=${u3%@*},status=403,count=0" >/dev/null
	run --separate-stderr mbx-folders <"$BATS_FILE_TMPDIR/mailboxes"
	assert_failure 3
	assert_equal "$stderr" "mbx-folders: cannot list folders of '$m3': 403 Forbidden: generalException: Injected fault"
	# exit 3 is reported on stderr alone, as for one mailbox (mbx(7) EXIT STATUS)
	diff <(printf '%s\n' "${lines[@]}" | sort) <(grep -v "$m3" "$BATS_FILE_TMPDIR/single-folders" | sort)
	run --separate-stderr mbx-ls <"$BATS_FILE_TMPDIR/mixed"
	assert_failure 3
	# the others all; mailbox 3 as when it is listed alone: its first folder record travels
	# on (mbx-ls(1)), then its listing fails and stops
	diff <(printf '%s\n' "${lines[@]}" | grep -v "$m3" | sort) <(grep -v "$m3" "$BATS_FILE_TMPDIR/single-items" | sort)
	grep "$m3" "$BATS_FILE_TMPDIR/mixed" | mbx-ls >"$BATS_TEST_TMPDIR/alone" 2>/dev/null || true
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/alone")" 1
	diff <(printf '%s\n' "${lines[@]}" | jq -c --arg m "$m3" 'select(.mailbox == $m)') "$BATS_TEST_TMPDIR/alone"
	assert_equal "$stderr" "mbx-ls: cannot list items of '$(head -n 1 "$BATS_TEST_TMPDIR/alone" | jq -r .path)' in '$m3': 403 Forbidden: generalException: Injected fault"
}

@test "a token the service refuses over 8 mailboxes: exit 3, a line per mailbox in flight, each naming it" {
	# a 401 on every listing, also after the token is fetched again: a failure of every
	# call, which stops the run (mbx(7) EXIT STATUS); each mailbox that had a listing in
	# flight says which it is, none twice
	admin POST /faults -d 'match=/items,status=401,count=0' >/dev/null
	run --separate-stderr mbx-ls <"$BATS_FILE_TMPDIR/mixed"
	assert_failure 3
	refute_output --partial '"type":"item"'
	refute_output --partial '"type":"error"'
	assert [ "${#stderr}" -gt 0 ]
	run grep -cvE "^mbx-ls: cannot list items of '/[^']*' in 'MBX:[^']+': 401 Unauthorized: generalException: Injected fault$" <<<"$stderr"
	assert_output 0
	ids=$(grep -o "in 'MBX:[^']*'" <<<"$stderr")
	assert_equal "$(sort -u <<<"$ids" | wc -l)" "$(wc -l <<<"$ids")"
	for id in $(sed "s/^in '//; s/'$//" <<<"$ids"); do
		grep -q "\"mailbox\":\"$id\"" "$BATS_FILE_TMPDIR/mailboxes" || fail "not a mailbox of the input: $id"
	done
}

@test "a mailbox's next listing goes out when its last is answered, not at another's answer" {
	# every listing is answered after 300 ms
	admin POST /faults -d 'match=/items,latency=300,count=0' >/dev/null
	run --separate-stderr mbx-ls < <(cat "$BATS_FILE_TMPDIR/folders1" "$BATS_FILE_TMPDIR/folders2")
	assert_success
	assert_equal "$stderr" ""
	diff <(printf '%s\n' "${lines[@]}" | sort) <(cat "$BATS_FILE_TMPDIR/items1" "$BATS_FILE_TMPDIR/items2" | sort)
	# in the emulator's log (a request runs from t - ms to t), each mailbox's listings go
	# one after the other, the next well within 150 ms of the last one's answer. A task
	# resumed only when some other request's answer woke the engine waited for the other
	# mailbox's answer: 300 ms, the two mailboxes taking turns.
	tail -n +"$LOG_FROM" "$GRAPHD_DIR/graphd.log" | jq -r 'select(.path | endswith("/items")) |
		"\(.mailbox) \(.t - .ms / 1000) \(.t)"' | sort -k1,1 -k2,2n >"$BATS_TEST_TMPDIR/reqs"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/reqs")" "$(cat "$BATS_FILE_TMPDIR/folders1" "$BATS_FILE_TMPDIR/folders2" | wc -l)"
	run awk '$1 == m && $2 - end > 0.15 { print "waited", $2 - end, "s:", $0 } { m = $1; end = $3 }' "$BATS_TEST_TMPDIR/reqs"
	assert_success
	assert_output ""
}

@test "bad --mailboxes values are usage errors" {
	for p in mbx-ls mbx-folders mbx-rm; do
		for v in 0 -1 abc; do
			run --separate-stderr "$p" --mailboxes "$v" </dev/null
			assert_failure 2
			assert_equal "$output" ""
			assert_equal "$stderr" "$p: invalid --mailboxes '$v': expected 1..100000"
		done
	done
}

@test "mbx-ls --delta with records of two mailboxes: a usage error, the state not written" {
	st=$BATS_TEST_TMPDIR/state
	run --separate-stderr mbx-ls --delta "$st" <<<"$(head -n 2 "$BATS_FILE_TMPDIR/mixed")"
	assert_failure 2
	m1=$(head -n 1 "$BATS_FILE_TMPDIR/mixed" | jq -r .mailbox)
	m2=$(sed -n 2p "$BATS_FILE_TMPDIR/mixed" | jq -r .mailbox)
	assert_equal "$stderr" "mbx-ls: cannot use --delta '$st' with records of more than one mailbox ('$m2' after '$m1'): a state file is of one mailbox"
	assert [ ! -e "$st" ]
	# one mailbox's records: the state is written
	run --separate-stderr mbx-ls --delta "$st" <"$BATS_FILE_TMPDIR/folders1"
	assert_success
	assert_equal "$(jq -r .mailbox "$st")" "$m1"
}

@test "mbx-rm: the items of 8 mailboxes deleted in one run, concurrently, each once (a mailbox's deletes finish in any order: --jobs in flight)" {
	admin POST /faults -d 'match=/items/,method=DELETE,latency=300,count=0' >/dev/null
	jq -c 'select(.type == "item" and .folderPath == "/Inbox")' "$BATS_FILE_TMPDIR/single-items" \
		>"$BATS_TEST_TMPDIR/in"
	n=$(wc -l <"$BATS_TEST_TMPDIR/in")
	assert [ "$n" -ge 8 ]
	run --separate-stderr mbx-rm <"$BATS_TEST_TMPDIR/in"
	assert_success
	assert_equal "$stderr" ""
	# what 8 single runs would print: one removal record per input record
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -c '[.mailbox, .folderId, .id, .removed, .disposalType]' | sort)" \
		"$(jq -c '[.mailbox, .folderId, .id, true, "softDelete"]' "$BATS_TEST_TMPDIR/in" | sort)"
	assert [ "$(peak '/items/')" -ge 4 ]
	run --separate-stderr mbx-ls <"$BATS_FILE_TMPDIR/mailboxes"
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "item" and .folderPath == "/Inbox")' | wc -l)" 0
}

@test "mbx-rm: a token the service refuses stops the run with one line; what was deleted is said, nothing else" {
	# the first 10 deletes pass, then every one is refused (401, also after the token is
	# fetched again): a failure of every call, which ends the run (mbx-rm(1), mbx(7))
	admin POST /faults -d 'match=/items/,method=DELETE,status=401,skip=10,count=0' >/dev/null
	jq -c 'select(.type == "item" and .folderPath != "/Inbox")' "$BATS_FILE_TMPDIR/single-items" \
		>"$BATS_TEST_TMPDIR/in"
	n=$(wc -l <"$BATS_TEST_TMPDIR/in")
	assert [ "$n" -ge 64 ]
	# 2 mailboxes at once, a delete of each in flight and one queued: what the stop finds
	run --separate-stderr mbx-rm --mailboxes 2 --jobs 1 <"$BATS_TEST_TMPDIR/in"
	assert_failure 3
	assert_regex "$stderr" "^mbx-rm: cannot delete items of 'MBX:[^']+': 401 Unauthorized: generalException: Injected fault$"
	# the 10 that passed, each said removed; no error record per refused item
	assert_equal "${#lines[@]}" 10
	printf '%s\n' "${lines[@]}" | jq -c '[.mailbox, .folderId, .id, .removed]' | sort >"$BATS_TEST_TMPDIR/said"
	jq -c '[.mailbox, .folderId, .id, true]' "$BATS_TEST_TMPDIR/in" | sort | comm -23 "$BATS_TEST_TMPDIR/said" - >"$BATS_TEST_TMPDIR/stray"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/stray")" ""
	# the run stopped: far fewer deletes sent than items (those in flight and queued then,
	# each sent again once with a fresh token)
	sent=$(tail -n +"$LOG_FROM" "$GRAPHD_DIR/graphd.log" | jq -r 'select(.method == "DELETE") | .method' | wc -l)
	assert [ "$sent" -lt $((n / 2)) ]
	# exactly those 10 are gone from the mailboxes
	admin DELETE /faults >/dev/null
	run --separate-stderr mbx-ls <"$BATS_FILE_TMPDIR/mixed"
	assert_success
	printf '%s\n' "${lines[@]}" | jq -c 'select(.type == "item" and .folderPath != "/Inbox") |
		[.mailbox, .folderId, .id, true]' | sort >"$BATS_TEST_TMPDIR/left"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/left")" $((n - 10))
	assert_equal "$(comm -12 "$BATS_TEST_TMPDIR/left" "$BATS_TEST_TMPDIR/said")" ""
}
