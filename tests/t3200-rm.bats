#!/usr/bin/env bats
# mbx-rm: items deleted soft (to Recoverable Items) or hard; from item records, from
# mbx-import's records (the move pattern), or ids; refuses to run on nothing.

load helpers

setup_file() {
	graphd_start --generate users=2,folders=3,items=30,size=2k,seed=61
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
}

teardown_file() {
	graphd_stop
}

count() { admin GET "/mailboxes/$1" | jq --arg p "$2" '(.folders | map(select(.path == $p)) | .[0].id) as $f | [.items[] | select(.folderId == $f)] | length'; }
deletions() { admin GET "/mailboxes/$1" | jq '(.folders | map(select(.path | test("Deletions|Recoverable"; "i"))) | map(.id)) as $f | [.items[] | select(.folderId as $x | $f | index($x))] | length'; }

@test "item records are deleted softly by default: into Recoverable Items" {
	mbx-ls user1@contoso.com /Inbox | jq -c 'select(.type == "item")' | head -n 3 >"$BATS_TEST_TMPDIR/in"
	before=$(count "$MBX1" /Inbox) bin=$(deletions "$MBX1")
	run --separate-stderr mbx-rm <"$BATS_TEST_TMPDIR/in"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r '"\(.removed) \(.disposalType)"' | sort -u)" "true softDelete"
	diff <(printf '%s\n' "${lines[@]}" | jq -r .id | sort) <(jq -r .id "$BATS_TEST_TMPDIR/in" | sort)
	assert_equal "$(count "$MBX1" /Inbox)" "$((before - 3))"
	assert_equal "$(deletions "$MBX1")" "$((bin + 3))"
}

@test "--hard deletes for good; ids on the command line; -n deletes nothing" {
	ids=$(mbx-ls user1@contoso.com /Inbox | jq -r 'select(.type == "item") | .id' | head -n 2)
	before=$(count "$MBX1" /Inbox) bin=$(deletions "$MBX1")
	run --separate-stderr mbx-rm -n --hard user1@contoso.com /Inbox $ids
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r '"\(.dryRun) \(.disposalType)"' | sort -u)" "true hardDelete"
	assert_equal "$(count "$MBX1" /Inbox)" "$before"
	run --separate-stderr mbx-rm --hard user1@contoso.com /Inbox $ids
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(count "$MBX1" /Inbox)" "$((before - 2))"
	assert_equal "$(deletions "$MBX1")" "$bin"
}

@test "ids on the command line and a token the service refuses: one line, exit 3, no more deletes sent" {
	ids=$(mbx-ls user2@contoso.com /Inbox | jq -r 'select(.type == "item") | .id' | head -n 10)
	assert_equal "$(wc -w <<<"$ids")" 10
	before=$(count "$MBX2" /Inbox)
	from=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
	admin POST /faults -d 'match=/items/,method=DELETE,status=401,skip=2,count=0' >/dev/null
	run --separate-stderr mbx-rm --jobs 1 user2@contoso.com /Inbox $ids
	admin DELETE /faults >/dev/null
	assert_failure 3
	assert_equal "$stderr" "mbx-rm: cannot delete items of '$MBX2': 401 Unauthorized: generalException: Injected fault"
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r '"\(.removed) \(.disposalType)"' | uniq -c | awk '{print $1, $2, $3}')" "2 true softDelete"
	assert_equal "$(count "$MBX2" /Inbox)" "$((before - 2))"
	# the 2 that passed, and those in flight or queued when the first 401 came (each sent again
	# with a fresh token), none after
	sent=$(tail -n +"$from" "$GRAPHD_DIR/graphd.log" | jq -r 'select(.method == "DELETE") | .method' | wc -l)
	assert [ "$sent" -le 14 ]
}

@test "an unknown item: an error record, the others deleted, exit 1" {
	mbx-ls user1@contoso.com /Inbox | jq -c 'select(.type == "item")' | head -n 2 >"$BATS_TEST_TMPDIR/in"
	head -n 1 "$BATS_TEST_TMPDIR/in" | jq -c '.id = "AAMkADNmZjI1AEYAAAAAAnosuchitem00="' >>"$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-rm <"$BATS_TEST_TMPDIR/in"
	assert_failure 1
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .type | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')" "1 error 2 item "
	assert_equal "$stderr" "mbx-rm: cannot delete 'AAMkADNmZjI1AEYAAAAAAnosuchitem00=': 404 Not Found: ErrorItemNotFound: The specified object was not found in the store"
}

@test "the move: export, import, and mbx-rm deletes each source once it was imported" {
	n=$(count "$MBX1" /Inbox/Projects)
	[ "$n" -gt 0 ]
	run --separate-stderr bash -c 'set -o pipefail; mbx-ls user1@contoso.com /Inbox/Projects | mbx-export | mbx-import user2@contoso.com --under /Moved | mbx-rm'
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" "$n"
	assert_equal "$(count "$MBX1" /Inbox/Projects)" 0
	assert_equal "$(count "$MBX2" /Moved/Inbox/Projects)" "$n"
}

@test "no records and no ids: refused, nothing deleted" {
	before=$(admin GET "/mailboxes/$MBX1" | jq '.items | length')
	run script -qec "$MBX_BUILDDIR/bin/mbx-rm" /dev/null
	assert_failure 2
	assert_output --partial "mbx-rm: no item records on standard input and no ids: nothing to delete"
	run --separate-stderr mbx-rm user1@contoso.com /Inbox
	assert_failure 2
	assert_equal "$(admin GET "/mailboxes/$MBX1" | jq '.items | length')" "$before"
}
