#!/usr/bin/env bats
# Archive mailboxes with auxiliary mailboxes (graph-api.md 3.17): 308 redirects followed
# safely, per-item ErrorArchiveFolderMovedPermanently re-posted, 409 on import answered
# with a session on the named mailbox; an archive with 3 auxiliaries exports completely.

load helpers

setup_file() {
	graphd_start --generate users=1,folders=6,items=60,size=2k,seed=81,archive=1,aux=3
	export ARCH=$(mailbox_id user1@contoso.com archive)
	# every item of the archive and its auxiliary mailboxes, as the emulator holds them
	admin GET /mailboxes | jq -r '.value[] | select(.kind == "archive" or .kind == "auxarchive") | .id' |
		while read -r m; do admin GET "/mailboxes/$(jq -rn --arg s "$m" '$s|@uri')" | jq -r '.items[] | "\(.id) \(.sha256)"'; done |
		sort >"$BATS_FILE_TMPDIR/want"
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
}

@test "the emulator: an expanded folder answers 308 to its auxiliary mailbox" {
	# the expanded folders are those whose parentMailboxUrl names another mailbox
	f=$(graph GET "admin/exchange/mailboxes/$(jq -rn --arg s "$ARCH" '$s|@uri')/folders?\$top=100" | head -n -1 |
		jq -r --arg a "$ARCH" '.value[] | select(.parentMailboxUrl | endswith($a) | not) | .id' | head -n 1)
	[ -n "$f" ]
	run curl -sS --cacert "$MBX_CACERT" -o /dev/null -w '%{http_code} %{redirect_url}' \
		-H "Authorization: Bearer $(token)" \
		"$GRAPHD_URL/beta/admin/exchange/mailboxes/$(jq -rn --arg s "$ARCH" '$s|@uri')/folders/$(jq -rn --arg s "$f" '$s|@uri')/items"
	[[ $output == "308 $GRAPHD_URL/beta/admin/Exchange/Mailboxes/MBX%3A"*"/folders/"*"/items" ]]
	[[ $output != *"$(jq -rn --arg s "$ARCH" '$s|@uri')"* ]]
}

@test "an archive with 3 auxiliary mailboxes exports every item, not the main archive's count" {
	main=$(mbx-folders --archive user1@contoso.com | jq -s 'map(.totalItemCount) | add')
	run --separate-stderr bash -c "set -o pipefail; mbx-folders --archive user1@contoso.com | mbx-ls | mbx-export --stats '$BATS_TEST_TMPDIR/stats' > '$BATS_TEST_TMPDIR/frames'"
	assert_success
	assert_equal "$stderr" ""
	diff <(mbx-frames -t "$BATS_TEST_TMPDIR/frames" | jq -r 'select(.type == "item") | "\(.id) \(.sha256)"' | sort) "$BATS_FILE_TMPDIR/want"
	assert_equal "$(wc -l <"$BATS_FILE_TMPDIR/want")" 60
	[ "$main" -lt 60 ]
	# the items of auxiliary mailboxes were asked again where the service said
	assert_equal "$(jq .ok "$BATS_TEST_TMPDIR/stats")" 60
	[ "$(grep -c '/exportItems' "$GRAPHD_DIR/graphd.log")" -gt 3 ]
}

@test "import into an expanded folder: 409, a session on the named mailbox, imported there" {
	path=$(mbx-folders --archive user1@contoso.com | jq -r 'select(.totalItemCount == 0 and .path != "/Deleted Items") | .path' | head -n 1)
	mbx-ls --archive user1@contoso.com "$path" | mbx-export | mbx-frames --to-ndjson | grep '"type":"item"' | head -n 2 >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-import --archive --stats "$BATS_TEST_TMPDIR/s" --folder "$path" user1@contoso.com <"$BATS_TEST_TMPDIR/in"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq .sessions "$BATS_TEST_TMPDIR/s")" 2
	assert_equal "$(jq -r 'select(.path | endswith("/importItem")) | .status' "$GRAPHD_DIR/graphd.log" | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')" "2 200 2 409 "
}

@test "a redirect to another host, or a loop, is refused clearly; the other folders are listed" {
	# "self" twice: the second redirect points where the first one went
	for rule in 'location=https://evil.example.com/beta/x,count=1' 'location=self,count=2'; do
		admin POST /faults --data-binary "match=/items,status=308,$rule" >/dev/null
		run --separate-stderr bash -c "mbx-folders --archive user1@contoso.com | mbx-ls"
		assert_failure 1
		assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "error") | .code')" ItemListFailed
		assert [ "$(printf '%s\n' "${lines[@]}" | grep -c '"type":"item"')" -gt 0 ]
		case $rule in
		*evil*) [[ $stderr == *"refusing a redirect to another host: 'https://evil.example.com/beta/x'"* ]] ;;
		*) [[ $stderr == *"redirect loop at '"* ]] ;;
		esac
	done
	# the token never went to the other host: it was never asked
	run grep -c evil "$GRAPHD_DIR/graphd.log"
	assert_output 0
}

@test "more than 5 redirects are refused" {
	admin POST /faults --data-binary "match=/items,status=308,location=chain,count=6" >/dev/null
	run --separate-stderr mbx-ls --archive user1@contoso.com /Clients
	assert_failure 1
	[[ $stderr == *"more than 5 redirects from '"* ]]
	assert_equal "$(jq -r 'select(.path | endswith("/items")) | .status' "$GRAPHD_DIR/graphd.log" | tail -n 6 | sort -u)" 308
}
