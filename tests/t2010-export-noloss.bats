#!/usr/bin/env bats
# No silent loss: an exportItems entry without data, with empty data, or whose stream is
# not FastTransfer is asked again and then becomes an error frame (exit 1), never a frame.

load helpers

TENANT_GUID=7c2e9d41-0b6a-4f3e-8d51-1a2b3c4d5e6f
ALICE="MBX:3f9a6c1e-52b7-4d08-a1e4-9c7d2b6f0a15@$TENANT_GUID"

setup_file() {
	cat >"$BATS_FILE_TMPDIR/seed.ndjson" <<-EOF
	{"type":"tenant","id":"$TENANT_GUID","domain":"contoso.com"}
	{"type":"app","clientId":"$GEN_CLIENT_ID","secret":"$GEN_CLIENT_SECRET","roles":["User.Read.All","MailboxFolder.Read.All","MailboxFolder.ReadWrite.All","MailboxItem.Read.All","MailboxItem.ReadWrite.All","MailboxItem.Export.All","MailboxItem.ImportExport.All"]}
	{"type":"user","upn":"alice@contoso.com","id":"a0000000-0000-0000-0000-000000000001","primaryMailboxId":"$ALICE"}
	{"type":"item","user":"alice@contoso.com","folder":"/Inbox","id":"AAMkAGood1","message":{"subject":"one"}}
	{"type":"item","user":"alice@contoso.com","folder":"/Inbox","id":"AAMkAEmpty","data":""}
	{"type":"item","user":"alice@contoso.com","folder":"/Inbox","id":"AAMkAJunk1","data":"$(printf 'not a stream' | base64)"}
	{"type":"item","user":"alice@contoso.com","folder":"/Inbox","id":"AAMkAGood2","message":{"subject":"two"}}
	EOF
	graphd_start --seed "$BATS_FILE_TMPDIR/seed.ndjson"
}

teardown_file() {
	graphd_stop
}

@test "an empty or non-FastTransfer stream is an error frame after its tries, the rest exported" {
	printf '{"type":"item","mailbox":"%s","id":"%s"}\n' "$ALICE" AAMkAGood1 "$ALICE" AAMkAEmpty \
		"$ALICE" AAMkAJunk1 "$ALICE" AAMkAGood2 >"$BATS_TEST_TMPDIR/in"
	mbx-export --stats "$BATS_TEST_TMPDIR/stats" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/frames" \
		2>"$BATS_TEST_TMPDIR/err" && st=0 || st=$?
	assert_equal "$st" 1
	run --separate-stderr mbx-frames -t <"$BATS_TEST_TMPDIR/frames"
	assert_failure 1          # it saw error records
	assert_equal "$(jq -r 'select(.type == "item") | .id' <<<"$output" | sort | tr '\n' ' ')" "AAMkAGood1 AAMkAGood2 "
	assert_equal "$(jq -r 'select(.type == "error") | "\(.subject) \(.code)"' <<<"$output" | sort | tr '\n' ' ')" \
		"AAMkAEmpty NoData AAMkAJunk1 BadStream "
	run cat "$BATS_TEST_TMPDIR/err"
	assert_equal "${#lines[@]}" 2
	assert_line "mbx-export: cannot export 'AAMkAEmpty': NoData: the service returned the item with empty data"
	assert_line --regexp "^mbx-export: cannot export 'AAMkAJunk1': BadStream: not a FastTransfer stream: .+"
	assert_equal "$(jq -r '"\(.items) \(.ok) \(.failed)"' "$BATS_TEST_TMPDIR/stats")" "4 2 2"
	# every good frame verifies
	run --separate-stderr mbx-frames --verify <"$BATS_TEST_TMPDIR/frames"
	assert_failure 1
	# asked again before giving up: 10 tries each, in calls of the bad ones only
	assert_equal "$(jq -r 'select(.path | endswith("/exportItems")) | .path' "$GRAPHD_DIR/graphd.log" | wc -l)" 10
}

@test "a folder lookup that fails is one line and an exit code, never a crash" {
	for f in status=404 status=403 status=500; do
		# the first folder lookup is the flat list (graph-api.md 3.2)
		admin POST /faults --data-binary "match=/folders,count=0,$f" >/dev/null
		for cmd in "mbx-folders $ALICE" "mbx-ls $ALICE /Inbox" "mbx-mkfolder $ALICE /New" \
			"mbx-import $ALICE --folder /New"; do
			run --separate-stderr timeout 60 $cmd --retry-max-time 2 </dev/null
			case $f in
			status=404) want=1 ;; status=403) want=3 ;; *) want=4 ;;
			esac
			[ "$status" -eq "$want" ] || { echo "$cmd ($f): exit $status, want $want: $stderr"; false; }
			[ "$(wc -l <<<"$stderr")" -eq 1 ] || { echo "$cmd ($f): $stderr"; false; }
			assert_regex "$stderr" "^mbx-[a-z]+: cannot .*'"
		done
		admin DELETE /faults >/dev/null
	done
}
