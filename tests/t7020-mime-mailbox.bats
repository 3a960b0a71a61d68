#!/usr/bin/env bats
# A whole mailbox of the emulator through mbx-folders | mbx-ls | mbx-export | mbx-mime,
# judged by independent readers: Python's mailbox and email (zero defects), mblaze
# (mdeliver -M, mlist, mshow), notmuch (notmuch new: count = items), ripmime and munpack
# (attachment bytes as tests/fxpy.py reads them from the frames).

load helpers

PY=/usr/bin/python3
CHECK="$PY $MBX_SRCDIR/tests/mailcheck.py"
NITEMS=40

setup_file() {
	graphd_start --generate users=1,folders=4,items=$NITEMS,size=6k,seed=23
	export MBX1=$(mailbox_id user1@contoso.com)
	mbx-folders user1@contoso.com | mbx-ls | mbx-export >"$BATS_FILE_TMPDIR/u.frames"
	admin GET "/mailboxes/$MBX1" | jq -r '.items[].id' | sort >"$BATS_FILE_TMPDIR/ids"
}

teardown_file() {
	graphd_stop
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	F=$BATS_FILE_TMPDIR/u.frames
}

@test "mbx-folders U | mbx-ls | mbx-export | mbx-mime > U.mbox: every item, zero defects in Python's email" {
	run --separate-stderr bash -c 'set -o pipefail; mbx-folders user1@contoso.com | mbx-ls | mbx-export | mbx-mime > U.mbox'
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	run $CHECK mbox U.mbox
	assert_success
	assert_equal "${#lines[@]}" "$NITEMS"
	diff <(printf '%s\n' "$output" | jq -r .itemId | sort) "$BATS_FILE_TMPDIR/ids"
	# the folder of each item, and what the item says, in the message
	diff <(printf '%s\n' "$output" | jq -r '"\(.itemId) \(.folder)"' | sort) \
		<(grep -a '^{"type":"item"' "$F" | jq -r '"\(.id) \(.folderPath)"' | sort)
	printf '%s\n' "$output" >msgs
	$PY "$MBX_SRCDIR/tests/fxpy.py" texts "$F" >texts
	$PY - msgs texts <<-'EOF'
	import json, sys
	msgs = {m["itemId"]: m for m in map(json.loads, open(sys.argv[1]))}
	for t in map(json.loads, open(sys.argv[2])):
	    m = msgs[t["id"]]
	    assert m["subject"] == t["subject"], (m["subject"], t["subject"])
	    plain = [p for p in m["parts"] if p["type"] == "text/plain" and not p["filename"]][0]
	    assert plain["text"].rstrip("\n") == t["body"].replace("\r\n", "\n").rstrip("\n"), t["id"]
	    assert m["to"] and m["from"] and m["date"], m
	EOF
}

@test "the mbox opens in mblaze (mdeliver -M splits it into every item, mshow shows each) and then notmuch" {
	command -v mdeliver >/dev/null || skip "mblaze not installed"
	mbx-mime "$F" >U.mbox
	mkdir -p md/cur md/new md/tmp
	run mdeliver -M -c md <U.mbox
	assert_success
	run mlist md
	assert_success
	assert_equal "${#lines[@]}" "$NITEMS"
	n=0
	for m in $(mlist md); do
		mshow -t "$m" >/dev/null || fail "mshow -t $m"
		mshow "$m" | grep -q '^please find the ' || fail "mshow $m: no body text"
		n=$((n + 1))
	done
	assert_equal "$n" "$NITEMS"
	# mblaze's own mbox reading undoes mboxrd as Python's rule does: the same messages
	$CHECK maildir md | jq -r .itemId | sort | diff - "$BATS_FILE_TMPDIR/ids"
	# and notmuch indexes what mblaze made of the mbox: every item
	command -v notmuch >/dev/null || skip "notmuch not installed"
	printf '[database]\npath=%s\n[user]\nprimary_email=t@example.com\n' "$PWD/md" >nm.cfg
	NOTMUCH_CONFIG=$PWD/nm.cfg notmuch new >/dev/null
	assert_equal "$(NOTMUCH_CONFIG=$PWD/nm.cfg notmuch count '*')" "$NITEMS"
}

@test "--maildir: notmuch new indexes every item; mlist and flags from the message" {
	command -v notmuch >/dev/null || skip "notmuch not installed"
	run --separate-stderr mbx-mime --maildir M "$F"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "$output" | jq -r 'select(.type == "mail") | .id' | sort)" "$(cat "$BATS_FILE_TMPDIR/ids")"
	assert_equal "$(ls M/cur | wc -l)" "$NITEMS"
	assert_equal "$(find M/new M/tmp -type f | wc -l)" 0
	# generated items are read (mfRead): S, and the delivery time as mtime
	assert_equal "$(ls M/cur | grep -c ':2,S$')" "$NITEMS"
	f=$(printf '%s\n' "$output" | jq -r 'select(.type == "mail") | .file' | head -1)
	want=$(sed -n 's/^X-Mbx-Delivery-Time: //p' "$f")
	assert_equal "$(date -u -d @"$(stat -c %Y "$f")" '+%a, %d %b %Y %H:%M:%S +0000')" "$want"
	cat >nm.cfg <<-EOF
	[database]
	path=$PWD/M
	[new]
	tags=new
	[user]
	name=Test
	primary_email=test@example.com
	EOF
	NOTMUCH_CONFIG=$PWD/nm.cfg run notmuch new
	assert_success
	assert_equal "$(NOTMUCH_CONFIG=$PWD/nm.cfg notmuch count '*')" "$NITEMS"
	assert_equal "$(NOTMUCH_CONFIG=$PWD/nm.cfg notmuch count --output=files '*')" "$NITEMS"
	run mlist -S M
	assert_equal "${#lines[@]}" "$NITEMS"
	run $CHECK maildir M
	assert_success
}

@test "--eml: one file per item, names safe and the same in every run, CRLF, zero defects" {
	run --separate-stderr mbx-mime --eml E "$F"
	assert_success
	assert_equal "$(ls E | wc -l)" "$NITEMS"
	run bash -c 'ls E | grep -cvE "^[0-9]{8}-[0-9]{6}-[a-z0-9-]{1,40}-[0-9a-f]{12}\.eml$"'
	assert_output 0
	(cd E && sha256sum *) >first
	rm -rf E
	mbx-mime --eml E "$F" >/dev/null
	(cd E && sha256sum *) | diff first -
	# a run over the files already there replaces them: no copies
	mbx-mime --eml E "$F" >/dev/null
	assert_equal "$(ls -A E | wc -l)" "$NITEMS"
	f=$(ls E/*.eml | head -1)
	assert_equal "$(grep -c $'\r$' "$f")" "$(wc -l <"$f")"
	run $CHECK eml E/*.eml
	assert_success
}

@test "attachments of the mailbox: ripmime and munpack extract the bytes of the frames, with the names, sizes and types --decode reports" {
	command -v munpack >/dev/null || skip "munpack not installed"
	command -v ripmime >/dev/null || skip "ripmime not installed"
	mbx-frames --decode "$F" 2>/dev/null |
		jq -r 'select(.type == "item") | .id as $i | .fx.attachments[] | "\($i) \(.name) \(.dataBytes) \(.mimeTag)"' | sort >want
	[ "$(wc -l <want)" -gt 3 ]
	$PY "$MBX_SRCDIR/tests/fxpy.py" attachments "$F" data | sort -n >fxpy.list
	mbx-mime --eml E "$F" >recs
	: >got
	while read -r f id; do
		mkdir -p "u/$id" "r/$id"
		(cd "u/$id" && munpack -q -C . "$OLDPWD/$f" >/dev/null 2>&1) || true
		ripmime -i "$f" -d "r/$id" --no-nameless
		$CHECK eml "$f" | jq -r --arg i "$id" '.parts[] | select(.filename) | "\($i) \(.filename) \(.size) \(.type)"' >>got
	done < <(jq -r 'select(.type == "mail") | "\(.file) \(.id)"' recs)
	assert_equal "$(sort got)" "$(cat want)"
	# fxpy numbers the items in stream order; the item id says which frame that is
	grep -a '^{"type":"item"' "$F" | jq -r .id | awk '{ print NR, $0 }' >order
	while read -r id name size mime; do
		n=$(awk -v i="$id" '$2 == i { print $1 }' order)
		cmp "u/$id/$name" "data/$n/$name" || fail "munpack: $id $name differs"
		cmp "r/$id/$name" "data/$n/$name" || fail "ripmime: $id $name differs"
		assert_equal "$(wc -c <"data/$n/$name")" "$size"
	done <want
}

@test "--stats counts frames, items, mail and errors" {
	run --separate-stderr mbx-mime --stats st.json "$F"
	assert_success
	mbx-mime "$F" >out
	nframes=$(grep -ac '^{"type":' "$F")
	assert_equal "$(jq -c '[.type, .program, .frames, .items, .mail, .otherClasses, .errors, .upstreamErrors, .damaged]' st.json)" \
		"[\"stats\",\"mbx-mime\",$nframes,$NITEMS,$NITEMS,0,0,0,0]"
	assert_equal "$(jq .bytesOut st.json)" "$(wc -c <out)"
	assert_equal "$(jq .bytesIn st.json)" "$(grep -a '^{"type":"item"' "$F" | jq -s 'map(.size) | add')"
}
