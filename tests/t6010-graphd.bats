#!/usr/bin/env bats
# mbx-graphd as a product: start-up, seed and generate, strictness, paging, state, log.

load helpers

setup_file() {
	graphd_start --generate users=2,folders=6,items=25,size=2k,seed=3,archive=1
	export TOKEN=$(token)
	export MBX1=$(mailbox_id user1@contoso.com)
}

teardown_file() {
	graphd_stop
}

body() { sed '$d' <<<"$1"; }
code() { tail -n 1 <<<"$1"; }

@test "the port file holds the bound port; the server answers over TLS" {
	run cat "$GRAPHD_DIR/port"
	assert_output "$GRAPHD_PORT"
	assert [ "$GRAPHD_PORT" -gt 0 ]
	run curl -sS --cacert "$MBX_CACERT" "$GRAPHD_URL/_admin/mailboxes"
	assert_success
	assert_equal "$(jq '.value | length' <<<"$output")" 4
}

@test "plain HTTP is refused on a non-loopback address" {
	run --separate-stderr mbx-graphd --listen 0.0.0.0:0 --generate users=1
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_regex "$stderr" "^mbx-graphd: refusing plain HTTP on '0.0.0.0:0'"
}

@test "a malformed seed file stops the emulator with the file and line" {
	printf '{"type":"tenant","id":"t","domain":"d.com"}\n{"type":"user","upn":"a@d.com"}\nnot json\n' \
		>"$BATS_TEST_TMPDIR/seed"
	run --separate-stderr mbx-graphd --listen 127.0.0.1:0 --seed "$BATS_TEST_TMPDIR/seed"
	assert_equal "$status" 2
	assert_regex "$stderr" "^mbx-graphd: $BATS_TEST_TMPDIR/seed:3: not a JSON object"
	printf '{"type":"user","upn":"a@d.com"}\n' >"$BATS_TEST_TMPDIR/seed2"
	run --separate-stderr mbx-graphd --listen 127.0.0.1:0 --seed "$BATS_TEST_TMPDIR/seed2"
	assert_equal "$status" 2
	assert_equal "$stderr" "mbx-graphd: $BATS_TEST_TMPDIR/seed2:1: a user before the tenant record"
}

@test "a bad --generate spec is a usage error" {
	run --separate-stderr mbx-graphd --generate users=two
	assert_equal "$status" 2
	assert_regex "$stderr" "bad --generate spec 'users=two'"
}

@test "no token: 401 with the Graph error shape" {
	run curl -sS --cacert "$MBX_CACERT" -w '\n%{http_code}' "$GRAPHD_URL/beta/users/user1@contoso.com/settings/exchange"
	assert_equal "$(code "$output")" 401
	assert_equal "$(body "$output" | jq -r .error.code)" InvalidAuthenticationToken
	assert_regex "$(body "$output" | jq -r .error.innerError.date)" '^2[0-9-]+T[0-9:]+$'
}

@test "a tampered token is refused" {
	run curl -sS --cacert "$MBX_CACERT" -w '\n%{http_code}' -H "Authorization: Bearer ${TOKEN}x" \
		"$GRAPHD_URL/beta/users/user1@contoso.com/settings/exchange"
	assert_equal "$(code "$output")" 401
	assert_equal "$(body "$output" | jq -r .error.message)" "Signature validation failed."
}

@test "settings: primary and archive ids; any query option is refused" {
	run graph GET users/user1@contoso.com/settings/exchange
	assert_equal "$(code "$output")" 200
	assert_equal "$(body "$output" | jq -r .primaryMailboxId)" "$MBX1"
	assert_equal "$(body "$output" | jq -r .inPlaceArchiveMailboxId)" "$(mailbox_id user1@contoso.com archive)"
	run graph GET 'users/user1@contoso.com/settings/exchange?$select=primaryMailboxId'
	assert_equal "$(code "$output")" 400
	run graph GET users/nobody@contoso.com/settings/exchange
	assert_equal "$(code "$output")" 404
}

@test "folders page with \$top and nextLink; following it to the end gives every folder once" {
	url="$GRAPHD_URL/beta/admin/exchange/mailboxes/$MBX1/folders?\$top=3"
	: >"$BATS_TEST_TMPDIR/ids"
	pages=0
	while [ -n "$url" ] && [ "$url" != null ]; do
		page=$(curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" "$url")
		jq -r '.value[].id' <<<"$page" >>"$BATS_TEST_TMPDIR/ids"
		assert [ "$(jq '.value | length' <<<"$page")" -le 3 ]
		url=$(jq -r '."@odata.nextLink"' <<<"$page")
		pages=$((pages + 1))
	done
	assert [ "$pages" -ge 5 ]
	all=$(admin GET "/mailboxes/$MBX1" | jq -r '.folders[] | select(.hidden | not) | .id' | sort)
	assert_equal "$(sort "$BATS_TEST_TMPDIR/ids")" "$all"
}

@test "unknown query options, malformed ids and unknown ids get the service's answers" {
	run graph GET "admin/exchange/mailboxes/$MBX1/folders?\$expandAll=true"
	assert_equal "$(code "$output")" 400
	assert_equal "$(body "$output" | jq -r .error.message)" "Query option '\$expandAll' is not supported on this resource."
	run graph GET "admin/exchange/mailboxes/$MBX1/folders/not-an-id!"
	assert_equal "$(code "$output")" 400
	assert_equal "$(body "$output" | jq -r .error.code)" ErrorInvalidIdMalformed
	run graph GET "admin/exchange/mailboxes/$MBX1/folders/AAMkADNmZjI1AC4AAAAAAAAAAAAAAAAAAAAA"
	assert_equal "$(code "$output")" 404
	assert_equal "$(body "$output" | jq -r .error.code)" ErrorItemNotFound
	run graph GET "admin/exchange/mailboxes/MBX:nobody@nowhere/folders"
	assert_equal "$(code "$output")" 404
}

@test "well-known names, OData key syntax and percent-encoded ids address the same folder" {
	inbox=$(graph GET "admin/exchange/mailboxes/$MBX1/folders/Inbox" | sed '$d' | jq -r .id)
	enc=$(jq -rn --arg s "$inbox" '$s|@uri')
	run graph GET "admin/exchange/mailboxes/$(jq -rn --arg s "$MBX1" '$s|@uri')/folders('$enc')"
	assert_equal "$(code "$output")" 200
	assert_equal "$(body "$output" | jq -r .wellKnownName)" inbox
	run graph GET "Admin/Exchange/Mailboxes/$MBX1/folders/$enc/childFolders"
	assert_equal "$(code "$output")" 200
}

@test "\$select, \$filter and \$count on items" {
	run graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox/items?\$select=size&\$top=2&\$count=true"
	assert_equal "$(code "$output")" 200
	assert_equal "$(body "$output" | jq -c '.value[0] | keys')" '["@odata.etag","@odata.type","id","size"]'
	total=$(body "$output" | jq '."@odata.count"')
	assert [ "$total" -gt 2 ]
	run graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox/items?\$filter=createdDateTime%20ge%202026-06-01&\$top=1000"
	assert_equal "$(code "$output")" 200
	assert_equal "$(body "$output" | jq -r '[.value[].createdDateTime | select(. < "2026-06-01")] | length')" 0
	run graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox/items?\$filter=subject%20eq%20'x'"
	assert_equal "$(code "$output")" 400
}

@test "archive mailboxes are refused on v1.0" {
	arch=$(mailbox_id user1@contoso.com archive)
	run curl -sS --cacert "$MBX_CACERT" -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" \
		"$GRAPHD_URL/v1.0/admin/exchange/mailboxes/$arch/folders"
	assert_equal "$(code "$output")" 400
	assert_equal "$(body "$output" | jq -r .error.message)" "Operation on Archive mailbox not allowed"
}

@test "the log has one JSON line per request, without tokens" {
	run jq -r '[.method, .status] | @tsv' "$GRAPHD_DIR/graphd.log"
	assert_success
	assert_output --partial $'GET\t200'
	assert_output --partial $'POST\t200'
	run grep -c "$TOKEN" "$GRAPHD_DIR/graphd.log"
	assert_output 0
}

@test "a fifth concurrent request to one mailbox is throttled (graph-api.md 7)" {
	admin POST /faults --data-binary "match=/items,latency=700,count=0" >/dev/null
	for i in 1 2 3 4 5 6; do
		graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox/items" -o /dev/null \
			>"$BATS_TEST_TMPDIR/c$i" &
	done
	wait
	admin DELETE /faults >/dev/null
	run cat "$BATS_TEST_TMPDIR"/c*
	assert_output --partial 429
	assert_output --partial 200
}

@test "--generate is deterministic; --state survives a restart with the same ids and tokens" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/a graphd_start --generate users=1,folders=3,items=5,seed=9 --state "$d/state"
	a=$(admin GET "/mailboxes/$(mailbox_id user1@contoso.com)")
	tok=$(token)
	graphd_stop
	GRAPHD_DIR=$d/b graphd_start --generate users=1,folders=3,items=5,seed=9
	b=$(admin GET "/mailboxes/$(mailbox_id user1@contoso.com)")
	graphd_stop
	assert_equal "$a" "$b"
	GRAPHD_DIR=$d/c graphd_start --state "$d/state"
	c=$(admin GET "/mailboxes/$(mailbox_id user1@contoso.com)")
	TOKEN=$tok run graph GET users/user1@contoso.com/settings/exchange
	graphd_stop
	assert_equal "$a" "$c"
	assert_equal "$(code "$output")" 200
	run stat -c %a "$d/state/signing.key"
	assert_output 600
}
