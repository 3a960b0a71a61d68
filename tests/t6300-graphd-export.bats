#!/usr/bin/env bats
# mbx-graphd's exportItems answers of any size (graph-api.md 3.13): streamed, each item's
# stream made in its turn, bounded memory; every decoded "data" is the item's stream,
# as the admin endpoint's sha256 says (an independent oracle: curl, jq, base64,
# sha256sum).

load helpers

setup_file() {
	GRAPHD_DIR=$BATS_FILE_TMPDIR/big graphd_start --generate users=1,folders=0,items=4,size=25m,seed=21
	export BIG_URL=$GRAPHD_URL BIG_PID=$GRAPHD_PID BIG_DIR=$GRAPHD_DIR
	export BIG_MBX=$(mailbox_id user1@contoso.com) BIG_TOKEN=$(token)
	GRAPHD_DIR=$BATS_FILE_TMPDIR/many graphd_start --generate users=1,folders=0,items=20,size=8m,seed=22
	export MANY_URL=$GRAPHD_URL MANY_PID=$GRAPHD_PID MANY_DIR=$GRAPHD_DIR
	export MANY_MBX=$(mailbox_id user1@contoso.com) MANY_TOKEN=$(token)
}

teardown_file() {
	GRAPHD_DIR=$BIG_DIR graphd_stop
	GRAPHD_DIR=$MANY_DIR graphd_stop
}

# tok URL: the token for that emulator
tok() { if [ "$1" = "$BIG_URL" ]; then echo "$BIG_TOKEN"; else echo "$MANY_TOKEN"; fi; }

# ids URL MBX: the first $TOP (20) Inbox items' ids as a JSON array
ids() {
	curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $(tok "$1")" \
		"$1/beta/admin/exchange/mailboxes/$2/folders/inbox/items?\$top=${TOP:-20}" | jq -c '[.value[].id]'
}

# post URL MBX IDS OUT [curl args]: exportItems; prints the status, returns curl's status
post() {
	local url=$1 mbx=$2 ids=$3 out=$4
	shift 4
	curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $(tok "$url")" \
		-H 'Content-Type: application/json' -d "{\"itemIds\":$ids}" \
		-w '%{http_code}\n' -o "$out" "$url/beta/admin/exchange/mailboxes/$mbx/exportItems" "$@"
}

# export_all URL MBX OUT [curl args]: exportItems of the first $TOP (20) Inbox items
export_all() {
	local ids
	ids=$(ids "$1" "$2")
	post "$1" "$2" "$ids" "${@:3}"
}

# decoded OUT: "itemId sha256" of every entry's decoded data, one line each
decoded() {
	local d=$BATS_TEST_TMPDIR/parts f
	mkdir -p "$d"
	jq -r '.value[].itemId' "$1" >"$d/ids"
	jq -r '.value[].data' "$1" | split -l 1 -a 3 - "$d/data."
	for f in "$d"/data.*; do
		base64 -d <"$f" | sha256sum | cut -d' ' -f1
	done | paste -d' ' "$d/ids" -
}

# admin_sha URL MBX: "itemId sha256" of every item, from the admin endpoint
admin_sha() {
	curl -sS --cacert "$MBX_CACERT" "$1/_admin/mailboxes/$2" | jq -r '.items[] | "\(.id) \(.sha256)"'
}

# The emulator's peak RSS in kB, or "" when sanitizers or valgrind make it meaningless.
peak_rss() {
	[ -z "${MBX_WRAPDIR:-}" ] || return 0
	ldd "$MBX_BUILDDIR/bin/mbx-graphd" | grep -q 'libasan\|libubsan' && return 0
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

@test "4 items of 25 MB: one 200, each data decodes to the item's stream" {
	run export_all "$BIG_URL" "$BIG_MBX" "$BATS_TEST_TMPDIR/x.json"
	assert_success
	assert_output 200
	assert_equal "$(jq '.value | length' "$BATS_TEST_TMPDIR/x.json")" 4
	# no entry empty or cut: 4 streams of 25 MB are more than the old 64 MiB cap
	assert [ "$(stat -c %s "$BATS_TEST_TMPDIR/x.json")" -gt $((4 * 25 * 1048576 * 4 / 3)) ]
	run decoded "$BATS_TEST_TMPDIR/x.json"
	assert_equal "$(sort <<<"$output")" "$(admin_sha "$BIG_URL" "$BIG_MBX" | sort)"
	assert_equal "$(wc -l <<<"$output")" 4
	rss=$(peak_rss "$BIG_PID")
	# one item's stream at a time, not the 140 MB answer
	[ -z "$rss" ] || assert [ "$rss" -lt $((120 * 1024)) ]
}

@test "20 items of 8 MB: one 200, each data decodes to the item's stream, in bounded memory" {
	run export_all "$MANY_URL" "$MANY_MBX" "$BATS_TEST_TMPDIR/x.json"
	assert_success
	assert_output 200
	run decoded "$BATS_TEST_TMPDIR/x.json"
	assert_equal "$(sort <<<"$output")" "$(admin_sha "$MANY_URL" "$MANY_MBX" | sort)"
	assert_equal "$(wc -l <<<"$output")" 20
	assert_equal "$(jq -c '[.value[] | keys_unsorted[0:3]] | unique' "$BATS_TEST_TMPDIR/x.json")" \
		'[["itemId","changeKey","data"]]'
	rss=$(peak_rss "$MANY_PID")
	[ -z "$rss" ] || assert [ "$rss" -lt $((100 * 1024)) ]   # the answer is 224 MB
}

@test "a streamed answer is chunked, with the Graph content type" {
	run export_all "$MANY_URL" "$MANY_MBX" /dev/null -D "$BATS_TEST_TMPDIR/h" --max-time 60
	assert_output 200
	run grep -i '^transfer-encoding: chunked' "$BATS_TEST_TMPDIR/h"
	assert_success
	run grep -i '^content-type: application/json;odata.metadata=minimal' "$BATS_TEST_TMPDIR/h"
	assert_success
}

@test "body=truncated cuts a stream in the first item's data and drops the connection" {
	curl -sS --cacert "$MBX_CACERT" -X POST "$BIG_URL/_admin/faults" \
		--data-binary 'match=/exportItems,body=truncated' >/dev/null
	run export_all "$BIG_URL" "$BIG_MBX" "$BATS_TEST_TMPDIR/x.json"
	assert_equal "$status" 18        # curl: transfer closed with outstanding data
	size=$(stat -c %s "$BATS_TEST_TMPDIR/x.json")
	assert [ "$size" -gt $((12 * 1048576)) ]
	assert [ "$size" -lt $((25 * 1048576)) ]
	run jq . "$BATS_TEST_TMPDIR/x.json"
	assert_failure
	run export_all "$BIG_URL" "$BIG_MBX" /dev/null       # count=1: the next is whole
	assert_success
	assert_output 200
	run cat "$BIG_DIR/graphd.err"          # a cut on purpose is not an error
	refute_output --partial libmicrohttpd
}

@test "body=malformed on exportItems: a 200 with broken JSON instead of the stream" {
	curl -sS --cacert "$MBX_CACERT" -X POST "$MANY_URL/_admin/faults" \
		--data-binary 'match=/exportItems,body=malformed' >/dev/null
	run export_all "$MANY_URL" "$MANY_MBX" "$BATS_TEST_TMPDIR/x.json"
	assert_success
	assert_output 200
	assert_equal "$(cat "$BATS_TEST_TMPDIR/x.json")" '{"value":[{"id":"AAMk","displayName":tru'
}

@test "per-item errors stream too: unknown and malformed ids beside real ones" {
	id=$(curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $MANY_TOKEN" \
		"$MANY_URL/beta/admin/exchange/mailboxes/$MANY_MBX/folders/inbox/items?\$top=1" | jq -r '.value[0].id')
	run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $MANY_TOKEN" -H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"AAMkADNmZjI1AEYAAAAAAAAAAAAAAAAAAAAAAAA\",\"$id\",\"bad!\"]}" \
		"$MANY_URL/beta/admin/exchange/mailboxes/$MANY_MBX/exportItems"
	assert_success
	assert_equal "$(jq -c '[.value[] | .error.code // (.data | length > 1000)]' <<<"$output")" \
		'["ErrorItemNotFound",true,"ErrorInvalidIdMalformed"]'
}

@test "an export holds its mailbox's concurrency place until its last byte" {
	# four slow readers of 22 MB answers hold the four places; a fifth call is 429
	two=$(TOP=2 ids "$MANY_URL" "$MANY_MBX")
	for i in 1 2 3 4; do
		post "$MANY_URL" "$MANY_MBX" "$two" "$BATS_TEST_TMPDIR/b$i" --limit-rate 5M \
			>"$BATS_TEST_TMPDIR/s$i" &
	done
	# once each has 1 MB, its first bytes are long sent, and 10 MB or more of it is
	# still unsent (socket buffers hold a few MB): not a matter of time, so a test run
	# under load (make -j2 check, sanitizers) waits for the bytes, not for 2 s
	for i in $(seq 200); do
		n=0
		for f in "$BATS_TEST_TMPDIR"/b?; do
			[ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -lt 1048576 ] || n=$((n + 1))
		done
		[ "$n" -lt 4 ] || break
		sleep 0.1
	done
	assert_equal "$n" 4
	for i in 1 2 3; do
		run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $MANY_TOKEN" -o /dev/null \
			-w '%{http_code}' "$MANY_URL/beta/admin/exchange/mailboxes/$MANY_MBX/folders"
		[ "$output" != 429 ] || break
		sleep 0.1
	done
	wait
	assert_output 429
	assert_equal "$(cat "$BATS_TEST_TMPDIR"/s*)" "$(printf '200\n200\n200\n200')"
	run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $MANY_TOKEN" -o /dev/null \
		-w '%{http_code}' "$MANY_URL/beta/admin/exchange/mailboxes/$MANY_MBX/folders"
	assert_output 200
}
