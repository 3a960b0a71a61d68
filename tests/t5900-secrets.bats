#!/usr/bin/env bats
# Secrets (reliability and security): every program, with -v and -vv, under each credential
# source (client secret, certificate, certificate with an encrypted key, MBX_ACCESS_TOKEN),
# never shows the client secret, the key's passphrase, an access token or an import URL's
# authtoken: not on stdout, stderr, in the --stats file, the journal, nor in the cache
# directory beside the token cache (0600). Key and cache files others can read are refused;
# TLS is verified unless --insecure, which warns every run; plain http:// only to loopback.

load helpers

SECRET=t5900-client-secret-Zq7xWv3nB
CERT_APP=22222222-0000-0000-0000-000000005900
CERT_PASS=t5900-key-passphrase-Kp3vR8m
ROLES='["User.Read.All","MailboxFolder.Read.All","MailboxFolder.ReadWrite.All","MailboxItem.Read.All","MailboxItem.ReadWrite.All","MailboxItem.Export.All","MailboxItem.ImportExport.All"]'

setup_file() {
	local d=$BATS_FILE_TMPDIR
	make_client_cert "$d" app
	# the same key, encrypted with a passphrase, and the certificate
	openssl pkey -in "$d/app.key" -aes256 -passout "pass:$CERT_PASS" -out "$d/app-enc.key"
	cat "$d/app-enc.key" "$d/app.crt" >"$d/app-enc.pem"
	chmod 600 "$d/app-enc.key" "$d/app-enc.pem"
	{
		echo '{"type":"tenant","id":"5900aaaa-0b6a-4f3e-8d51-1a2b3c4d5e6f","domain":"contoso.com"}'
		echo "{\"type\":\"app\",\"clientId\":\"$GEN_CLIENT_ID\",\"secret\":\"$SECRET\",\"roles\":$ROLES}"
		echo "{\"type\":\"app\",\"clientId\":\"$CERT_APP\",\"certificateFile\":\"$d/app.crt\",\"roles\":$ROLES}"
	} >"$d/seed"
	graphd_start --seed "$d/seed" --generate users=2,folders=3,items=6,size=2k,seed=59
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
	export NITEMS=$(admin GET "/mailboxes/$MBX1" | jq '.items | length')
	# An import URL of the same app, as createImportSession gives it to mbx-import: its
	# authtoken is a JWT like the access tokens, so the JWT scan below covers both.
	TOKEN=$(token "$GEN_CLIENT_ID" "$SECRET") graph POST \
		"admin/exchange/mailboxes/$MBX2/createImportSession" -H 'Content-Type: application/json' \
		-d '{}' >"$d/session"
	export IMPORT_AUTHTOKEN=$(head -n 1 "$d/session" | jq -r .importUrl | sed -n 's/.*[?&]authtoken=\([^&]*\).*/\1/p')
}

teardown_file() {
	graphd_stop
}

teardown() {
	if [ -n "${PLAIN_PID:-}" ]; then
		kill "$PLAIN_PID" 2>/dev/null || true
		wait "$PLAIN_PID" 2>/dev/null || true
	fi
}

setup() {
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache
	export AZURE_CLIENT_SECRET=$SECRET
	P=https://127.0.0.1:$GRAPHD_PORT
	MBX1E=$(jq -rn --arg s "$MBX1" '$s | @uri')
	MBX2E=$(jq -rn --arg s "$MBX2" '$s | @uri')
}

# Credentials: secret | cert | cert-encrypted | token
use_creds() {
	case $1 in
	secret) ;;
	cert|cert-encrypted)
		unset AZURE_CLIENT_SECRET
		export AZURE_CLIENT_ID=$CERT_APP
		export AZURE_CLIENT_CERTIFICATE_PATH=$BATS_FILE_TMPDIR/app.pem
		if [ "$1" = cert-encrypted ]; then
			export AZURE_CLIENT_CERTIFICATE_PATH=$BATS_FILE_TMPDIR/app-enc.pem
			export AZURE_CLIENT_CERTIFICATE_PASSWORD=$CERT_PASS
		fi ;;
	token)
		# everything else is set too: the ready token wins, and nothing else may show
		export AZURE_CLIENT_CERTIFICATE_PASSWORD=$CERT_PASS
		export MBX_ACCESS_TOKEN=$(token "$GEN_CLIENT_ID" "$SECRET") ;;
	esac
}

# step NAME STDIN CMD...: run CMD; stdout and stderr kept as $OUT/NAME.out and .err for the
# scan; $status and $stderr set as bats' run sets them (stdout may be binary frames).
step() {
	local name=$1 in=$2
	shift 2
	status=0
	"$@" <"$in" >"$OUT/$name.out" 2>"$OUT/$name.err" || status=$?
	stderr=$(cat "$OUT/$name.err")
}

# has_line NAME LINE: stderr of step NAME holds exactly this line.
has_line() {
	grep -qxF -e "$2" "$OUT/$1.err" || { echo "no line '$2' in $1.err:" >&2; cat "$OUT/$1.err" >&2; return 1; }
}

# only_prog NAME PROG VERBOSITY: every stderr line is PROG's; header lines only with -vv.
only_prog() {
	run grep -cv "^$2: " "$OUT/$1.err"
	assert_output 0
	if [ "$3" = -vv ]; then
		grep -q "^$2: < HTTP/[0-9.]* 2" "$OUT/$1.err"
	else
		run grep -c "^$2: < HTTP/" "$OUT/$1.err"
		assert_output 0
	fi
}

# every_program VERBOSITY TAG: each program once against the emulator, its output in $OUT.
every_program() {
	local v=$1 tag=$2
	OUT=$BATS_TEST_TMPDIR/out$v
	mkdir -p "$OUT"

	step ls-M /dev/null mbx-ls "$v" --stats "$OUT/ls-M.stats" -M user1@contoso.com
	assert_equal "$status" 0
	assert_equal "$(jq -r '"\(.type) \(.user) \(.kind) \(.id)"' "$OUT/ls-M.out")" \
		"mailbox user1@contoso.com primary $MBX1"
	has_line ls-M "mbx-ls: > GET $P/beta/users/user1%40contoso.com/settings/exchange"
	only_prog ls-M mbx-ls "$v"

	step folders /dev/null mbx-folders "$v" --stats "$OUT/folders.stats" user1@contoso.com
	assert_equal "$status" 0
	assert_equal "$(jq -r .type "$OUT/folders.out" | sort -u)" folder
	assert_equal "$(wc -l <"$OUT/folders.out")" \
		"$(admin GET "/mailboxes/$MBX1" | jq '[.folders[] | select(.hidden | not)] | length')"
	has_line folders "mbx-folders: > GET $P/beta/admin/exchange/mailboxes/$MBX1E/folders?\$top=250"
	only_prog folders mbx-folders "$v"

	step ls "$OUT/folders.out" mbx-ls "$v" --stats "$OUT/ls.stats"
	assert_equal "$status" 0
	assert_equal "$(grep -c '^{"type":"item"' "$OUT/ls.out")" "$NITEMS"
	grep -qF "mbx-ls: > GET $P/beta/admin/exchange/mailboxes/$MBX1E/folders/" "$OUT/ls.err"
	only_prog ls mbx-ls "$v"

	step export "$OUT/ls.out" mbx-export "$v" --stats "$OUT/export.stats"
	assert_equal "$status" 0
	has_line export "mbx-export: > POST $P/beta/admin/exchange/mailboxes/$MBX1E/exportItems"
	assert_equal "$(tail -n 1 "$OUT/export.err")" "mbx-export: $NITEMS items exported, 0 failed"
	only_prog export mbx-export "$v"

	step frames "$OUT/export.out" mbx-frames "$v" --verify
	assert_equal "$status" 0
	assert_equal "$(cat "$OUT/frames.out")" ""
	assert_regex "$stderr" "^mbx-frames: [0-9]+ frames: $NITEMS items ok, 0 bad, 0 error frames$"

	step import "$OUT/export.out" mbx-import "$v" --stats "$OUT/import.stats" \
		--journal "$OUT/import.journal" --under "/S-$tag" user2@contoso.com
	assert_equal "$status" 0
	assert_equal "$(jq -r '"\(.type) \(.status)"' "$OUT/import.out" | sort | uniq -c | awk '{print $1, $2, $3}')" \
		"$NITEMS imported created"
	has_line import "mbx-import: > POST $P/beta/admin/exchange/mailboxes/$MBX2E/createImportSession"
	has_line import "mbx-import: import session for '$MBX2' opened (renewal 1)"
	# the upload is logged by its path alone: no query, no authtoken
	has_line import "mbx-import: > POST $P/api/gbeta/Mailboxes('$MBX2')/importItem"
	assert_equal "$(tail -n 1 "$OUT/import.err")" "mbx-import: $NITEMS imported (0 updates), 0 skipped, 0 failed"
	assert_equal "$(wc -l <"$OUT/import.journal")" "$((2 * NITEMS + 1))"   # intent and done
	only_prog import mbx-import "$v"

	# mbx-rm: the copies just imported, by their item records
	mbx-folders user2@contoso.com "/S-$tag" | mbx-ls | grep '^{"type":"item"' >"$OUT/rm.in"
	step rm "$OUT/rm.in" mbx-rm "$v" --stats "$OUT/rm.stats"
	assert_equal "$status" 0
	assert_equal "$(jq -r '"\(.type) \(.removed) \(.mailbox)"' "$OUT/rm.out" | sort | uniq -c | awk '{print $1, $2, $3, $4}')" \
		"$NITEMS item true $MBX2"
	grep -qF "mbx-rm: > DELETE $P/beta/admin/exchange/mailboxes/$MBX2E/folders/" "$OUT/rm.err"
	assert_equal "$(tail -n 1 "$OUT/rm.err")" "mbx-rm: $NITEMS deleted, 0 failed"
	only_prog rm mbx-rm "$v"

	step mkfolder /dev/null mbx-mkfolder "$v" --stats "$OUT/mkfolder.stats" user2@contoso.com "/K-$tag/a"
	assert_equal "$status" 0
	assert_equal "$(jq -r '"\(.path) \(.created)"' "$OUT/mkfolder.out")" "/K-$tag/a true"
	grep -qF "mbx-mkfolder: > POST $P/beta/admin/exchange/mailboxes/$MBX2E/folders/" "$OUT/mkfolder.err"
	only_prog mkfolder mbx-mkfolder "$v"

	step mvfolder /dev/null mbx-mvfolder "$v" --stats "$OUT/mvfolder.stats" user2@contoso.com "/K-$tag/a" b
	assert_equal "$status" 0
	assert_equal "$(jq -r '"\(.path) \(.oldPath)"' "$OUT/mvfolder.out")" "/K-$tag/b /K-$tag/a"
	grep -qF "mbx-mvfolder: > PATCH $P/beta/admin/exchange/mailboxes/$MBX2E/folders/" "$OUT/mvfolder.err"
	only_prog mvfolder mbx-mvfolder "$v"

	step rmfolder /dev/null mbx-rmfolder "$v" --stats "$OUT/rmfolder.stats" user2@contoso.com "/K-$tag"
	assert_equal "$status" 0
	assert_equal "$(jq -r '"\(.path) \(.removed)"' "$OUT/rmfolder.out")" "/K-$tag true"
	grep -qF "mbx-rmfolder: > DELETE $P/beta/admin/exchange/mailboxes/$MBX2E/folders/" "$OUT/rmfolder.err"
	only_prog rmfolder mbx-rmfolder "$v"

	# the stats records (mbx-export's and mbx-import's at least) are scanned below too
	[ -s "$OUT/export.stats" ] && [ -s "$OUT/import.stats" ]
	for f in "$OUT"/*.stats; do
		assert_equal "$(jq -r .type "$f")" stats
	done
}

# The strings that must not appear: the secret, the passphrase, each access token used and
# the parts of each (a token cut at a '.' is still a token), the import authtoken.
secrets_of() {
	local t
	printf '%s\n' "$SECRET" "$CERT_PASS" "$IMPORT_AUTHTOKEN"
	for t in "$@" "$IMPORT_AUTHTOKEN"; do
		printf '%s\n' "$t"
		tr . '\n' <<<"$t" | sed -n '2,$p'
	done
}

# no_secrets LIST FILE...: no string of LIST (one a line) in any FILE, and nothing shaped
# like a JWT, an authtoken, a client assertion or a form secret either.
no_secrets() {
	local list=$1 f
	shift
	[ "$#" -gt 0 ]
	for f in "$@"; do
		if grep -aqF -f "$list" "$f"; then
			echo "a secret is in $f (line $(grep -anF -f "$list" "$f" | cut -d: -f1 | head -n 1))" >&2
			return 1
		fi
		if grep -aqE 'eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|Bearer [^[]' "$f" ||
		   grep -aqiE 'authtoken|client_assertion=|client_secret=' "$f"; then
			echo "a token-shaped string is in $f" >&2
			return 1
		fi
	done
}

# check_run MODE: every program with -v then -vv (each with a cold cache, so each fetches a
# token), then the scan of every output, stats file, journal and cache file.
check_run() {
	local mode=$1 v toks=() cache src
	use_creds "$mode"
	for v in -v -vv; do
		rm -rf "$XDG_CACHE_HOME"
		every_program "$v" "$mode$v"
		if [ "$mode" = token ]; then
			# the ready token is used as it is: no cache, no token request
			[ ! -e "$XDG_CACHE_HOME/mbx" ]
			run grep -c 'oauth2/v2.0/token' "$OUT"/*.err
			refute_output --regexp ':[1-9]'
			toks+=("$MBX_ACCESS_TOKEN")
		else
			if [ "$mode" = secret ]; then src="client secret"; else src=certificate; fi
			has_line ls-M "mbx-ls: getting a token ($src)"
			has_line ls-M "mbx-ls: > POST $P/contoso.com/oauth2/v2.0/token"
			cache=$(ls "$XDG_CACHE_HOME"/mbx/token-*.json)
			assert_equal "$(stat -c %a "$cache")" 600
			assert_equal "$(stat -c %a "$XDG_CACHE_HOME/mbx")" 700
			# beside the cache only its lock file, empty and private
			assert_equal "$(ls -A "$XDG_CACHE_HOME/mbx" | tr '\n' ' ')" \
				"${cache##*/} ${cache##*/}.lock "
			assert_equal "$(stat -c '%a %s' "$cache.lock")" "600 0"
			toks+=("$(jq -r .access_token "$cache")")
			no_secrets <(printf '%s\n' "$SECRET" "$CERT_PASS" "$IMPORT_AUTHTOKEN") "$cache.lock"
		fi
	done
	secrets_of "${toks[@]}" >"$BATS_TEST_TMPDIR/secrets"
	assert_equal "$(grep -c . "$BATS_TEST_TMPDIR/secrets")" "$(grep -c '' "$BATS_TEST_TMPDIR/secrets")"
	no_secrets "$BATS_TEST_TMPDIR/secrets" "$BATS_TEST_TMPDIR"/out-v/* "$BATS_TEST_TMPDIR"/out-vv/*
}

@test "the import authtoken and the access tokens are JWTs: the scan below would see them" {
	[[ "$IMPORT_AUTHTOKEN" =~ ^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+$ ]]
	[[ "$(token "$GEN_CLIENT_ID" "$SECRET")" =~ ^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+$ ]]
	run --separate-stderr head -n 1 "$BATS_FILE_TMPDIR/session"
	assert_success
	assert_regex "$output" "\"importUrl\":\"$P/api/gbeta/Mailboxes\('$MBX2'\)/importItem\?authtoken=eyJ"
	assert_equal "$stderr" ""
}

@test "client secret: no program shows a secret or a token with -v or -vv" {
	check_run secret
}

@test "certificate: no program shows a secret or a token with -v or -vv" {
	check_run cert
}

@test "certificate with an encrypted key: the passphrase is never shown either" {
	check_run cert-encrypted
}

@test "MBX_ACCESS_TOKEN: no program shows the token with -v or -vv" {
	check_run token
}

@test "import faults with -vv (retry, a refused session, a lost upload, a 400): no authtoken shown" {
	OUT=$BATS_TEST_TMPDIR/out-vv
	mkdir -p "$OUT"
	mbx-folders user1@contoso.com | mbx-ls | mbx-export >"$BATS_TEST_TMPDIR/frames"
	admin POST /faults --data-binary $'match=importItem,status=500,count=1\nmatch=importItem,status=401,skip=1,count=1\nmatch=importItem,body=truncated,skip=2,count=1\nmatch=importItem,status=400,skip=3,count=1' >/dev/null
	step import "$BATS_TEST_TMPDIR/frames" mbx-import -vv --jobs 1 --stats "$OUT/import.stats" \
		--journal "$OUT/import.journal" --under /Faults user2@contoso.com
	admin DELETE /faults >/dev/null
	# the lost upload is a service failure (4); the 400 an error record
	assert_equal "$status" 4
	assert_equal "$(jq -r .type "$OUT/import.out" | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')" \
		"2 error $((NITEMS - 2)) imported "
	has_line import "mbx-import: import session for '$MBX2' opened (renewal 2)"
	grep -qF "': cannot connect to '$P/api/gbeta/Mailboxes('$MBX2')/importItem': " "$OUT/import.err"
	grep -qF " (the request may have been carried out)" "$OUT/import.err"
	grep -qE ": 400 Bad Request: generalException: Injected fault$" "$OUT/import.err"
	assert_equal "$(tail -n 1 "$OUT/import.err")" "mbx-import: $((NITEMS - 2)) imported (0 updates), 0 skipped, 2 failed"
	only_prog import mbx-import -vv
	secrets_of "$(jq -r .access_token "$XDG_CACHE_HOME"/mbx/token-*.json)" >"$BATS_TEST_TMPDIR/secrets"
	no_secrets "$BATS_TEST_TMPDIR/secrets" "$OUT"/*
}

# ------------------------------------------------------------------ private files

# The programs that get a token, each with arguments that need one.
NET_PROGS=(
	"mbx-ls -M user1@contoso.com"
	"mbx-folders user1@contoso.com"
	"mbx-ls user1@contoso.com /Inbox"
	"mbx-import user2@contoso.com"
	"mbx-mkfolder user2@contoso.com /Nope"
	"mbx-mvfolder user2@contoso.com /Nope Nope2"
	"mbx-rmfolder user2@contoso.com /Nope"
	"mbx-rm user2@contoso.com /Inbox AAMkAGhvc3Q="
)

token_requests() {
	grep -c '"path":"/[^"]*/oauth2/v2.0/token"' "$GRAPHD_DIR/graphd.log" || true
}

@test "a certificate file group or others can read is refused by every program, cache or not" {
	use_creds cert
	mbx-ls -M user1@contoso.com >/dev/null      # a cached token for this app
	for mode in 640 604 660; do
		cp "$BATS_FILE_TMPDIR/app.pem" "$BATS_TEST_TMPDIR/open.pem"
		chmod "$mode" "$BATS_TEST_TMPDIR/open.pem"
		for cache in warm cold; do
			if [ "$cache" = cold ]; then rm -rf "$XDG_CACHE_HOME"; fi
			before=$(token_requests)
			for cmd in "${NET_PROGS[@]}" "mbx-export --mailbox $MBX1 AAMkAGhvc3Q="; do
				AZURE_CLIENT_CERTIFICATE_PATH=$BATS_TEST_TMPDIR/open.pem \
					run --separate-stderr $cmd </dev/null
				assert_equal "$status" 3
				assert_equal "$output" ""
				assert_equal "$stderr" "${cmd%% *}: refusing certificate '$BATS_TEST_TMPDIR/open.pem': mode $mode lets others read the key (chmod 600)"
			done
			assert_equal "$(token_requests)" "$before"
		done
	done
	# and at 0600 the same file is used
	chmod 600 "$BATS_TEST_TMPDIR/open.pem"
	AZURE_CLIENT_CERTIFICATE_PATH=$BATS_TEST_TMPDIR/open.pem run --separate-stderr mbx-ls -M user1@contoso.com
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .id <<<"$output")" "$MBX1"
}

@test "an encrypted key: without the passphrase, or with a wrong one, exit 3 and a clear line" {
	use_creds cert-encrypted
	unset AZURE_CLIENT_CERTIFICATE_PASSWORD
	run --separate-stderr mbx-ls -M user1@contoso.com </dev/null
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-ls: cannot find mailboxes of 'user1@contoso.com': certificate '$BATS_FILE_TMPDIR/app-enc.pem' must hold a PEM private key and certificate (set AZURE_CLIENT_CERTIFICATE_PASSWORD if encrypted)"
	AZURE_CLIENT_CERTIFICATE_PASSWORD=not-the-passphrase run --separate-stderr mbx-ls -v -M user1@contoso.com </dev/null
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_equal "$(tail -n 1 <<<"$stderr")" "mbx-ls: cannot find mailboxes of 'user1@contoso.com': certificate '$BATS_FILE_TMPDIR/app-enc.pem' must hold a PEM private key and certificate"
	refute_regex "$stderr" "not-the-passphrase"
	run grep -c . <<<"$stderr"
	assert_output 2          # "getting a token (certificate)" and the failure
}

@test "a token cache group or others can read is refused by every program" {
	mbx-ls -M user1@contoso.com >/dev/null
	cache=$(ls "$XDG_CACHE_HOME"/mbx/token-*.json)
	for mode in 640 604 644; do
		chmod "$mode" "$cache"
		before=$(token_requests)
		for cmd in "${NET_PROGS[@]}"; do
			case $cmd in
			"mbx-ls -M "*) what="cannot find mailboxes of 'user1@contoso.com'" ;;
			*user1*) what="cannot find mailbox of 'user1@contoso.com'" ;;
			*) what="cannot find mailbox of 'user2@contoso.com'" ;;
			esac
			run --separate-stderr $cmd </dev/null
			assert_equal "$status" 3
			assert_equal "$output" ""
			assert_equal "$stderr" "${cmd%% *}: $what: refusing token cache '$cache': mode $mode, owner $(id -u) (must be 0600 and yours)"
		done
		# mbx-export stops at the first call that cannot have a token: one line, no records
		run --separate-stderr mbx-export --mailbox "$MBX1" AAMkAGhvc3Q= AAMkAGhvc3R= </dev/null
		assert_equal "$status" 3
		assert_equal "$stderr" "mbx-export: cannot export items of '$MBX1': refusing token cache '$cache': mode $mode, owner $(id -u) (must be 0600 and yours)"
		assert_equal "$output" ""
		assert_equal "$(token_requests)" "$before"
		# the refused file is left as it was
		assert_equal "$(stat -c %a "$cache")" "$mode"
	done
}

# ------------------------------------------------------------------ TLS

@test "without --insecure and without MBX_CACERT the emulator's certificate is refused: exit 4, not retried" {
	tok=$(token "$GEN_CLIENT_ID" "$SECRET")
	unset MBX_CACERT
	before=$(wc -l <"$GRAPHD_DIR/graphd.log")
	# at the token endpoint (the secret is not sent: the handshake fails first)
	run --separate-stderr mbx-ls -v -M user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_equal "$(grep -c ': > ' <<<"$stderr")" 1
	refute_regex "$stderr" "retrying"
	assert_regex "$(tail -n 1 <<<"$stderr")" "^mbx-ls: cannot find mailboxes of 'user1@contoso.com': cannot get a token for client '$GEN_CLIENT_ID': cannot connect to 'https://127\.0\.0\.1:$GRAPHD_PORT/contoso\.com/oauth2/v2\.0/token': SSL certificate problem: [a-z ]+$"
	# at Graph, with a ready token
	MBX_ACCESS_TOKEN=$tok run --separate-stderr mbx-ls -M user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_regex "$stderr" "^mbx-ls: cannot find mailboxes of 'user1@contoso.com': cannot connect to 'https://127\.0\.0\.1:$GRAPHD_PORT/beta/users/user1%40contoso\.com/settings/exchange': SSL certificate problem: [a-z ]+$"
	# another CA than the server's is refused the same way
	make_ca "$BATS_TEST_TMPDIR/otherca"
	run --separate-stderr mbx-folders --cacert "$BATS_TEST_TMPDIR/otherca/ca.pem" user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_regex "$stderr" "^mbx-folders: cannot find mailbox of 'user1@contoso.com': cannot get a token for client '$GEN_CLIENT_ID': cannot connect to '[^']*': SSL certificate problem: [a-z ]+$"
	# nothing reached the emulator's handlers
	assert_equal "$(wc -l <"$GRAPHD_DIR/graphd.log")" "$before"
}

@test "--insecure warns on every run, once per process however many requests it makes, even with -q" {
	unset MBX_CACERT
	for i in 1 2; do
		run --separate-stderr mbx-ls --insecure -M user1@contoso.com
		assert_success
		assert_equal "$(jq -r .id <<<"$output")" "$MBX1"
		assert_equal "$stderr" "mbx-ls: warning: --insecure: the service's TLS certificate is not verified"
	done
	run --separate-stderr mbx-folders --insecure user1@contoso.com
	assert_success
	assert_equal "$(jq -r .type <<<"$output" | sort -u)" folder
	assert_equal "$stderr" "mbx-folders: warning: --insecure: the service's TLS certificate is not verified"
	# -q silences warnings, not this one
	run --separate-stderr mbx-ls -q --insecure -M user1@contoso.com
	assert_success
	assert_equal "$(jq -r .id <<<"$output")" "$MBX1"
	assert_equal "$stderr" "mbx-ls: warning: --insecure: the service's TLS certificate is not verified"
}

# ------------------------------------------------------------------ plain http

@test "plain http:// to another machine is refused before anything is sent, token or secret" {
	before=$(wc -l <"$GRAPHD_DIR/graphd.log")
	MBX_GRAPH_URL=http://example.com/beta run --separate-stderr mbx-ls -M user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-ls: cannot find mailboxes of 'user1@contoso.com': refusing 'http://example.com/beta/users/user1%40contoso.com/settings/exchange': only https://, or http:// to this machine"
	# the identity platform too: the secret does not travel in clear
	AZURE_AUTHORITY_HOST=http://login.example.com run --separate-stderr mbx-folders user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-folders: cannot find mailbox of 'user1@contoso.com': cannot get a token for client '$GEN_CLIENT_ID': refusing 'http://login.example.com/contoso.com/oauth2/v2.0/token': only https://, or http:// to this machine"
	# hosts that only look like this machine
	for u in http://127.0.0.1@example.com/beta http://127.0.0.1:80@example.com/beta \
		 http://127.0.0.1.example.com/beta "http://[::1]@example.com/beta" \
		 http://localhost.example.com/beta; do
		MBX_GRAPH_URL=$u MBX_ACCESS_TOKEN=t5900-not-a-token run --separate-stderr mbx-ls -M user1@contoso.com
		assert_equal "$status" 4
		assert_equal "$output" ""
		assert_equal "$stderr" "mbx-ls: cannot find mailboxes of 'user1@contoso.com': refusing '$u/users/user1%40contoso.com/settings/exchange': only https://, or http:// to this machine"
	done
	assert_equal "$(wc -l <"$GRAPHD_DIR/graphd.log")" "$before"
}

@test "plain http:// to this machine (127.0.0.1, localhost) is accepted" {
	d=$BATS_TEST_TMPDIR/plain
	mkdir -p "$d"
	mbx-graphd --listen 127.0.0.1:0 --port-file "$d/port" --seed "$BATS_FILE_TMPDIR/seed" \
		--generate users=1,folders=1,items=1,seed=59 >"$d/out" 2>"$d/err" 3>&- &
	PLAIN_PID=$!
	for i in $(seq 1 100); do [ -s "$d/port" ] && break; sleep 0.05; done
	[ -s "$d/port" ]
	port=$(cat "$d/port")
	for host in 127.0.0.1 localhost; do
		rm -rf "$XDG_CACHE_HOME"
		MBX_GRAPH_URL=http://$host:$port/beta AZURE_AUTHORITY_HOST=http://$host:$port \
			run --separate-stderr mbx-ls -M user1@contoso.com
		assert_success
		assert_equal "$stderr" ""
		assert_equal "$(jq -r '"\(.type) \(.user) \(.kind)"' <<<"$output")" "mailbox user1@contoso.com primary"
	done
}
