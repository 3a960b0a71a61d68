#!/usr/bin/env bats
# mbx-ls: item records from folders, by argument or from folder records, page by page.

load helpers

setup_file() {
	graphd_start --generate users=1,folders=8,items=300,size=2k,seed=5
	export MBX1=$(admin GET /mailboxes | jq -r '.value[] | select(.user=="user1@contoso.com" and .kind=="primary") | .id')
	admin GET "/mailboxes/$MBX1" >"$BATS_FILE_TMPDIR/admin.json"
	export INBOX=$(mbx-folders user1@contoso.com inbox | head -n 1 | jq -r .id)
}

teardown_file() {
	graphd_stop
}

@test "mbx-ls MAILBOX PATH: every item of the folder, stamped with mailbox and folder" {
	run --separate-stderr mbx-ls user1@contoso.com /Inbox
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/out"
	diff <(jq -r .id "$BATS_TEST_TMPDIR/out" | sort) \
		<(jq -r --arg f "$INBOX" '.items[] | select(.folderId == $f) | .id' "$BATS_FILE_TMPDIR/admin.json" | sort)
	assert_equal "$(jq -r '[.type, .mailbox, .folderId, .folderPath] | join(" ")' "$BATS_TEST_TMPDIR/out" | sort -u)" \
		"item $MBX1 $INBOX /Inbox"
	# the Graph fields a later stage and jq filters need
	run jq -e 'select((.changeKey | type) != "string" or (.size | type) != "number"
		or (.class | startswith("IPM.") | not) or (.lastModifiedDateTime | test("^2026-")) | not)' \
		"$BATS_TEST_TMPDIR/out"
	assert_output ""
}

@test "changeKey and size agree with the emulator" {
	mbx-ls user1@contoso.com /Inbox >"$BATS_TEST_TMPDIR/out"
	diff <(jq -r '"\(.id) \(.changeKey) \(.size)"' "$BATS_TEST_TMPDIR/out" | sort) \
		<(jq -r --arg f "$INBOX" '.items[] | select(.folderId == $f) | "\(.id) \(.changeKey) \(.size)"' \
			"$BATS_FILE_TMPDIR/admin.json" | sort)
}

@test "the whole discovery pipeline accounts for every item of the mailbox exactly once" {
	mbx-ls -M user1@contoso.com >"$BATS_TEST_TMPDIR/m"
	mbx-folders <"$BATS_TEST_TMPDIR/m" >"$BATS_TEST_TMPDIR/f"
	run --separate-stderr mbx-ls <"$BATS_TEST_TMPDIR/f"
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "$output" | jq -c 'select(.type == "item")' >"$BATS_TEST_TMPDIR/items"
	assert_equal "$(jq -r .id "$BATS_TEST_TMPDIR/items" | sort | uniq -d)" ""
	diff <(jq -r .id "$BATS_TEST_TMPDIR/items" | sort) \
		<(jq -r '.items[].id' "$BATS_FILE_TMPDIR/admin.json" | sort)
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/items")" 300
	# each folder record is passed on, before its items
	diff <(printf '%s\n' "$output" | jq -c 'select(.type == "folder")') "$BATS_TEST_TMPDIR/f"
}

@test "mbx-ls MAILBOX alone lists every folder; a mailbox record does the same" {
	run --separate-stderr mbx-ls user1@contoso.com
	assert_success
	assert_equal "${#lines[@]}" 300
	mbx-ls -M user1@contoso.com >"$BATS_TEST_TMPDIR/m"
	run --separate-stderr mbx-ls <"$BATS_TEST_TMPDIR/m"
	assert_success
	assert_equal "${#lines[@]}" 300
}

@test "small pages: the same items, fetched by following @odata.nextLink" {
	before=$(wc -l <"$GRAPHD_DIR/graphd.log")
	run --separate-stderr mbx-ls --page-size 7 user1@contoso.com /Inbox
	assert_success
	n=${#lines[@]}
	mbx-ls user1@contoso.com /Inbox | jq -r .id | sort >"$BATS_TEST_TMPDIR/big"
	diff <(printf '%s\n' "$output" | jq -r .id | sort) "$BATS_TEST_TMPDIR/big"
	# one request per page of 7, the last page possibly empty
	pages=$(tail -n +"$((before + 1))" "$GRAPHD_DIR/graphd.log" | jq -r 'select(.path | test("/items")) | .path' | grep -c '' || true)
	assert [ "$pages" -ge $(( (n + 6) / 7 )) ]
}

@test "several paths: each folder's items, in argument order" {
	run --separate-stderr mbx-ls user1@contoso.com /Inbox sentitems
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .folderPath <<<"$output" | uniq | tr '\n' ' ')" "/Inbox "
}

# Records leave a buffer at a time (record.c): a write that fails, even the last one at
# exit, is still exit 6 (I/O) with one line, never a listing that looks complete.
@test "a full disk on stdout: exit 6, one line, even when the failing write is the one at exit" {
	[ -w /dev/full ] || skip "no /dev/full here"
	run --separate-stderr bash -c 'mbx-ls user1@contoso.com /Inbox >/dev/full'
	assert_equal "$status" 6
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-ls: cannot write to stdout: No space left on device"
	# one record only, left in the buffer until exit; the folder it reports was made
	run --separate-stderr bash -c 'mbx-mkfolder user1@contoso.com /Inbox/OneRecord >/dev/full'
	assert_equal "$status" 6
	assert_equal "$stderr" "mbx-mkfolder: cannot write to stdout: No space left on device"
	assert_equal "$(mbx-folders user1@contoso.com /Inbox/OneRecord | jq -r .path)" "/Inbox/OneRecord"
}

# ... and whenever the program may wait: a slow page does not hold back what came before.
@test "records written before a wait reach the next stage before the wait ends" {
	admin POST /faults --data-binary "match=/items,skip=1,count=1,latency=5000" >/dev/null
	mbx-ls --page-size 10 user1@contoso.com /Inbox >"$BATS_TEST_TMPDIR/pipe" &
	pid=$!
	# the first page, while the second is held (polled: a slow build takes a while to
	# get there)
	for i in $(seq 1 90); do
		[ "$(wc -l <"$BATS_TEST_TMPDIR/pipe")" -ge 10 ] && break
		sleep 0.05
	done
	n=$(wc -l <"$BATS_TEST_TMPDIR/pipe")
	kill -0 "$pid"
	wait "$pid"
	assert_equal "$n" 10
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/pipe")" "$(jq --arg f "$INBOX" '[.items[] | select(.folderId == $f)] | length' "$BATS_FILE_TMPDIR/admin.json")"
}
