#!/usr/bin/env bats
# Fail fast where waiting cannot help, never wait in silence, and no sign-in nobody can
# see (issue 11, mbx(7) RETRIES and AUTHENTICATION). Bounds are generous (timeout 30):
# without the fast path the default --retry-max-time keeps a run going for minutes.

load helpers

setup_file() {
	graphd_start --generate users=1,folders=2,items=2,seed=53
	# a loopback port nothing listens on: bound, then freed
	export DEAD_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
	LOG_FROM=$(($(wc -l <"$GRAPHD_DIR/graphd.log") + 1))
}

log_since() { tail -n +"$LOG_FROM" "$GRAPHD_DIR/graphd.log"; }

@test "a refused port at the start: exit 4 within seconds, the host and the reason" {
	MBX_GRAPH_URL=https://127.0.0.1:$DEAD_PORT/beta MBX_ACCESS_TOKEN=t \
		run --separate-stderr timeout 30 mbx-ls -M user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_regex "$stderr" "^mbx-ls: cannot find mailboxes of 'user1@contoso.com': cannot connect to 'https://127.0.0.1:$DEAD_PORT/beta/[^']*': .*(connect|refused)"
	assert_equal "$(wc -l <<<"$stderr")" 1
}

@test "a refused token endpoint (AZURE_AUTHORITY_HOST) at the start: exit 4 within seconds" {
	rm -rf "$XDG_CACHE_HOME/mbx"
	AZURE_AUTHORITY_HOST=https://127.0.0.1:$DEAD_PORT run --separate-stderr timeout 30 mbx-folders user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_regex "$stderr" "127\.0\.0\.1:$DEAD_PORT"
}

@test "a host name that does not resolve: exit 4, the host named" {
	MBX_GRAPH_URL=https://nonexistent.invalid/beta MBX_ACCESS_TOKEN=t \
		run --separate-stderr timeout 30 mbx-ls -M user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_regex "$stderr" "^mbx-ls: .*'https://nonexistent\.invalid/beta/[^']*': .*nonexistent\.invalid"
}

@test "a certificate from another CA: exit 4 at once, not retried" {
	make_ca "$BATS_TEST_TMPDIR/other"
	MBX_CACERT=$BATS_TEST_TMPDIR/other/ca.pem MBX_ACCESS_TOKEN=t \
		run --separate-stderr timeout 30 mbx-ls -M user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_regex "$stderr" "^mbx-ls: .*cannot connect to 'https://127\.0\.0\.1:$GRAPHD_PORT/beta/"
	refute_regex "$stderr" "gave up after"
}

# the suite's emulators serve ECDSA P-256 certificates (helpers.bash make_ca); one with
# an RSA-2048 certificate serves the programs as well
@test "the emulator over an RSA certificate and over the suite's ECDSA one: both verified and served" {
	key() { openssl s_client -connect "127.0.0.1:$1" -CAfile "$2" -verify_return_error </dev/null 2>/dev/null |
		openssl x509 -noout -text | grep -o 'Public Key Algorithm: [a-zA-Z-]*'; }
	assert_equal "$(key "$GRAPHD_PORT" "$MBX_CACERT")" "Public Key Algorithm: id-ecPublicKey"
	make_ca "$BATS_TEST_TMPDIR/rsa" rsa
	(
		GRAPHD_DIR=$BATS_TEST_TMPDIR/g GRAPHD_CA=$BATS_TEST_TMPDIR/rsa graphd_start --generate users=1,folders=2,items=2,seed=53
		k=$(key "$GRAPHD_PORT" "$MBX_CACERT" || true)
		run --separate-stderr mbx-folders user1@contoso.com
		graphd_stop
		assert_equal "$k" "Public Key Algorithm: rsaEncryption"
		assert_success
		assert_equal "$stderr" ""
		[ "${#lines[@]}" -gt 2 ]
	)
}

@test "malformed MBX_GRAPH_URL and AZURE_AUTHORITY_HOST: exit 2 naming the variable, no request" {
	rm -rf "$XDG_CACHE_HOME/mbx"
	for u in "127.0.0.1:$GRAPHD_PORT/beta" "https://127.0.0.1:/beta" "https://127.0.0.1:x/beta" \
		"$GRAPHD_URL" "$GRAPHD_URL/" "https:///beta"; do
		MBX_GRAPH_URL=$u run --separate-stderr mbx-ls -M user1@contoso.com
		assert_equal "$status" 2
		assert_equal "$output" ""
		assert_regex "$stderr" "^mbx-ls: bad MBX_GRAPH_URL '.*': (no https:// scheme|bad port|no host|no API version .*)$"
	done
	for u in "127.0.0.1:$GRAPHD_PORT" "https://127.0.0.1:/" "https://:$GRAPHD_PORT"; do
		AZURE_AUTHORITY_HOST=$u run --separate-stderr mbx-folders user1@contoso.com
		assert_equal "$status" 2
		assert_regex "$stderr" "^mbx-folders: bad AZURE_AUTHORITY_HOST '.*': "
	done
	assert_equal "$(log_since | wc -l)" 0
}

@test "once the service answered, a reset connection is retried as before" {
	# the settings call is answered first, then the folder list's connection is reset twice
	admin POST /faults --data-binary "match=/folders,body=reset,count=2" >/dev/null
	run --separate-stderr timeout 60 mbx-folders user1@contoso.com
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" "$(admin DELETE /faults >/dev/null; mbx-folders user1@contoso.com)"
	assert_equal "$(log_since | jq -r 'select(.fault) | .fault' | tr '\n' ' ')" "reset reset "
}

@test "a wait longer than 10 s is announced on one line, and not with -q" {
	admin POST /faults --data-binary "match=/settings/exchange,status=503,retry-after=11" >/dev/null
	run --separate-stderr timeout 60 mbx-ls -M user1@contoso.com
	assert_success
	assert_equal "$stderr" "mbx-ls: waiting 11 s before try 2: 503 Service Unavailable"
	assert_equal "$(jq -r .user <<<"$output" | sort -u)" user1@contoso.com
	admin POST /faults --data-binary "match=/settings/exchange,status=503,retry-after=11" >/dev/null
	run --separate-stderr timeout 60 mbx-ls -q -M user1@contoso.com
	assert_success
	assert_equal "$stderr" ""
}

@test "no secret, no certificate and no terminal: exit 3 at once, the variables named" {
	rm -rf "$XDG_CACHE_HOME/mbx"
	unset AZURE_CLIENT_SECRET
	run --separate-stderr timeout 30 mbx-ls -M user1@contoso.com </dev/null
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_regex "$stderr" "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, MBX_ACCESS_TOKEN or MBX_TOKEN_COMMAND, or MBX_AUTH=devicecode"
	assert_equal "$(wc -l <<<"$stderr")" 1
	refute_regex "$(log_since)" "devicecode"
}

@test "no secret on a terminal: the device code prompt appears" {
	rm -rf "$XDG_CACHE_HOME/mbx"
	unset AZURE_CLIENT_SECRET
	# script(1) gives the program a real terminal; nobody signs in, so it is stopped
	run timeout 5 script -qec "mbx-ls -M user1@contoso.com" /dev/null
	assert_regex "$output" "enter the code [A-Z0-9]+ "
	[ "$(log_since | grep -c '/devicecode')" -ge 1 ]
}
