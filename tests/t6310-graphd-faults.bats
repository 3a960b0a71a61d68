#!/usr/bin/env bats
# mbx-graphd's fault rules, as an error-path sweep needs them (mbx-graphd(1) FAULTS):
# a rule without match takes every request but /_admin, token requests included;
# skip counts only the requests the rule matches; body=reset, body=truncated and
# body=malformed on every kind of route; status faults in each route's error shape.

load helpers

setup_file() {
	# room for many requests at once: the concurrency limit is not what is tested here
	graphd_start --generate users=1,folders=2,items=6,size=2k,seed=31 --quota concurrency=64
	export MBX1=$(mailbox_id user1@contoso.com)
	export TOKEN=$(token)
	export ITEM=$(graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox/items" | sed '$d' | jq -r '.value[0].id')
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
}

faults() { admin POST /faults --data-binary "$1" >/dev/null; }
hits() { admin GET /faults | jq -c '[.value[].hits]'; }
body() { sed '$d' <<<"$1"; }
code() { tail -n 1 <<<"$1"; }

# tokreq [curl args]: a token request; body, then the status on the last line
tokreq() {
	curl -sS --cacert "$MBX_CACERT" -w '\n%{http_code}' "$GRAPHD_URL/$AZURE_TENANT_ID/oauth2/v2.0/token" \
		--data-urlencode "client_id=$AZURE_CLIENT_ID" --data-urlencode "client_secret=$AZURE_CLIENT_SECRET" \
		--data-urlencode "scope=https://graph.microsoft.com/.default" \
		--data-urlencode "grant_type=client_credentials" "$@"
}

@test "a rule without match takes token and Graph requests, never /_admin" {
	faults 'status=500,count=0'
	run tokreq
	assert_equal "$(code "$output")" 500
	run graph GET "admin/exchange/mailboxes/$MBX1/folders"
	assert_equal "$(code "$output")" 500
	admin GET "/mailboxes/$MBX1" >/dev/null
	admin GET /mailboxes >/dev/null
	assert_equal "$(hits)" '[2]'
}

@test "skip counts only the requests its rule matches: the k-th matching one fails" {
	for k in 0 2 5; do
		faults "match=/items,skip=$k,status=503"
		got=
		for i in $(seq 0 7); do
			graph GET "admin/exchange/mailboxes/$MBX1/folders" -o /dev/null >/dev/null
			run graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox/items" -o /dev/null
			got="$got$(code "$output") "
		done
		want=$(for i in $(seq 0 7); do [ "$i" = "$k" ] && printf '503 ' || printf '200 '; done)
		assert_equal "$got" "$want"
	done
}

@test "skip and count under concurrency: exactly the matching requests are counted" {
	faults 'match=/items,skip=10,count=3,status=500'
	for i in $(seq 1 8); do
		(for j in 1 2; do
			graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox/items" -o /dev/null
			echo
			graph GET "admin/exchange/mailboxes/$MBX1/folders/drafts" -o /dev/null
			echo
		done) >"$BATS_TEST_TMPDIR/c$i" &
	done
	wait
	# 16 to /items, 16 to a folder, which the rule never counts: the rule passed 10
	# and failed 3, whichever they were, and then let the rest pass
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/c* | grep -c '^500$')" 3
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/c* | grep -c '^200$')" 29
	assert_equal "$(admin GET /faults | jq -c '.value[0] | [.hits, .remaining]')" '[13,0]' 
}

@test "body=reset: no answer at all, and the request is not carried out" {
	faults "match=/folders/inbox/childFolders,body=reset"
	run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		-d '{"displayName":"Never","type":"IPF.Note"}' -w '%{http_code}' \
		"$GRAPHD_URL/beta/admin/exchange/mailboxes/$MBX1/folders/inbox/childFolders"
	assert_failure
	assert_equal "$status" 56          # curl: Recv failure: Connection reset by peer
	assert_output --regexp 'reset by peer.*000$' 
	run admin GET "/mailboxes/$MBX1"
	assert_equal "$(jq '[.folders[] | select(.displayName == "Never")] | length' <<<"$output")" 0
	run jq -c 'select(.fault == "reset") | [.status, .method]' "$GRAPHD_DIR/graphd.log"
	assert_output '[0,"POST"]'
	faults "body=reset"
	run tokreq
	assert_equal "$status" 56
	run cat "$GRAPHD_DIR/graphd.err"
	refute_output --partial libmicrohttpd
}

@test "status faults at the token endpoint have the OAuth error shape" {
	for s in 400 401 429 500; do
		faults "match=/oauth2/,status=$s,retry-after=0"
		run tokreq
		assert_equal "$(code "$output")" "$s"
		assert_regex "$(body "$output" | jq -r '"\(.error) \(.error_description) \(.error_codes[0])"')" \
			'^[a-z_]+ AADSTS[0-9]+: .*injected fault.* [0-9]+$'
		assert_equal "$(body "$output" | jq -r .access_token)" null
	done
	assert_equal "$(body "$output" | jq -r .error)" temporarily_unavailable
}

@test "status faults on Graph routes have the Graph error shape; code= sets its code" {
	faults "match=/exportItems,status=404,code=ErrorItemNotFound"
	run graph POST "admin/exchange/mailboxes/$MBX1/exportItems" -H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"$ITEM\"]}"
	assert_equal "$(code "$output")" 404
	assert_equal "$(body "$output" | jq -r '"\(.error.code) \(.error.message)"')" "ErrorItemNotFound Injected fault."
	assert_regex "$(body "$output" | jq -r .error.innerError.date)" '^2[0-9-]+T[0-9:]+$'
	for s in 400 403 409; do
		faults "match=/folders,status=$s"
		run graph GET "admin/exchange/mailboxes/$MBX1/folders"
		assert_equal "$(code "$output")" "$s"
		assert_equal "$(body "$output" | jq -r .error.code)" generalException
	done
	run admin POST /faults --data-binary 'code=x'
	assert_failure
	assert_output --partial "body=malformed|truncated|reset, code,"
}

# cut URL [curl args]: curl's exit status, then the bytes it got
cut() {
	local rc=0
	curl -sS --cacert "$MBX_CACERT" -o "$BATS_TEST_TMPDIR/cut" "$@" 2>/dev/null || rc=$?
	echo "$rc $(stat -c %s "$BATS_TEST_TMPDIR/cut")"
}

@test "body=truncated cuts collections, single objects, imports and token answers short" {
	auth=(-H "Authorization: Bearer $TOKEN")
	faults "match=/folders/inbox/items,body=truncated"
	run cut "${auth[@]}" "$GRAPHD_URL/beta/admin/exchange/mailboxes/$MBX1/folders/inbox/items"
	assert_regex "$output" '^18 [1-9][0-9]*$'
	faults "match=/folders/drafts,body=truncated"
	run cut "${auth[@]}" "$GRAPHD_URL/beta/admin/exchange/mailboxes/$MBX1/folders/drafts"
	assert_regex "$output" '^18 [1-9][0-9]*$'
	faults "match=/oauth2/v2.0/token,body=truncated"
	run cut "$GRAPHD_URL/$AZURE_TENANT_ID/oauth2/v2.0/token" --data-urlencode "client_id=$AZURE_CLIENT_ID" \
		--data-urlencode "client_secret=$AZURE_CLIENT_SECRET" \
		--data-urlencode "scope=https://graph.microsoft.com/.default" --data-urlencode "grant_type=client_credentials"
	assert_regex "$output" '^18 [1-9][0-9]*$'
	run jq -e .access_token "$BATS_TEST_TMPDIR/cut"
	assert_failure
	# an import: the item is made (the service did the work), its answer lost
	url=$(graph POST "admin/exchange/mailboxes/$MBX1/createImportSession" | sed '$d' | jq -r .importUrl)
	data=$(graph POST "admin/exchange/mailboxes/$MBX1/exportItems" -H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"$ITEM\"]}" | sed '$d' | jq -r '.value[0].data')
	jq -n --arg d "$data" '{FolderId:"drafts", Mode:"create", Data:$d}' >"$BATS_TEST_TMPDIR/up"
	before=$(admin GET "/mailboxes/$MBX1" | jq '.items | length')
	faults "match=/importItem,body=truncated"
	run cut -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/up" "$url"
	assert_regex "$output" '^18 [1-9][0-9]*$'
	assert_equal "$(admin GET "/mailboxes/$MBX1" | jq '.items | length')" $((before + 1))
}

@test "body=truncated and body=malformed on an answer without a body: a 200 that promises one" {
	id=$(graph POST "admin/exchange/mailboxes/$MBX1/folders" -H 'Content-Type: application/json' \
		-d '{"displayName":"Gone1","type":"IPF.Note"}' | sed '$d' | jq -r .id)
	faults "method=DELETE,body=truncated"
	run cut -X DELETE -H "Authorization: Bearer $TOKEN" \
		"$GRAPHD_URL/beta/admin/exchange/mailboxes/$MBX1/folders/$(jq -rn --arg s "$id" '$s|@uri')"
	assert_equal "$output" "18 1"
	id=$(graph POST "admin/exchange/mailboxes/$MBX1/folders" -H 'Content-Type: application/json' \
		-d '{"displayName":"Gone2","type":"IPF.Note"}' | sed '$d' | jq -r .id)
	faults "method=DELETE,body=malformed"
	run graph DELETE "admin/exchange/mailboxes/$MBX1/folders/$(jq -rn --arg s "$id" '$s|@uri')"
	assert_equal "$(code "$output")" 200
	run jq . <<<"$(body "$output")"
	assert_failure
	# both deletes were carried out
	assert_equal "$(admin GET "/mailboxes/$MBX1" | jq '[.folders[] | select(.displayName | startswith("Gone"))] | length')" 0
}

@test "body=malformed at the token endpoint and on a collection" {
	faults "match=/oauth2/,body=malformed"
	run tokreq
	assert_equal "$(code "$output")" 200
	run jq . <<<"$(body "$output")"
	assert_failure
	faults "match=/childFolders,body=malformed"
	run graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox/childFolders"
	assert_equal "$(code "$output")" 200
	assert_equal "$(body "$output")" '{"value":[{"id":"AAMk","displayName":tru'
}
