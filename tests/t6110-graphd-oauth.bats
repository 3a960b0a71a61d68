#!/usr/bin/env bats
# The emulator's identity platform (graph-api.md 2): secrets, client assertions signed
# with a registered certificate (PS256 and RS256), device code, and the errors of 2.5.

load helpers

TENANT=7c2e9d41-0b6a-4f3e-8d51-1a2b3c4d5e6f
CERT_APP=22222222-0000-0000-0000-000000000002
READER=33333333-0000-0000-0000-000000000003

setup_file() {
	d=$BATS_FILE_TMPDIR
	make_client_cert "$d" app
	make_client_cert "$d" other
	{
		echo "{\"type\":\"tenant\",\"id\":\"$TENANT\",\"domain\":\"contoso.com\"}"
		echo "{\"type\":\"app\",\"clientId\":\"$GEN_CLIENT_ID\",\"secret\":\"$GEN_CLIENT_SECRET\",\"roles\":[\"User.Read.All\",\"MailboxFolder.Read.All\"],\"publicClient\":true}"
		echo "{\"type\":\"app\",\"clientId\":\"$CERT_APP\",\"certificateFile\":\"$d/app.crt\",\"roles\":[\"User.Read.All\"]}"
		echo "{\"type\":\"app\",\"clientId\":\"$READER\",\"secret\":\"r\",\"roles\":[\"User.Read.All\"]}"
		echo '{"type":"user","upn":"alice@contoso.com"}'
	} >"$d/seed"
	graphd_start --seed "$d/seed"
	export TOKEN_URL=$GRAPHD_URL/$TENANT/oauth2/v2.0/token
}

teardown_file() {
	graphd_stop
}

# post_token FORM...: status on the first line, the JSON answer after it.
post_token() {
	local args=() f
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	curl -sS --cacert "$MBX_CACERT" -w '%{http_code}\n' -o "$BATS_TEST_TMPDIR/body" \
		"$TOKEN_URL" "${args[@]}"
	cat "$BATS_TEST_TMPDIR/body"
}

assertion() {
	mbx-testtool jwt-assert "$BATS_FILE_TMPDIR/${1:-app}.pem" "${2:-$CERT_APP}" \
		"${3:-$TOKEN_URL}" "${@:4}"
}

with_assertion() {
	post_token client_id="$CERT_APP" scope=https://graph.microsoft.com/.default \
		grant_type=client_credentials \
		client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
		client_assertion="$1"
}

@test "client secret: a bearer token with expires_in" {
	run post_token client_id=$GEN_CLIENT_ID client_secret=$GEN_CLIENT_SECRET \
		scope=https://graph.microsoft.com/.default grant_type=client_credentials
	assert_line --index 0 200
	body=$(sed 1d <<<"$output")
	assert_equal "$(jq -r .token_type <<<"$body")" Bearer
	assert_equal "$(jq -r .expires_in <<<"$body")" 3599
	assert_regex "$(jq -r .access_token <<<"$body")" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'
}

@test "the secret in HTTP Basic works too (RFC 6749 2.3.1)" {
	run curl -sS --cacert "$MBX_CACERT" -u "$GEN_CLIENT_ID:$GEN_CLIENT_SECRET" "$TOKEN_URL" \
		-d client_id=$GEN_CLIENT_ID -d grant_type=client_credentials \
		--data-urlencode scope=https://graph.microsoft.com/.default
	assert_equal "$(jq -r .token_type <<<"$output")" Bearer
}

@test "errors carry the OAuth code and the AADSTS number" {
	run post_token client_id=$GEN_CLIENT_ID client_secret=nope \
		scope=https://graph.microsoft.com/.default grant_type=client_credentials
	assert_line --index 0 401
	assert_equal "$(sed 1d <<<"$output" | jq -r '.error, .error_codes[0]' | tr '\n' ' ')" "invalid_client 7000215 "
	assert_regex "$(sed 1d <<<"$output" | jq -r .error_description)" '^AADSTS7000215: Invalid client secret provided\.$'
	run post_token client_id=99999999-0000-0000-0000-000000000000 client_secret=x \
		scope=https://graph.microsoft.com/.default grant_type=client_credentials
	assert_line --index 0 400
	assert_equal "$(sed 1d <<<"$output" | jq -r .error_codes[0])" 700016
	run post_token client_id=$GEN_CLIENT_ID client_secret=$GEN_CLIENT_SECRET \
		scope=https://graph.microsoft.com/Mail.Read grant_type=client_credentials
	assert_equal "$(sed 1d <<<"$output" | jq -r .error)" invalid_scope
	run curl -sS --cacert "$MBX_CACERT" "$GRAPHD_URL/fabrikam.com/oauth2/v2.0/token" -d client_id=x
	assert_equal "$(jq -r .error_codes[0] <<<"$output")" 90002
}

@test "certificate: PS256 with x5t#S256 and RS256 with x5t are both accepted" {
	run with_assertion "$(assertion)"
	assert_line --index 0 200
	run with_assertion "$(assertion app "$CERT_APP" "$TOKEN_URL" --alg RS256)"
	assert_line --index 0 200
	hdr=$(assertion app "$CERT_APP" "$TOKEN_URL" --alg RS256 | cut -d. -f1 | tr '_-' '/+')
	while [ $(( ${#hdr} % 4 )) -ne 0 ]; do hdr="$hdr="; done
	assert_equal "$(base64 -d <<<"$hdr" | jq -c 'keys')" '["alg","typ","x5t"]'
}

@test "an assertion signed with an unregistered certificate is refused" {
	run with_assertion "$(assertion other)"
	assert_line --index 0 401
	assert_equal "$(sed 1d <<<"$output" | jq -r .error_codes[0])" 700027
}

@test "expired, replayed, misaddressed and malformed assertions are refused" {
	run with_assertion "$(assertion app "$CERT_APP" "$TOKEN_URL" --exp-offset -10)"
	assert_line --index 0 400
	assert_equal "$(sed 1d <<<"$output" | jq -r .error_codes[0])" 700024
	a=$(assertion)
	run with_assertion "$a"
	assert_line --index 0 200
	run with_assertion "$a"
	assert_equal "$(sed 1d <<<"$output" | jq -r .error_codes[0])" 50013
	run with_assertion "$(assertion app "$CERT_APP" "https://login.example/x/oauth2/v2.0/token")"
	assert_equal "$(sed 1d <<<"$output" | jq -r .error_codes[0])" 50012
	run with_assertion "not.a-jwt"
	assert_equal "$(sed 1d <<<"$output" | jq -r .error_codes[0])" 50027
}

@test "device code: pending until the user signs in, then a delegated token and a refresh token" {
	dc=$(curl -sS --cacert "$MBX_CACERT" "$GRAPHD_URL/$TENANT/oauth2/v2.0/devicecode" \
		-d client_id=$GEN_CLIENT_ID --data-urlencode scope="User.Read offline_access")
	code=$(jq -r .device_code <<<"$dc")
	user=$(jq -r .user_code <<<"$dc")
	assert_regex "$(jq -r .message <<<"$dc")" "enter the code $user"
	run post_token grant_type=urn:ietf:params:oauth:grant-type:device_code client_id=$GEN_CLIENT_ID device_code=$code
	assert_equal "$(sed 1d <<<"$output" | jq -r .error)" authorization_pending
	admin POST /devicecode/approve -d "{\"user_code\":\"$user\",\"upn\":\"alice@contoso.com\"}" >/dev/null
	sleep 1.1
	run post_token grant_type=urn:ietf:params:oauth:grant-type:device_code client_id=$GEN_CLIENT_ID device_code=$code
	assert_line --index 0 200
	rt=$(sed 1d <<<"$output" | jq -r .refresh_token)
	run post_token grant_type=refresh_token client_id=$GEN_CLIENT_ID refresh_token="$rt"
	assert_line --index 0 200
	# a delegated token reaches only the user's own mailbox
	tok=$(sed 1d <<<"$output" | jq -r .access_token)
	TOKEN=$tok run graph GET users/alice@contoso.com/settings/exchange
	assert_equal "$(tail -n 1 <<<"$output")" 200
}

@test "a token without the endpoint's permission gets 403 ErrorAccessDenied" {
	mbx=$(mailbox_id alice@contoso.com)
	TOKEN=$(token $READER r) run graph GET "admin/exchange/mailboxes/$mbx/folders"
	assert_equal "$(tail -n 1 <<<"$output")" 403
	assert_equal "$(sed '$d' <<<"$output" | jq -r .error.code)" ErrorAccessDenied
	TOKEN=$(token) run graph GET "admin/exchange/mailboxes/$mbx/folders"
	assert_equal "$(tail -n 1 <<<"$output")" 200
	TOKEN=$(token) run graph GET "admin/exchange/mailboxes/$mbx/folders/inbox/items"
	assert_equal "$(tail -n 1 <<<"$output")" 403
}
