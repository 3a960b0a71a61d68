#!/usr/bin/env bats
# mbx-ls -M --all: the mailboxes of every user of the tenant, from Graph "List users"
# (paged by @odata.nextLink) and the exchange settings of many users at once.

load helpers

NOREAD=33333333-4444-5555-6666-777777777777

setup_file() {
	# the generated app with what mbx-ls needs, and one that may not read the directory
	cat >"$BATS_FILE_TMPDIR/seed.ndjson" <<-EOF
	{"type":"app","clientId":"$GEN_CLIENT_ID","secret":"$GEN_CLIENT_SECRET","roles":["User.Read.All","MailboxFolder.Read.All"]}
	{"type":"app","clientId":"$NOREAD","secret":"noread-secret","roles":["MailboxFolder.Read.All","MailboxItem.Export.All"]}
	EOF
	graphd_start --seed "$BATS_FILE_TMPDIR/seed.ndjson" \
		--generate users=2500,folders=1,items=0,archive=1,nomailbox=1,seed=43
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
	: >"$GRAPHD_DIR/graphd.log"
}

@test "2,500 users in 3 pages of 999: every mailbox once, the user without one an error, exit 1" {
	run --separate-stderr mbx-ls -M --all --stats "$BATS_TEST_TMPDIR/stats.json"
	assert_failure 1
	assert_equal "$stderr" "mbx-ls: cannot find mailboxes of 'user2500@contoso.com': 404 Not Found: MailboxNotEnabledForRESTAPI: The user 'user2500@contoso.com' has no Exchange Online mailbox"
	# every mailbox the emulator holds, once (admin endpoint: an independent list)
	diff <(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "mailbox") | "\(.user) \(.kind) \(.id)"' | sort) \
		<(admin GET /mailboxes | jq -r '.value[] | select(.kind != "auxiliary") | "\(.user) \(.kind) \(.id)"' | sort)
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "mailbox") | .user' | sort -u | wc -l)" 2499
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -c 'select(.type == "error") | [.subject, .code]')" \
		'["user2500@contoso.com","MailboxNotFound"]'
	# paged: 3 calls to /users (999 a page), one settings call per user
	assert_equal "$(jq -r 'select(.path | endswith("/users")) | .method' "$GRAPHD_DIR/graphd.log" | wc -l)" 3
	assert_equal "$(jq -r 'select(.path | endswith("/settings/exchange")) | .path' "$GRAPHD_DIR/graphd.log" | sort -u | wc -l)" 2500
	assert_equal "$(jq -r '.errors' "$BATS_TEST_TMPDIR/stats.json")" 1
}

@test "the records equal those of mbx-ls -M with the same users listed by hand" {
	users=$(seq 1 2500 | sed 's/.*/user&@contoso.com/')
	run --separate-stderr mbx-ls -M --all
	assert_failure 1
	all=$output
	# shellcheck disable=SC2086
	run --separate-stderr mbx-ls -M $users
	assert_failure 1
	assert_equal "$stderr" "mbx-ls: cannot find mailboxes of 'user2500@contoso.com': 404 Not Found: MailboxNotEnabledForRESTAPI: The user 'user2500@contoso.com' has no Exchange Online mailbox"
	assert_equal "$all" "$output"
}

@test "--all with --archive lists what -M --archive lists" {
	run --separate-stderr mbx-ls --archive -M user7@contoso.com user8@contoso.com
	assert_success
	want=$output
	run --separate-stderr mbx-ls --archive -M --all
	assert_failure 1
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -e '"user":"user7@contoso.com"' -e '"user":"user8@contoso.com"')" "$want"
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.kind == "archive") | .user' | wc -l)" 2499
}

@test "the settings calls are many at once: the emulator's log shows them overlapping" {
	admin POST /faults --data-binary "match=/settings/exchange,latency=40,count=0" >/dev/null
	: >"$GRAPHD_DIR/graphd.log"
	run --separate-stderr mbx-ls -M --all
	assert_failure 1
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "mailbox") | .id' | sort -u | wc -l)" 4998
	# a call runs from t - ms to t: the most settings calls in flight at once (one at a
	# time would be 1, taking 2,500 x 40 ms)
	peak=$(jq -r 'select(.path | endswith("/settings/exchange")) | "\(.t - .ms / 1000) 1\n\(.t) -1"' \
		"$GRAPHD_DIR/graphd.log" | sort -k1,1n -k2,2n | awk '{ n += $2; if (n > m) m = n } END { print m + 0 }')
	[ "$peak" -ge 4 ] || fail "at most $peak settings calls in flight"
}

@test "without User.Read.All: one line naming the permission, exit 3, nothing on stdout" {
	AZURE_CLIENT_ID=$NOREAD AZURE_CLIENT_SECRET=noread-secret run --separate-stderr mbx-ls -M --all
	assert_failure 3
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-ls: cannot list the users of the tenant: 403 Forbidden: Authorization_RequestDenied: Insufficient privileges to complete the operation. (needs the application permission User.Read.All or Directory.Read.All)"
	assert_equal "$(jq -r 'select(.path | endswith("/settings/exchange")) | .path' "$GRAPHD_DIR/graphd.log" | wc -l)" 0
}

@test "--all needs -M and no user" {
	run --separate-stderr mbx-ls --all user1@contoso.com
	assert_failure 2
	assert_equal "$stderr" "mbx-ls: --all lists the mailboxes of every user: use it with -M and no user"
	run --separate-stderr mbx-ls -M --all user1@contoso.com
	assert_failure 2
	run --separate-stderr mbx-ls -M
	assert_failure 2
	assert_equal "$stderr" "mbx-ls: -M needs at least one user"
}
