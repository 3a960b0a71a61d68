#!/usr/bin/env bats
# lib/graph/auth.c through mbx-ls -M: every token source, the shared cache, and failures that
# exit 3 with one line naming the cause and nothing on stdout.

load helpers

TENANT=7c2e9d41-0b6a-4f3e-8d51-1a2b3c4d5e6f
CERT_APP=22222222-0000-0000-0000-000000000002

setup_file() {
	d=$BATS_FILE_TMPDIR
	make_client_cert "$d" app
	make_client_cert "$d" other
	{
		echo "{\"type\":\"tenant\",\"id\":\"$TENANT\",\"domain\":\"contoso.com\"}"
		echo "{\"type\":\"app\",\"clientId\":\"$GEN_CLIENT_ID\",\"secret\":\"$GEN_CLIENT_SECRET\",\"roles\":[\"User.Read.All\"],\"publicClient\":true}"
		echo "{\"type\":\"app\",\"clientId\":\"$CERT_APP\",\"certificateFile\":\"$d/app.crt\",\"roles\":[\"User.Read.All\"]}"
		echo '{"type":"user","upn":"alice@contoso.com"}'
	} >"$d/seed"
	graphd_start --seed "$d/seed"
}

teardown_file() {
	graphd_stop
}

setup() {
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache
}

token_requests() {
	grep -c '"path":"/[^"]*/oauth2/v2.0/token"' "$GRAPHD_DIR/graphd.log" || true
}

@test "client secret: mailboxes listed; the token is cached 0600 and reused by the next run" {
	before=$(token_requests)
	run --separate-stderr mbx-ls -M alice@contoso.com
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .user <<<"$output")" alice@contoso.com
	cache=$(ls "$XDG_CACHE_HOME"/mbx/token-*.json)
	assert_equal "$(stat -c %a "$cache")" 600
	assert_equal "$(stat -c %a "$XDG_CACHE_HOME/mbx")" 700
	run --separate-stderr mbx-ls -M alice@contoso.com
	assert_success
	assert_equal "$(( $(token_requests) - before ))" 1
}

@test "five processes at once fetch one token between them" {
	before=$(token_requests)
	for i in 1 2 3 4 5; do mbx-ls -M alice@contoso.com >"$BATS_TEST_TMPDIR/o$i" & done
	wait
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/o* | wc -l)" 5
	assert_equal "$(( $(token_requests) - before ))" 1
}

@test "wrong secret: exit 3, one line naming the client and the cause, nothing on stdout" {
	AZURE_CLIENT_SECRET=not-the-secret run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-ls: cannot find mailboxes of 'alice@contoso.com': cannot get a token for client '$GEN_CLIENT_ID': invalid_client: AADSTS7000215: Invalid client secret provided"
	refute_regex "$stderr" not-the-secret
}

@test "certificate: PS256 by default, RS256 on request" {
	export AZURE_CLIENT_ID=$CERT_APP AZURE_CLIENT_CERTIFICATE_PATH=$BATS_FILE_TMPDIR/app.pem
	unset AZURE_CLIENT_SECRET
	run --separate-stderr mbx-ls -M alice@contoso.com
	assert_success
	assert_equal "$stderr" ""
	rm -rf "$XDG_CACHE_HOME"
	MBX_JWT_ALG=RS256 run --separate-stderr mbx-ls -M alice@contoso.com
	assert_success
	assert_equal "$(jq -r .kind <<<"$output")" primary
}

@test "a certificate the app did not register: exit 3, AADSTS700027" {
	export AZURE_CLIENT_ID=$CERT_APP AZURE_CLIENT_CERTIFICATE_PATH=$BATS_FILE_TMPDIR/other.pem
	unset AZURE_CLIENT_SECRET
	run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_regex "$stderr" "^mbx-ls: .*cannot get a token for client '$CERT_APP': invalid_client: AADSTS700027: "
	assert_equal "$(wc -l <<<"$stderr")" 1
}

@test "a certificate file others can read is refused before anything is sent" {
	cp "$BATS_FILE_TMPDIR/app.pem" "$BATS_TEST_TMPDIR/open.pem"
	chmod 640 "$BATS_TEST_TMPDIR/open.pem"
	export AZURE_CLIENT_ID=$CERT_APP AZURE_CLIENT_CERTIFICATE_PATH=$BATS_TEST_TMPDIR/open.pem
	unset AZURE_CLIENT_SECRET
	run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_regex "$stderr" "refusing certificate '$BATS_TEST_TMPDIR/open.pem': mode 640 lets others read the key"
}

@test "a token cache others can read is refused" {
	mbx-ls -M alice@contoso.com >/dev/null
	chmod 644 "$XDG_CACHE_HOME"/mbx/token-*.json
	run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_regex "$stderr" "refusing token cache '.*token-[0-9a-f]+\.json': mode 644"
}

@test "MBX_ACCESS_TOKEN is used as it is; a refused one is final" {
	unset AZURE_CLIENT_SECRET
	MBX_ACCESS_TOKEN=$(token "$GEN_CLIENT_ID" "$GEN_CLIENT_SECRET") run --separate-stderr mbx-ls -M alice@contoso.com
	assert_success
	MBX_ACCESS_TOKEN=garbage run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_regex "$stderr" "the service refused MBX_ACCESS_TOKEN"
}

@test "an expired or malformed access token: exit 3 with the service's reason" {
	unset AZURE_CLIENT_SECRET
	admin POST /token-lifetime -d '{"seconds":1}' >/dev/null
	old=$(token "$GEN_CLIENT_ID" "$GEN_CLIENT_SECRET")
	admin POST /token-lifetime -d '{"seconds":3599}' >/dev/null
	sleep 1.2
	MBX_ACCESS_TOKEN=$old run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_regex "$stderr" "the service refused MBX_ACCESS_TOKEN: InvalidAuthenticationToken: Lifetime validation failed, the token is expired$"
	MBX_ACCESS_TOKEN=eyJhbGciOiJIUzI1NiJ9.e30 run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 3
	assert_regex "$stderr" "InvalidAuthenticationToken: IDX14100: JWT is not well formed$"
}

@test "MBX_TOKEN_COMMAND prints the token; a failing command is an auth error" {
	tok=$(token "$GEN_CLIENT_ID" "$GEN_CLIENT_SECRET")
	MBX_TOKEN_COMMAND="echo $tok" run --separate-stderr mbx-ls -M alice@contoso.com
	assert_success
	assert_equal "$stderr" ""
	MBX_TOKEN_COMMAND="exit 7" run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_regex "$stderr" "MBX_TOKEN_COMMAND failed"
}

@test "device code: the instruction on stderr, then the run goes on once the user signs in" {
	unset AZURE_CLIENT_SECRET
	MBX_AUTH=devicecode mbx-ls -M alice@contoso.com >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	for i in $(seq 50); do grep -q 'enter the code' "$BATS_TEST_TMPDIR/err" && break; sleep 0.1; done
	code=$(sed -n 's/.*enter the code \([A-Z0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/err")
	[ -n "$code" ]
	admin POST /devicecode/approve -d "{\"user_code\":\"$code\",\"upn\":\"alice@contoso.com\"}" >/dev/null
	wait "$pid"
	assert_equal "$(jq -r .user "$BATS_TEST_TMPDIR/out")" alice@contoso.com
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/err")" 1
}

@test "a token that expired at the service is refreshed once and the run goes on" {
	mbx-ls -M alice@contoso.com >/dev/null
	admin POST /token-lifetime -d '{"seconds":1}' >/dev/null
	expired=$(token "$GEN_CLIENT_ID" "$GEN_CLIENT_SECRET")
	admin POST /token-lifetime -d '{"seconds":3599}' >/dev/null
	cache=$(ls "$XDG_CACHE_HOME"/mbx/token-*.json)
	jq -c --arg t "$expired" '.access_token = $t' "$cache" >"$cache.new" && mv "$cache.new" "$cache"
	chmod 600 "$cache"
	sleep 1.2
	before=$(wc -l <"$GRAPHD_DIR/graphd.log")
	run --separate-stderr mbx-ls -M alice@contoso.com
	assert_success
	assert_equal "$stderr" ""
	run jq -r .status < <(tail -n +"$((before + 1))" "$GRAPHD_DIR/graphd.log")
	assert_equal "$(tr '\n' ' ' <<<"$output")" "401 200 200 "
}

@test "-v logs the requests but never a secret or a token" {
	run --separate-stderr mbx-ls -v -M alice@contoso.com
	assert_success
	assert_regex "$stderr" "> POST https://127.0.0.1:$GRAPHD_PORT/contoso.com/oauth2/v2.0/token"
	assert_regex "$stderr" "> GET https://127.0.0.1:$GRAPHD_PORT/beta/users/alice%40contoso.com/settings/exchange"
	tok=$(jq -r .access_token "$XDG_CACHE_HOME"/mbx/token-*.json)
	refute_regex "$stderr" "$GEN_CLIENT_SECRET"
	[[ "$stderr" != *"$tok"* ]]
	MBX_VERBOSE= run --separate-stderr mbx-ls -vv -M alice@contoso.com
	[[ "$stderr" != *"$tok"* ]]
	refute_regex "$stderr" "$GEN_CLIENT_SECRET"
}
