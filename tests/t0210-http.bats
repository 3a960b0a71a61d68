#!/usr/bin/env bats
# lib/graph/http.c against injected faults: Retry-After honoured exactly, back-off, the retry
# budget, truncated and malformed bodies, the per-mailbox in-flight limit, plain http.

load helpers

setup_file() {
	graphd_start --generate users=1,folders=3,items=12,size=2k,seed=4
	export MBX1=$(mailbox_id user1@contoso.com)
	mbx-ls -M user1@contoso.com >/dev/null    # a cached token: the logs below are Graph only
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
	LOG_FROM=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
}

log_since() {
	tail -n +"$LOG_FROM" "$GRAPHD_DIR/graphd.log"
}

@test "a 429 with Retry-After: 1 is retried no sooner than 1 s later and succeeds" {
	admin POST /faults --data-binary "match=/settings/exchange,status=429,retry-after=1" >/dev/null
	run --separate-stderr mbx-ls -M user1@contoso.com
	assert_success
	assert_equal "$(jq -r .id <<<"$output")" "$MBX1"
	assert_equal "$stderr" ""
	run jq -r 'select(.path | test("settings")) | "\(.status) \(.t)"' < <(log_since)
	assert_equal "${#lines[@]}" 2
	assert_regex "${lines[0]}" '^429 '
	assert_regex "${lines[1]}" '^200 '
	gap=$(awk '{ t[NR] = $2 } END { printf "%.3f", t[2] - t[1] }' <<<"$output")
	awk -v g="$gap" 'BEGIN { exit !(g >= 1.0 && g < 3.0) }' || fail "retried after $gap s"
	assert_equal "$(log_since | jq -r 'select(.violation) | .path' | wc -l)" 0
}

@test "a 503 without Retry-After is retried with back-off and succeeds" {
	admin POST /faults --data-binary "match=/settings/exchange,status=503,count=2" >/dev/null
	run --separate-stderr mbx-ls -M user1@contoso.com
	assert_success
	assert_equal "$(log_since | jq -r 'select(.path | test("settings")) | .status' | tr '\n' ' ')" "503 503 200 "
}

@test "a service that stays unavailable: give up within --retry-max-time, exit 4" {
	admin POST /faults --data-binary "match=/settings/exchange,status=503,count=0" >/dev/null
	run --separate-stderr mbx-ls --retry-max-time 2 -M user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_regex "$stderr" "^mbx-ls: cannot find mailboxes of 'user1@contoso.com': gave up after [0-9]+ attempts: 503 Service Unavailable"
}

@test "a truncated body is retried; the listing is complete and has no duplicates" {
	admin POST /faults --data-binary "match=/items,body=truncated" >/dev/null
	run --separate-stderr mbx-ls user1@contoso.com /Inbox
	assert_success
	assert_equal "$stderr" ""
	n=$(admin GET "/mailboxes/$MBX1" | jq --arg f "$(mbx-folders user1@contoso.com inbox | head -n 1 | jq -r .id)" '[.items[] | select(.folderId == $f)] | length')
	assert_equal "${#lines[@]}" "$n"
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | sort | uniq -d)" ""
	assert_equal "$(log_since | jq -r 'select(.fault) | .fault')" truncated
}

@test "malformed JSON from the service: a clear error, no crash" {
	# the first folder request is the flat list (graph-api.md 3.2)
	admin POST /faults --data-binary "match=/folders,body=malformed" >/dev/null
	run --separate-stderr mbx-folders user1@contoso.com /Inbox
	assert_equal "$status" 4
	assert_regex "$stderr" "malformed JSON in response: .*"
	refute_regex "$stderr" "AddressSanitizer|runtime error"
}

@test "the engine keeps at most --jobs requests in flight per mailbox" {
	admin POST /faults --data-binary "match=/items,latency=300,count=0" >/dev/null
	url="$MBX_GRAPH_URL/admin/exchange/mailboxes/$MBX1/folders/inbox/items"
	run --separate-stderr mbx-testtool http GET "$url" --lane "$MBX1" --count 12
	assert_success
	assert_equal "$(grep -c '^status 200 attempts 1$' <<<"$stderr")" 12
	assert_equal "$(log_since | jq -r 'select(.status == 429)' | wc -l)" 0
}

@test "plain http:// is refused unless it goes to this machine" {
	MBX_GRAPH_URL=http://graph.example.com/beta MBX_ACCESS_TOKEN=t \
		run --separate-stderr mbx-ls -M user1@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_regex "$stderr" "refusing 'http://graph.example.com/beta/users/user1%40contoso.com/settings/exchange': only https://, or http:// to this machine"
}

@test "--insecure warns on every run" {
	run --separate-stderr mbx-ls --insecure -M user1@contoso.com
	assert_success
	assert_equal "$stderr" "mbx-ls: warning: --insecure: the service's TLS certificate is not verified"
}
