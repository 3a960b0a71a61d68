#!/usr/bin/env bats
# mbx-graphd's tenant: GET /users as the users API serves it (v1.0 and beta), users
# without an Exchange Online mailbox, and start-up at tenant scale.

load helpers

NOREAD=33333333-4444-5555-6666-777777777777
DIRREAD=44444444-5555-6666-7777-888888888888

setup_file() {
	# the generated app (every role), and one that may read mailboxes but not the directory
	cat >"$BATS_FILE_TMPDIR/seed.ndjson" <<-EOF
	{"type":"app","clientId":"$GEN_CLIENT_ID","secret":"$GEN_CLIENT_SECRET","roles":["User.Read.All","MailboxFolder.Read.All"]}
	{"type":"app","clientId":"$NOREAD","secret":"noread-secret","roles":["MailboxFolder.Read.All","MailboxItem.Export.All"]}
	{"type":"app","clientId":"$DIRREAD","secret":"dirread-secret","roles":["Directory.Read.All"]}
	EOF
	graphd_start --seed "$BATS_FILE_TMPDIR/seed.ndjson" --generate users=2500,nomailbox=3,seed=41
	export TOKEN=$(token)
}

teardown_file() {
	graphd_stop
}

body() { sed '$d' <<<"$1"; }
code() { tail -n 1 <<<"$1"; }

# users VERSION QUERY: GET /VERSION/users?QUERY with the token; body then status
users() {
	curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer ${T:-$TOKEN}" -w '\n%{http_code}' \
		"$GRAPHD_URL/$1/users${2:+?$2}"
}

# pages URL: follow every nextLink; the UPNs seen, then "pages N" on the last line
pages() {
	local url=$1 n=0 page
	while [ -n "$url" ] && [ "$url" != null ]; do
		page=$(curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" "$url")
		jq -r '.value[].userPrincipalName' <<<"$page"
		url=$(jq -r '."@odata.nextLink"' <<<"$page")
		n=$((n + 1))
	done
	echo "pages $n"
}

@test "2,500 users paged by nextLink: 100 a page, every user once, in order" {
	run pages "$GRAPHD_URL/v1.0/users"
	assert_success
	assert_equal "$(tail -n 1 <<<"$output")" "pages 25"
	assert_equal "$(sed '$d' <<<"$output")" "$(seq 1 2500 | sed 's/.*/user&@contoso.com/')"
	run pages "$GRAPHD_URL/beta/users?\$top=999&\$select=userPrincipalName"
	assert_equal "$(tail -n 1 <<<"$output")" "pages 3"
	assert_equal "$(sed '$d' <<<"$output" | sort -u | wc -l)" 2500
}

@test "a user has id, userPrincipalName, mail and displayName; \$select picks" {
	run users v1.0 '$top=1'
	assert_equal "$(code "$output")" 200
	assert_equal "$(body "$output" | jq -c '.value[0] | [keys[], .userPrincipalName, .mail, .displayName]')" \
		'["displayName","id","mail","userPrincipalName","user1@contoso.com","user1@contoso.com","User 1"]'
	assert_regex "$(body "$output" | jq -r '.value[0].id')" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
	assert_equal "$(body "$output" | jq -r '."@odata.context"')" "$GRAPHD_URL/v1.0/\$metadata#users"
	run users beta '$top=2&$select=displayName,mail'
	assert_equal "$(body "$output" | jq -c '.value')" \
		'[{"mail":"user1@contoso.com","displayName":"User 1"},{"mail":"user2@contoso.com","displayName":"User 2"}]'
	assert_equal "$(body "$output" | jq -r '."@odata.context"')" "$GRAPHD_URL/beta/\$metadata#users(displayName,mail)"
	run users beta '$select=jobTitle'
	assert_equal "$(code "$output")" 400
	assert_equal "$(body "$output" | jq -r .error.message)" "Could not find a property named 'jobTitle' on type 'microsoft.graph.user'."
	run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" "$GRAPHD_URL/v1.0/users/user7@contoso.com?\$select=id,mail"
	assert_equal "$(jq -c 'del(."@odata.context") | keys' <<<"$output")" '["id","mail"]'
}

@test "\$filter: eq and startswith on userPrincipalName and mail, without regard to case" {
	run users v1.0 "\$filter=userPrincipalName%20eq%20'USER42@contoso.com'"
	assert_equal "$(body "$output" | jq -r '[.value[].userPrincipalName] | join(" ")')" user42@contoso.com
	run users v1.0 "\$filter=startswith(mail,'user249')&\$top=5"
	assert_equal "$(body "$output" | jq -r '[.value[].userPrincipalName] | join(" ")')" \
		"user249@contoso.com user2490@contoso.com user2491@contoso.com user2492@contoso.com user2493@contoso.com"
	next=$(body "$output" | jq -r '."@odata.nextLink"')
	run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" "$next"
	assert_equal "$(jq -r '[.value[].userPrincipalName] | join(" ")' <<<"$output")" \
		"user2494@contoso.com user2495@contoso.com user2496@contoso.com user2497@contoso.com"
	run users beta "\$filter=startswith(userPrincipalName,'user12')%20and%20mail%20eq%20'user123@contoso.com'%20or%20userPrincipalName%20eq%20'user5@contoso.com'"
	assert_equal "$(body "$output" | jq -r '[.value[].userPrincipalName] | join(" ")')" "user5@contoso.com user123@contoso.com"
	# a user without a mailbox has no mail: mail filters never find them
	run users beta "\$filter=startswith(mail,'user2500')"
	assert_equal "$(body "$output" | jq '.value | length')" 0
	run users beta "\$filter=startswith(userPrincipalName,'user2500')"
	assert_equal "$(body "$output" | jq -c '[.value[].mail]')" '[null]'
}

@test "other filters, \$top out of 1..999, other options and bad page tokens are 400" {
	for q in "\$filter=displayName%20eq%20'User%201'" "\$filter=mail%20ne%20'x'" \
		"\$filter=endswith(mail,'x')" "\$filter=mail%20eq%20x"; do
		run users v1.0 "$q"
		assert_equal "$(code "$output")" 400
		assert_regex "$(body "$output" | jq -r .error.code)" '^(Request_UnsupportedQuery|BadRequest)$'
	done
	run users v1.0 "\$filter=displayName%20eq%20'User%201'"
	assert_equal "$(body "$output" | jq -r .error.code)" Request_UnsupportedQuery
	for q in '$top=1000' '$top=0' '$skip=10' '$orderby=displayName' '$skiptoken=bm9wZQ'; do
		run users beta "$q"
		assert_equal "$(code "$output")" 400
		assert_equal "$(body "$output" | jq -r .error.code)" Request_BadRequest
	done
	run users beta '$top=1000'
	assert_equal "$(body "$output" | jq -r .error.message)" "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
}

@test "without User.Read.All (or Directory.Read.All): 403 Authorization_RequestDenied" {
	T=$(token "$NOREAD" noread-secret) run users v1.0 '$top=1'
	assert_equal "$(code "$output")" 403
	assert_equal "$(body "$output" | jq -r '"\(.error.code): \(.error.message)"')" \
		"Authorization_RequestDenied: Insufficient privileges to complete the operation."
	run curl -sS --cacert "$MBX_CACERT" -w '\n%{http_code}' "$GRAPHD_URL/v1.0/users"
	assert_equal "$(code "$output")" 401
	T=$(token "$DIRREAD" dirread-secret) run users v1.0 '$top=1'
	assert_equal "$(code "$output")" 200
}

@test "users without an Exchange Online mailbox: listed, but settings/exchange is 404" {
	run graph GET users/user2498@contoso.com/settings/exchange
	assert_equal "$(code "$output")" 404
	assert_equal "$(body "$output" | jq -r .error.code)" MailboxNotEnabledForRESTAPI
	assert_regex "$(body "$output" | jq -r .error.innerError.date)" '^2[0-9-]+T[0-9:]+$'
	run graph GET users/user2497@contoso.com/settings/exchange
	assert_equal "$(code "$output")" 200
	run admin GET /mailboxes
	assert_equal "$(jq '[.value[].user] | unique | length' <<<"$output")" 2497
	run graph GET users/nobody@contoso.com/settings/exchange
	assert_equal "$(code "$output")" 404
	assert_equal "$(body "$output" | jq -r .error.code)" Request_ResourceNotFound
}

@test "a seed file's user with \"mailbox\": false has none" {
	d=$BATS_TEST_TMPDIR
	cat >"$d/seed" <<-'EOF'
	{"type":"tenant","id":"11111111-0000-4000-8000-000000000001","domain":"fabrikam.com"}
	{"type":"app","clientId":"11111111-2222-3333-4444-555555555555","secret":"mbx-graphd-demo-secret","roles":["User.Read.All"]}
	{"type":"user","upn":"a@fabrikam.com","displayName":"Adele Vance"}
	{"type":"user","upn":"b@fabrikam.com","mailbox":false}
	EOF
	GRAPHD_DIR=$d/g graphd_start --seed "$d/seed"
	export AZURE_TENANT_ID=fabrikam.com
	mb=$(admin GET /mailboxes | jq -c '[.value[].user]')
	u=$(curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $(token)" "$GRAPHD_URL/v1.0/users" | jq -c '[.value[] | [.displayName, .mail]]')
	graphd_stop
	assert_equal "$mb" '["a@fabrikam.com"]'
	assert_equal "$u" '[["Adele Vance","a@fabrikam.com"],["b",null]]'
	printf '{"type":"tenant","id":"t","domain":"d.com"}\n{"type":"user","upn":"c@d.com","mailbox":"no"}\n' >"$d/bad"
	run --separate-stderr mbx-graphd --listen 127.0.0.1:0 --seed "$d/bad"
	assert_equal "$status" 2
	assert_equal "$stderr" "mbx-graphd: $d/bad:2: \"mailbox\" must be true or false"
	run --separate-stderr mbx-graphd --listen 127.0.0.1:0 --generate users=2,nomailbox=3
	assert_equal "$status" 2
	assert_regex "$stderr" "bad --generate spec 'users=2,nomailbox=3'"
}

@test "a tenant of 1,000 users with 5 folders and 20 items each starts in under 2 seconds" {
	d=$BATS_TEST_TMPDIR
	t0=$(date +%s%N)
	GRAPHD_DIR=$d/g graphd_start --generate users=1000,folders=5,items=20,seed=42
	t1=$(date +%s%N)
	n=$(admin GET /mailboxes | jq '.value | length')
	graphd_stop
	assert_equal "$n" 1000
	# sanitizers and valgrind make every program slower: only the plain build is timed
	if [ -z "${MBX_WRAPDIR:-}" ] && ! ldd "$MBX_BUILDDIR/bin/mbx-graphd" | grep -q libasan; then
		assert [ $(((t1 - t0) / 1000000)) -lt 2000 ]
	fi
}
