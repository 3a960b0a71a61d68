#!/usr/bin/env bats
# The fault matrix: each fault of mbx-graphd(1) FAULTS alone, then all at once, against
# mbx-folders | mbx-ls | mbx-export | mbx-import from one mailbox into another. Every run
# must end with every item present once and byte-identical, no Retry-After violation,
# and exit status and stats that tell the truth.

load helpers

setup_file() {
	graphd_start --generate users=2,folders=4,items=40,size=3k,seed=91
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
	admin GET "/mailboxes/$MBX1" | jq -r '(.folders | map({key: .id, value: .path}) | from_entries) as $p
		| .items[] | "\($p[.folderId]) \(.sha256)"' | sort >"$BATS_FILE_TMPDIR/want"
	echo 0 >"$BATS_FILE_TMPDIR/injected"
}

teardown_file() {
	echo "# faults injected in all: $(cat "$BATS_FILE_TMPDIR/injected")" >&3
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
	admin POST /token-lifetime -d '{"seconds":3599}' >/dev/null
	admin POST /import-lifetime -d '{"seconds":3600}' >/dev/null
	FROM=$(( $(wc -l <"$GRAPHD_DIR/graphd.log") + 1 ))
}

log_since() { tail -n +"$FROM" "$GRAPHD_DIR/graphd.log"; }

# migrate PREFIX: the pipeline into user2 under PREFIX; checks everything the matrix
# promises and counts the faults the emulator injected.
migrate() {
	local p=$1 d=$BATS_TEST_TMPDIR
	run --separate-stderr bash -c "set -o pipefail; mbx-folders user1@contoso.com | mbx-ls |
		mbx-export --stats '$d/export.json' | mbx-import user2@contoso.com --under '$p' --stats '$d/import.json'"
	[ "$status" -eq 0 ] || printf '%s\n' "$stderr" | head -n 20 >&3   # what went wrong
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .type | sort -u)" imported
	assert_equal "${#lines[@]}" 40
	# every item once, byte for byte, under the prefix
	diff <(admin GET "/mailboxes/$MBX2" | jq -r --arg p "$p" '(.folders | map({key: .id, value: .path}) | from_entries) as $f
		| .items[] | select($f[.folderId] | startswith($p + "/")) | "\($f[.folderId] | ltrimstr($p)) \(.sha256)"' | sort) \
		"$BATS_FILE_TMPDIR/want"
	assert_equal "$(log_since | jq -s 'map(select(.violation)) | length')" 0
	assert_equal "$(jq -r '"\(.items) \(.ok) \(.failed)"' "$d/export.json")" "40 40 0"
	assert_equal "$(jq -r '"\(.items) \(.ok) \(.failed)"' "$d/import.json")" "40 40 0"
	# the stats count the throttling the emulator did to each program
	assert_equal "$(jq .throttled "$d/export.json")" \
		"$(log_since | jq -s 'map(select((.path | endswith("/exportItems")) and (.status == 429 or .status == 503))) | length')"
	assert_equal "$(jq .throttled "$d/import.json")" \
		"$(log_since | jq -s 'map(select((.path | endswith("/importItem")) and (.status == 429 or .status == 503))) | length')"
	n=$(log_since | jq -s 'map(select(.fault)) | length')
	echo $(( $(cat "$BATS_FILE_TMPDIR/injected") + n )) >"$BATS_FILE_TMPDIR/injected"
	echo "# $BATS_TEST_DESCRIPTION: $n faults injected" >&3
}

@test "latency and jitter" {
	admin POST /faults -d 'match=/beta/,latency=10,jitter=40,seed=1,count=0' >/dev/null
	migrate /L
	[ "$(log_since | jq -s 'map(select(.fault == "latency")) | length')" -gt 0 ]
}

@test "429 on a share of calls, Retry-After in seconds" {
	admin POST /faults --data-binary $'match=/exportItems,status=429,retry-after=1,rate=0.3,seed=2,count=0\nmatch=/importItem,status=429,retry-after=1,rate=0.2,seed=3,count=0\nmatch=/items,status=429,retry-after=0.5,rate=0.2,seed=4,count=0' >/dev/null
	migrate /T429
	[ $(( $(jq .throttled "$BATS_TEST_TMPDIR/export.json") + $(jq .throttled "$BATS_TEST_TMPDIR/import.json") )) -gt 0 ]
}

@test "503 with Retry-After as an HTTP-date" {
	admin POST /faults --data-binary $'match=/exportItems,status=503,retry-after=1,retry-after-date=1,rate=0.3,seed=5,count=0\nmatch=/importItem,status=503,retry-after=1,retry-after-date=1,rate=0.2,seed=6,count=0' >/dev/null
	migrate /T503
	log_since | jq -r 'select(.status == 503) | .path' | grep -q importItem
}

@test "a response cut in the middle with a good status (connection reset)" {
	admin POST /faults --data-binary $'match=/exportItems,body=truncated,rate=0.3,seed=7,count=0\nmatch=/items,method=GET,body=truncated,rate=0.2,seed=8,count=0\nmatch=/childFolders,method=GET,body=truncated,rate=0.2,seed=9,count=0' >/dev/null
	migrate /Cut
	[ "$(log_since | jq -s 'map(select(.fault == "truncated")) | length')" -gt 0 ]
}

@test "per-item export errors and entries silently missing" {
	admin POST /faults --data-binary $'match=/exportItems,itemerror=ErrorInternalServerTransientError,rate=0.4,seed=10,count=0\nmatch=/exportItems,omit=3,rate=0.4,seed=11,count=0' >/dev/null
	migrate /Items
}

@test "access tokens that expire during the run" {
	admin POST /token-lifetime -d '{"seconds":2}' >/dev/null
	rm -rf "$XDG_CACHE_HOME/mbx"
	admin POST /faults -d 'match=/beta/,latency=40,count=0' >/dev/null
	migrate /Tok
	# the programs renew their tokens before they expire: more than one each
	[ "$(log_since | jq -s 'map(select(.path | endswith("/oauth2/v2.0/token"))) | length')" -gt 4 ]
}

@test "import URLs that expire during the run" {
	admin POST /import-lifetime -d '{"seconds":1}' >/dev/null
	# 40 uploads, 4 at a time, 250 ms each: at least 2.5 s of uploads, so more than one
	# URL however the first falls in its second (with 60 ms the run could fit in one)
	admin POST /faults -d 'match=/importItem,latency=250,count=0' >/dev/null
	migrate /Url
	[ "$(jq .sessions "$BATS_TEST_TMPDIR/import.json")" -gt 1 ]
}

@test "a storm of 500s lasting seconds" {
	admin POST /faults -d 'match=/beta/,status=500,storm=2,count=0' >/dev/null
	migrate /Storm
	[ "$(log_since | jq -s 'map(select(.status == 500)) | length')" -gt 3 ]
}

@test "all of them at once" {
	admin POST /token-lifetime -d '{"seconds":3}' >/dev/null
	admin POST /import-lifetime -d '{"seconds":2}' >/dev/null
	rm -rf "$XDG_CACHE_HOME/mbx"
	admin POST /faults --data-binary $'match=/beta/,status=500,storm=1,count=0
match=/exportItems,status=429,retry-after=1,rate=0.2,seed=12,count=0
match=/importItem,status=503,retry-after=1,retry-after-date=1,rate=0.15,seed=13,count=0
match=/exportItems,body=truncated,rate=0.15,seed=14,count=0
match=/exportItems,itemerror=ErrorInternalServerTransientError,rate=0.2,seed=15,count=0
match=/exportItems,omit=2,rate=0.2,seed=16,count=0
match=/items,method=GET,body=truncated,rate=0.1,seed=17,count=0
match=/beta/,latency=5,jitter=30,seed=18,count=0' >/dev/null
	migrate /Mix
	[ "$(log_since | jq -s 'map(.fault) | unique | length')" -ge 4 ]
}
