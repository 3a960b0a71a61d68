#!/usr/bin/env bats
# Incremental listings: the emulator's delta endpoints (graph-api.md 3.8, 3.11, 5) and
# --delta STATE on mbx-ls and mbx-folders; --since/--until; the nightly promise: each run
# emits exactly what changed, and replaying the runs gives the final listing.

load helpers

setup_file() {
	graphd_start --generate users=2,folders=4,items=60,size=2k,seed=51 --state "$BATS_FILE_TMPDIR/state"
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
}

teardown_file() {
	graphd_stop
}

enc() { jq -rn --arg s "$1" '$s|@uri'; }
churn() { admin POST "/mailboxes/$(enc "$1")/churn" -d "$2"; }

# The items of a mailbox as "id changeKey folderId", from the service (full listing).
listing() {
	mbx-ls "$1" | jq -r 'select(.type == "item") | "\(.id) \(.changeKey) \(.folderId)"' | sort
}

# Replay delta outputs (files in order) into "id changeKey folderId" lines.
replay() {
	jq -rn 'reduce (inputs) as $r ({};
		if $r.type == "item" and ($r.removed // false) then del(.[$r.id])
		elif $r.type == "item" then .[$r.id] = "\($r.changeKey) \($r.folderId)"
		elif $r.type == "folder" and ($r.removed // false) then with_entries(select(.value | endswith(" " + $r.id) | not))
		elif $r.type == "folder" and ($r.resync // false) then with_entries(select(.value | endswith(" " + $r.id) | not))
		else . end) | to_entries[] | "\(.key) \(.value)"' "$@" | sort
}

@test "items/delta: pages by Prefer, a deltaLink at the end, then only the changes" {
	TOKEN=$(token)
	url="$GRAPHD_URL/beta/admin/exchange/mailboxes/$(enc "$MBX2")/folders/inbox/items/delta"
	n=0 pages=0
	while :; do
		curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" -H 'Prefer: odata.maxpagesize=4' "$url" >"$BATS_TEST_TMPDIR/p"
		n=$((n + $(jq '.value | length' "$BATS_TEST_TMPDIR/p"))) pages=$((pages + 1))
		next=$(jq -r '."@odata.nextLink" // empty' "$BATS_TEST_TMPDIR/p")
		[ -n "$next" ] || break
		url=$next
	done
	want=$(graph GET "admin/exchange/mailboxes/$(enc "$MBX2")/folders/inbox" | head -n -1 | jq .totalItemCount)
	assert_equal "$n" "$want"
	[ "$pages" -eq $(( (want + 3) / 4 )) ] || [ "$pages" -eq $(( (want + 3) / 4 + 1 )) ]
	dl=$(jq -r '."@odata.deltaLink"' "$BATS_TEST_TMPDIR/p")
	[[ $dl == "$GRAPHD_URL/beta/admin/exchange/mailboxes/"*"/items/delta?\$deltatoken="* ]]
	# nothing changed: an empty round
	run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" "$dl"
	assert_equal "$(jq '.value | length' <<<"$output")" 0
	# options besides the token are refused; a garbage token is syncStateNotFound
	run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" -w '\n%{http_code}' "$dl&\$top=5"
	assert_equal "$(tail -n 1 <<<"$output")" 400
	run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" -w '\n%{http_code}' "${dl%%deltatoken=*}deltatoken=bm9wZQ"
	assert_equal "$(tail -n 1 <<<"$output")" 400
	assert_equal "$(head -n 1 <<<"$output" | jq -r .error.code)" syncStateNotFound
	# an unsupported filter on the first call is 400
	run graph GET "admin/exchange/mailboxes/$(enc "$MBX2")/folders/inbox/items/delta?\$filter=size%20gt%201"
	assert_equal "$(tail -n 1 <<<"$output")" 400
}

@test "item delete: soft moves to Recoverable Items, hard removes; bad disposalType 400" {
	TOKEN=$(token)
	mbx-ls user2@contoso.com | jq -c 'select(.type == "item")' >"$BATS_TEST_TMPDIR/items"
	f=$(jq -r .folderId "$BATS_TEST_TMPDIR/items" | sort | uniq -c | sort -rn | head -n 1 | awk '{print $2}')
	ids=$(jq -r --arg f "$f" 'select(.folderId == $f) | .id' "$BATS_TEST_TMPDIR/items" | head -n 2)
	[ "$(wc -l <<<"$ids")" -eq 2 ]
	a=$(head -n 1 <<<"$ids") b=$(tail -n 1 <<<"$ids")
	items="admin/exchange/mailboxes/$(enc "$MBX2")/folders/$(enc "$f")/items"
	run graph DELETE "$items/$(enc "$a")"
	assert_equal "$(tail -n 1 <<<"$output")" 400
	run graph DELETE "$items/$(enc "$a")?disposalType=softDelete"
	assert_equal "$(tail -n 1 <<<"$output")" 204
	run graph DELETE "$items/$(enc "$b")?disposalType=hardDelete"
	assert_equal "$(tail -n 1 <<<"$output")" 204
	run graph GET "admin/exchange/mailboxes/$(enc "$MBX2")/folders/recoverableitemsdeletions/items"
	assert_equal "$(head -n -1 <<<"$output" | jq '.value | length')" 1
	run graph DELETE "$items/$(enc "$a")?disposalType=hardDelete"
	assert_equal "$(tail -n 1 <<<"$output")" 404
}

@test "mbx-ls --delta: the first run lists all and saves STATE; the next emits only changes" {
	st=$BATS_TEST_TMPDIR/items.state
	run --separate-stderr mbx-ls --delta "$st" user2@contoso.com
	assert_success
	assert_equal "$stderr" ""
	printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/n1"
	diff <(replay "$BATS_TEST_TMPDIR/n1") <(listing user2@contoso.com)
	assert_equal "$(jq -r '"\(.type) \(.v) \(.mailbox)"' "$st")" "mbx-ls 1 $MBX2"
	run --separate-stderr mbx-ls --delta "$st" user2@contoso.com
	assert_success
	assert_equal "$output" ""
	churn "$MBX2" '{"adds":2,"edits":2,"moves":1,"deletes":1,"seed":3}' >"$BATS_TEST_TMPDIR/ch"
	run --separate-stderr mbx-ls --delta "$st" user2@contoso.com
	assert_success
	printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/n2"
	# the removals are the deleted and the moved-away ids; the rest are new or edited
	diff <(jq -r 'select(.removed) | .id' "$BATS_TEST_TMPDIR/n2" | sort) \
		<(jq -r '.deleted[], .moved[].from' "$BATS_TEST_TMPDIR/ch" | sort -u)
	diff <(replay "$BATS_TEST_TMPDIR/n1" "$BATS_TEST_TMPDIR/n2") <(listing user2@contoso.com)
}

@test "three nightly runs against a changing mailbox: each emits the changes, the replay is the final listing" {
	st=$BATS_TEST_TMPDIR/nightly.state
	mbx-ls --delta "$st" user1@contoso.com >"$BATS_TEST_TMPDIR/night0"
	for night in 1 2 3; do
		churn "$MBX1" "{\"adds\":5,\"edits\":4,\"moves\":3,\"deletes\":3,\"seed\":$night}" >/dev/null
		[ "$night" -eq 2 ] && mbx-mkfolder user1@contoso.com "/Night$night" >/dev/null
		[ "$night" -eq 3 ] && mbx-rmfolder user1@contoso.com /Night2 >/dev/null
		run --separate-stderr mbx-ls --delta "$st" user1@contoso.com
		assert_success
		assert_equal "$stderr" ""
		printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/night$night"
		# a run emits changes only: far fewer records than the mailbox has items
		[ "${#lines[@]}" -lt 30 ]
		diff <(replay "$BATS_TEST_TMPDIR"/night[0-$night]) <(listing user1@contoso.com)
	done
	assert_equal "$(jq -r 'select(.type == "folder") | "\(.path) \(.removed // false)"' "$BATS_TEST_TMPDIR/night2" "$BATS_TEST_TMPDIR/night3" | tr '\n' ',')" "/Night2 false,/Night2 true,"
}

@test "delta state survives an emulator restart with --state" {
	st=$BATS_TEST_TMPDIR/restart.state
	mbx-ls --delta "$st" user2@contoso.com >"$BATS_TEST_TMPDIR/r0"
	port=$GRAPHD_PORT
	graphd_stop
	# the same address: delta links name the service's host, as the real one's do
	graphd_start --listen "127.0.0.1:$port" --state "$BATS_FILE_TMPDIR/state"
	churn "$MBX2" '{"adds":1,"edits":1,"seed":8}' >/dev/null
	run --separate-stderr mbx-ls --delta "$st" user2@contoso.com
	assert_success
	assert_equal "$stderr" ""
	[ "${#lines[@]}" -ge 1 ] && [ "${#lines[@]}" -le 2 ]
	diff <(replay "$BATS_TEST_TMPDIR/r0" <(printf '%s\n' "${lines[@]}")) <(listing user2@contoso.com)
}

@test "an expired delta state: a warning, the folder in full after a resync record, the replay still right" {
	st=$BATS_TEST_TMPDIR/exp.state
	mbx-ls --delta "$st" user2@contoso.com >"$BATS_TEST_TMPDIR/e0"
	churn "$MBX2" '{"deletes":2,"adds":1,"seed":9}' >/dev/null
	admin POST /delta/expire >/dev/null
	run --separate-stderr mbx-ls --delta "$st" user2@contoso.com
	assert_success
	[[ ${stderr%%$'\n'*} == "mbx-ls: warning: the delta state of '/"*"' has expired: listing it in full" ]]
	printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/e1"
	[ "$(jq -r 'select(.resync) | .id' "$BATS_TEST_TMPDIR/e1" | wc -l)" -ge 1 ]
	diff <(replay "$BATS_TEST_TMPDIR/e0" "$BATS_TEST_TMPDIR/e1") <(listing user2@contoso.com)
	# and the next run is incremental again
	run --separate-stderr mbx-ls --delta "$st" user2@contoso.com
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" ""
}

@test "a bad STATE: corrupt, another tool's, another mailbox's: a clear error, nothing emitted" {
	echo 'not json' >"$BATS_TEST_TMPDIR/bad"
	run --separate-stderr mbx-ls --delta "$BATS_TEST_TMPDIR/bad" user2@contoso.com
	assert_failure 5
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-ls: cannot use --delta '$BATS_TEST_TMPDIR/bad': not a delta state file (not a JSON object)"
	mbx-folders --delta "$BATS_TEST_TMPDIR/fs" user2@contoso.com >/dev/null
	run --separate-stderr mbx-ls --delta "$BATS_TEST_TMPDIR/fs" user2@contoso.com
	assert_failure 5
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-ls: cannot use --delta '$BATS_TEST_TMPDIR/fs': a state file of 'mbx-folders', not of mbx-ls"
	run --separate-stderr mbx-folders --delta "$BATS_TEST_TMPDIR/fs" user1@contoso.com
	assert_failure 5
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-folders: cannot use --delta '$BATS_TEST_TMPDIR/fs': the state of another mailbox ('$MBX2')"
	mbx-ls --delta "$BATS_TEST_TMPDIR/ls2" user2@contoso.com >/dev/null
	cp "$BATS_TEST_TMPDIR/ls2" "$BATS_TEST_TMPDIR/ls2.before"
	run --separate-stderr mbx-ls --delta "$BATS_TEST_TMPDIR/ls2" user1@contoso.com
	assert_failure 1
	assert_equal "$(jq -r '.code' <<<"${lines[0]}")" DeltaStateMailbox
	cmp "$BATS_TEST_TMPDIR/ls2" "$BATS_TEST_TMPDIR/ls2.before"
}

@test "mbx-folders --delta: all folders first, then created, renamed and removed ones" {
	st=$BATS_TEST_TMPDIR/f.state
	run --separate-stderr mbx-folders --delta "$st" user1@contoso.com
	assert_success
	diff <(printf '%s\n' "${lines[@]}" | jq -r .path | sort) <(mbx-folders user1@contoso.com | jq -r .path | sort)
	mbx-mkfolder user1@contoso.com /FD/Sub /FD/Other >/dev/null
	mbx-mvfolder user1@contoso.com /FD/Other Renamed >/dev/null
	run --separate-stderr mbx-folders --delta "$st" user1@contoso.com
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .path | tr '\n' ' ')" "/FD /FD/Sub /FD/Renamed "
	mbx-rmfolder user1@contoso.com /FD >/dev/null
	run --separate-stderr mbx-folders --delta "$st" user1@contoso.com
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r '"\(.path) \(.removed)"' | sort | tr '\n' ',')" "/FD true,/FD/Renamed true,/FD/Sub true,"
	run --separate-stderr mbx-folders --delta "$st" user1@contoso.com
	assert_equal "$output" ""
	run --separate-stderr mbx-folders --delta "$st" user1@contoso.com /Inbox
	assert_failure 2
}

@test "--since/--until: by the service when listing (a \$filter), by the client in delta rounds" {
	all=$(mbx-ls user1@contoso.com | jq -r 'select(.type == "item") | .lastModifiedDateTime' | sort)
	mid=$(sed -n "$(( $(wc -l <<<"$all") / 2 ))p" <<<"$all")
	run --separate-stderr mbx-ls --since "$mid" user1@contoso.com
	assert_success
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "item") | .lastModifiedDateTime' | sort)" "$(awk -v m="$mid" '$0 >= m' <<<"$all")"
	# the service filtered: the request carried the $filter (seen with -v)
	mbx-ls -v --since "$mid" user1@contoso.com 2>&1 >/dev/null | grep -q 'filter=lastModifiedDateTime%20ge%20'
	run --separate-stderr mbx-ls --until "$mid" user1@contoso.com
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "item") | .lastModifiedDateTime' | sort)" "$(awk -v m="$mid" '$0 < m' <<<"$all")"
	run --separate-stderr mbx-ls --delta "$BATS_TEST_TMPDIR/w.state" --since "$mid" user1@contoso.com
	assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "item") | .lastModifiedDateTime' | sort)" "$(awk -v m="$mid" '$0 >= m' <<<"$all")"
	# a time with an offset is the same instant in UTC
	run --separate-stderr mbx-ls --since 2026-01-01T01:00:00+01:00 --until 2026-01-01 user1@contoso.com
	assert_success
	assert_equal "$output" ""
}

@test "an invalid --since or --until is a usage error, exit 2" {
	for t in yesterday 2026-13-01 2026-11-01T25:00 '2026-11-01 08:00' 2026-11-01Tjunk; do
		run --separate-stderr mbx-ls --since "$t" user1@contoso.com
		assert_failure 2
		assert_equal "$output" ""
		assert_equal "$stderr" "mbx-ls: invalid --since '$t': expected a date or time such as 2026-11-01 or 2026-11-01T08:00:00Z"
	done
	run --separate-stderr mbx-ls --until x user1@contoso.com
	assert_failure 2
}
