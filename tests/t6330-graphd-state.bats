#!/usr/bin/env bats
# mbx-graphd --state: a snapshot and an append-only change log (mbx-graphd(1) FILES).
# Every acknowledged change survives SIGKILL; a torn last line is dropped; a corrupt
# state stops the emulator and is left as it was; the log is compacted; auxiliary
# archive mailboxes are kept.

load helpers

enc() { jq -rn --arg s "$1" '$s|@uri'; }
code() { tail -n 1 <<<"$1"; }

# dump: every mailbox as the admin endpoint lists it (folders, items, sha256)
dump() {
	local id
	admin GET /mailboxes
	echo
	for id in $(admin GET /mailboxes | jq -r '.value[].id'); do
		admin GET "/mailboxes/$(enc "$id")"
		echo
	done
}

# kill9: SIGKILL the emulator, as a crash would
kill9() {
	kill -9 "$GRAPHD_PID"
	wait "$GRAPHD_PID" 2>/dev/null || true
}

# changes MBX N: N rounds of every kind of change the emulator takes, each acknowledged
changes() {
	local m=$1 n=$2 i url data id f ck q
	url=$(graph POST "admin/exchange/mailboxes/$m/createImportSession" | sed '$d' | jq -r .importUrl)
	data=$(graph POST "admin/exchange/mailboxes/$m/exportItems" -H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"$(graph GET "admin/exchange/mailboxes/$m/folders/inbox/items?\$top=1" | sed '$d' | jq -r '.value[0].id')\"]}" |
		sed '$d' | jq -r '.value[0].data')
	for i in $(seq 1 "$n"); do
		admin POST "/mailboxes/$(enc "$m")/churn" \
			-d "{\"adds\":5,\"edits\":5,\"moves\":3,\"deletes\":2,\"seed\":$i}" >/dev/null
		f=$(graph POST "admin/exchange/mailboxes/$m/folders/inbox/childFolders" -H 'Content-Type: application/json' \
			-d "{\"displayName\":\"F$i\",\"type\":\"IPF.Note\"}" | sed '$d' | jq -r .id)
		graph PATCH "admin/exchange/mailboxes/$m/folders/$(enc "$f")" -H 'Content-Type: application/json' \
			-d "{\"displayName\":\"Renamed $i\"}" -o /dev/null >/dev/null
		# an import, then an update of it
		jq -n --arg f "$f" --arg d "$data" '{FolderId:$f, Mode:"create", Data:$d}' >"$BATS_TEST_TMPDIR/up"
		read -r id ck < <(curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' \
			--data-binary @"$BATS_TEST_TMPDIR/up" "$url" | jq -r '"\(.itemId) \(.changeKey)"')
		jq -n --arg f "$f" --arg d "$data" --arg i "$id" --arg c "$ck" \
			'{FolderId:$f, Mode:"update", Data:$d, ItemId:$i, ChangeKey:$c}' >"$BATS_TEST_TMPDIR/up"
		curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' -o /dev/null \
			--data-binary @"$BATS_TEST_TMPDIR/up" "$url"
		# a soft delete of it, every third round the folder itself
		q=softDelete
		[ $((i % 2)) = 0 ] && q=hardDelete
		graph DELETE "admin/exchange/mailboxes/$m/folders/$(enc "$f")/items/$(enc "$id")?disposalType=$q" \
			-o /dev/null >/dev/null
		[ $((i % 3)) != 0 ] || graph DELETE "admin/exchange/mailboxes/$m/folders/$(enc "$f")" -o /dev/null >/dev/null
	done
}

@test "SIGKILL after a long change log: a restart comes back with every acknowledged change" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/g graphd_start --generate users=2,folders=3,items=20,size=2k,seed=51 --state "$d/state"
	port=$GRAPHD_PORT
	export TOKEN=$(token)
	m1=$(mailbox_id user1@contoso.com) m2=$(mailbox_id user2@contoso.com)
	dl=$(graph GET "admin/exchange/mailboxes/$m1/folders/delta" -H "Prefer: odata.maxpagesize=1000" | sed '$d' | jq -r '."@odata.deltaLink"')
	changes "$m1" 40
	changes "$m2" 20
	admin POST /delta/expire >/dev/null
	admin POST "/mailboxes/$(enc "$m1")/churn" -d '{"adds":300,"edits":200,"moves":100,"deletes":100}' >/dev/null
	before=$(dump)
	# every change was taken (none refused) ...
	assert_equal "$(jq -s '[.[] | select(.status >= 300)] | length' "$d/g/graphd.log")" 0
	assert [ "$(jq -s '[.[] | select(.method != "GET")] | length' "$d/g/graphd.log")" -gt 350 ]
	# ... thousands of them, all in the log: the snapshot is the one made at start
	assert_equal "$(head -n 1 "$d/state/store.ndjson" | jq .lsn)" 0
	nlog=$(tr -d '\000' <"$d/state/store.log" | wc -l)
	assert [ "$nlog" -gt 300 ]
	kill9
	GRAPHD_DIR=$d/g graphd_start --listen "127.0.0.1:$port" --state "$d/state"
	after=$(dump)
	run graph GET "${dl#"$MBX_GRAPH_URL/"}"
	graphd_stop
	assert_equal "$after" "$before"
	# the counters came back exactly: a delta token of before the expiry is 410
	assert_equal "$(code "$output") $(sed "$ d" <<<"$output" | jq -r .error.code)" "410 syncStateNotFound"
	run cat "$d/g/graphd.err"
	refute_output --partial warning
	# a clean stop leaves a snapshot and an empty log
	assert_equal "$(stat -c %s "$d/state/store.log")" 0
	assert_equal "$(head -n 1 "$d/state/store.ndjson" | jq .lsn)" "$nlog"
}

@test "a torn last line (SIGKILL while it was written) is dropped with a warning" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/g graphd_start --generate users=1,folders=2,items=5,seed=52 --state "$d/state"
	export TOKEN=$(token)
	m=$(mailbox_id user1@contoso.com)
	changes "$m" 3
	before=$(dump)
	kill9
	# the start of one more change, cut where the zeros written ahead begin
	python3 - "$d/state/store.log" <<-'EOF'
	import sys
	p = sys.argv[1]
	b = open(p, 'rb').read()
	end = b.index(b'\0') if b'\0' in b else len(b)
	with open(p, 'r+b') as f:
	    f.seek(end)
	    f.write(b'{"lsn":999999,"ops":[{"type":"item","mailbox":"MB')
	EOF
	GRAPHD_DIR=$d/g graphd_start --state "$d/state"
	after=$(dump)
	graphd_stop
	assert_equal "$after" "$before"
	run cat "$d/g/graphd.err"
	assert_output --regexp "mbx-graphd: warning: $d/state/store.log:[0-9]+: a torn last change \\(49 bytes\\) dropped"
}

@test "a state that does not load stops the emulator (exit 2) and is left as it was" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/g graphd_start --generate users=1,folders=2,items=5,seed=53 --state "$d/state"
	export TOKEN=$(token)
	changes "$(mailbox_id user1@contoso.com)" 2
	kill9
	sed -i '1s/"lsn":1,/"lsn":1,"ops":7,/' "$d/state/store.log"
	cp -a "$d/state" "$d/copy"
	run --separate-stderr mbx-graphd --listen 127.0.0.1:0 --state "$d/state" --generate users=3
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-graphd: the saved state does not load: $d/state/store.log:1: a change log line needs lsn and ops"
	run diff -r "$d/state" "$d/copy"
	assert_success
	printf '{"type":"tenant","format":2,"id":"t","domain":"d.com","idseq":1,"cseq":1,"deltaEpoch":0,"blobseq":0,"lsn":0}\n{"type":"folder","mailbox":"MBX:none"}\n' >"$d/state/store.ndjson"
	run --separate-stderr mbx-graphd --listen 127.0.0.1:0 --state "$d/state"
	assert_equal "$status" 2
	assert_regex "$stderr" "store.ndjson:2: a folder needs a known mailbox"
}

@test "the log is compacted past twice the snapshot; what it held survives SIGKILL" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/g graphd_start --generate users=1,folders=1,items=3,size=200k,seed=54 --state "$d/state"
	export TOKEN=$(token)
	m=$(mailbox_id user1@contoso.com)
	url=$(graph POST "admin/exchange/mailboxes/$m/createImportSession" | sed '$d' | jq -r .importUrl)
	graph POST "admin/exchange/mailboxes/$m/exportItems" -H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"$(graph GET "admin/exchange/mailboxes/$m/folders/inbox/items?\$top=1" | sed '$d' | jq -r '.value[0].id')\"]}" |
		sed '$d' | jq '{FolderId:"drafts", Mode:"create", Data:.value[0].data}' >"$d/up"
	snap=$(stat -c %s "$d/state/store.ndjson")
	for i in $(seq 1 18); do              # 18 x 270 KB of log: over 4 MiB and 2 snapshots
		curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' -o /dev/null \
			--data-binary @"$d/up" "$url"
	done
	assert [ "$(stat -c %s "$d/state/store.ndjson")" -gt $((snap * 3)) ]
	assert [ "$(head -n 1 "$d/state/store.ndjson" | jq .lsn)" -ge 4 ]
	# a soft delete moves an imported item: its copy names the stream, not its bytes
	id=$(admin GET "/mailboxes/$(enc "$m")" | jq -r --arg f "$(graph GET "admin/exchange/mailboxes/$m/folders/drafts" | sed '$d' | jq -r .id)" \
		'[.items[] | select(.folderId == $f)][0].id')
	run graph DELETE "admin/exchange/mailboxes/$m/folders/drafts/items/$(enc "$id")?disposalType=softDelete"
	assert_equal "$(code "$output")" 204
	last=$(tr -d '\000' <"$d/state/store.log" | tail -n 1)
	assert [ "${#last}" -lt 4096 ]
	assert_regex "$last" '"blob":[0-9]+'
	before=$(dump)
	kill9
	GRAPHD_DIR=$d/g graphd_start --state "$d/state"
	after=$(dump)
	graphd_stop
	assert_equal "$after" "$before"
	assert_equal "$(jq -r '.items | length' <<<"$(sed -n 2p <<<"$after")")" 21
	# the snapshot of the clean stop: each stored stream once
	assert_equal "$(grep -c '"data":' "$d/state/store.ndjson")" 18
}

@test "auxiliary archive mailboxes and their redirects survive a restart" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/g graphd_start --generate users=1,folders=3,items=9,archive=1,aux=1,seed=55 --state "$d/state"
	export TOKEN=$(token)
	before=$(dump)
	arch=$(mailbox_id user1@contoso.com archive)
	f=$(admin GET "/mailboxes/$(enc "$(mailbox_id user1@contoso.com auxarchive)")" | jq -r '.folders[] | select(.hidden | not) | .id')
	kill9
	GRAPHD_DIR=$d/g graphd_start --state "$d/state"
	after=$(dump)
	run curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" -o /dev/null \
		-w '%{http_code} %{redirect_url}' "$MBX_GRAPH_URL/admin/exchange/mailboxes/$arch/folders/$(enc "$f")"
	graphd_stop
	assert_equal "$after" "$before"
	assert_equal "$(jq -r '[.value[].kind] | sort | join(" ")' <<<"$(head -n 1 <<<"$after")")" "archive auxarchive primary"
	assert_output --regexp "^308 https://127.0.0.1:[0-9]+/beta/admin/Exchange/Mailboxes/MBX"
}

@test "a restart that replays nothing keeps its snapshot; streams logged after it come back" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/g graphd_start --generate users=1,folders=1,items=2,size=20k,seed=56 --state "$d/state"
	export TOKEN=$(token)
	m=$(mailbox_id user1@contoso.com)
	url=$(graph POST "admin/exchange/mailboxes/$m/createImportSession" | sed '$d' | jq -r .importUrl)
	graph POST "admin/exchange/mailboxes/$m/exportItems" -H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"$(admin GET "/mailboxes/$(enc "$m")" | jq -r '.items[0].id')\"]}" |
		sed '$d' | jq '{FolderId:"drafts", Mode:"create", Data:.value[0].data}' >"$d/up"
	id=$(curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' --data-binary @"$d/up" "$url" | jq -r .itemId)
	graphd_stop
	snap=$(stat -c '%Y %s' "$d/state/store.ndjson")
	sleep 1.1
	GRAPHD_DIR=$d/g graphd_start --state "$d/state"
	assert_equal "$(stat -c '%Y %s' "$d/state/store.ndjson")" "$snap"
	# the imported item's copy names its stream (in the snapshot); a new import logs its own
	run graph DELETE "admin/exchange/mailboxes/$m/folders/drafts/items/$(enc "$id")?disposalType=softDelete"
	assert_equal "$(code "$output")" 204
	url=$(graph POST "admin/exchange/mailboxes/$m/createImportSession" | sed '$d' | jq -r .importUrl)
	curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' -o /dev/null --data-binary @"$d/up" "$url"
	assert_equal "$(tr -d '\000' <"$d/state/store.log" | grep -c '"data":')" 1
	before=$(dump)
	kill9
	GRAPHD_DIR=$d/g graphd_start --state "$d/state"
	after=$(dump)
	graphd_stop
	assert_equal "$after" "$before"
	assert_equal "$(jq '[.items[] | select(.size > 2000)] | length' <<<"$(sed -n 2p <<<"$after")")" 4
}

# fsyncs FSYNC N: n, the fdatasync calls of an emulator started with --fsync FSYNC
# (strace attached) while N folders are made, each acknowledged, then 2.5 s of quiet;
# SIGKILL then loses none of them
fsyncs() {
	local d=$BATS_TEST_TMPDIR/$1 i sp
	GRAPHD_DIR=$d/g graphd_start --generate users=1,folders=1,items=2,seed=57 --state "$d/state" --fsync "$1"
	export TOKEN=$(token)
	m=$(mailbox_id user1@contoso.com)
	strace -f -qq -e trace=fdatasync -o "$d/trace" -p "$GRAPHD_PID" 2>"$d/strace.err" &
	sp=$!
	sleep 0.5
	kill -0 "$sp" 2>/dev/null || skip "strace cannot attach: $(cat "$d/strace.err")"
	for i in $(seq 1 "$2"); do
		graph POST "admin/exchange/mailboxes/$m/folders/inbox/childFolders" -H 'Content-Type: application/json' \
			-d "{\"displayName\":\"S$i\",\"type\":\"IPF.Note\"}" -o /dev/null >/dev/null
	done
	sleep 2.5
	before=$(dump)
	kill "$sp"; wait "$sp" 2>/dev/null || true
	kill9
	GRAPHD_DIR=$d/g graphd_start --state "$d/state"
	after=$(dump)
	graphd_stop
	assert_equal "$after" "$before"
	n=$(grep -c 'fdatasync(' "$d/trace" || true)
}

@test "--fsync always: an fsync before each answer; second (the default): one a second; both survive SIGKILL" {
	command -v strace >/dev/null || skip "strace not installed"
	fsyncs always 20
	assert [ "$n" -ge 20 ]
	# 20 changes in a few seconds (more under valgrind): fewer fsyncs, and at least one
	# after the last change (the quiet 2.5 s)
	fsyncs second 20
	assert [ "$n" -ge 1 ]
	assert [ "$n" -lt 20 ]
}

@test "--fsync takes second or always" {
	run --separate-stderr mbx-graphd --fsync never --generate users=1
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-graphd: invalid --fsync 'never': expected second or always"
}
