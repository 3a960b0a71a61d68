#!/usr/bin/env bats
# README "Readable backups", run as written (with the emulator's users), and
# mbx-frames --annotate: the summary jq selects whole items by, and the granular restore
# it makes possible (only the selected items arrive, byte for byte).

load helpers

PY=/usr/bin/python3
CHECK="$PY $MBX_SRCDIR/tests/mailcheck.py"

setup_file() {
	graphd_start --generate users=2,folders=3,items=30,size=3k,seed=31
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
	cd "$BATS_FILE_TMPDIR"
	mbx-folders user1@contoso.com | mbx-ls | mbx-export | zstd -q >alice.mbx.zst
}

teardown_file() {
	graphd_stop
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	cp "$BATS_FILE_TMPDIR/alice.mbx.zst" .
}

# readme LINE: fail unless README.md has LINE, as it is.
readme() {
	grep -qF -- "$1" "$MBX_SRCDIR/README.md" || fail "README.md lacks: $1"
}

@test "README: a mailbox as an mbox that mblaze and Python's mailbox open with every item" {
	readme 'mbx-folders alice@contoso.com | mbx-ls | mbx-export | mbx-mime > alice.mbox'
	run --separate-stderr bash -c 'set -o pipefail; mbx-folders user1@contoso.com | mbx-ls | mbx-export | mbx-mime > alice.mbox'
	assert_success
	assert_equal "$stderr" ""
	run $CHECK mbox alice.mbox
	assert_success
	assert_equal "${#lines[@]}" 30
	command -v mdeliver >/dev/null || skip "mblaze not installed"
	mkdir -p md/cur md/new md/tmp
	mdeliver -M -c md <alice.mbox
	assert_equal "$(mlist md | wc -l)" 30
}

@test "README: a backup as a Maildir for notmuch, and one folder as .eml files" {
	command -v zstd >/dev/null || skip "zstd not installed"
	readme 'zstd -dc alice.mbx.zst | mbx-mime --maildir alice.maildir > alice.files'
	readme 'zstd -dc alice.mbx.zst | mbx-frames --to-ndjson |'
	readme "  jq -c 'select(.folderPath == \"/Inbox\")' | mbx-mime --eml inbox.eml > /dev/null"
	run --separate-stderr bash -c 'set -o pipefail; zstd -dc alice.mbx.zst | mbx-mime --maildir alice.maildir > alice.files'
	assert_success
	assert_equal "$(ls alice.maildir/cur | wc -l)" 30
	assert_equal "$(jq -r 'select(.type == "mail") | .file' alice.files | xargs -n1 basename | sort)" "$(ls alice.maildir/cur | sort)"
	run --separate-stderr bash -c "set -o pipefail; zstd -dc alice.mbx.zst | mbx-frames --to-ndjson |
	  jq -c 'select(.folderPath == \"/Inbox\")' | mbx-mime --eml inbox.eml > /dev/null"
	assert_success
	want=$(zstd -dc alice.mbx.zst | grep -a '^{"type":"item"' | jq -r 'select(.folderPath == "/Inbox") | .id' | sort)
	[ -n "$want" ]
	assert_equal "$(grep -h '^X-Mbx-Item-Id: ' inbox.eml/*.eml | tr -d '\r' | cut -d' ' -f2 | sort)" "$want"
	command -v notmuch >/dev/null || skip "notmuch not installed"
	printf '[database]\npath=%s\n[user]\nprimary_email=t@example.com\n' "$PWD/alice.maildir" >nm.cfg
	NOTMUCH_CONFIG=$PWD/nm.cfg notmuch new >/dev/null
	assert_equal "$(NOTMUCH_CONFIG=$PWD/nm.cfg notmuch count '*')" 30
}

@test "README: search a backup and restore only what it finds, byte for byte" {
	command -v zstd >/dev/null || skip "zstd not installed"
	readme 'zstd -dc alice.mbx.zst | mbx-frames --annotate --to-ndjson |'
	readme "  jq -c 'select(.type == \"item\" and (.subject | test(\"Q3\")))' |"
	readme '  mbx-import alice@contoso.com --under /Restored'
	# the generated subjects are words of the emulator's list: "report" stands for "Q3"
	want=$(zstd -dc alice.mbx.zst | mbx-frames --annotate --to-ndjson |
		jq -r 'select(.type == "item" and (.subject | test("report"))) | .sha256' | sort)
	n=$(printf '%s\n' "$want" | grep -c .)
	[ "$n" -gt 2 ] && [ "$n" -lt 30 ] || fail "$n items match"
	run --separate-stderr bash -c "set -o pipefail; zstd -dc alice.mbx.zst | mbx-frames --annotate --to-ndjson |
	  jq -c 'select(.type == \"item\" and (.subject | test(\"report\")))' |
	  mbx-import user2@contoso.com --under /Restored"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" "$n"
	# in the target: exactly those items under /Restored, the same bytes as in the backup
	admin GET "/mailboxes/$MBX2" | jq -r '
		(.folders | map({key: .id, value: .path}) | from_entries) as $path
		| .items[] | select($path[.folderId] | startswith("/Restored/")) | .sha256' | sort >got
	assert_equal "$(cat got)" "$want"
}

@test "--annotate: subject, people, dates, attachments and size in the header; the payload as it was" {
	cat >a.json <<-'EOF'
	[{"header": {"id": "a1", "folderPath": "/Inbox"}, "msg": {"props": [["0x0037", "str", "Q3 numbers — final"],
	   ["0x0039", "time", "2024-01-02T03:04:05Z"], ["0x0E06", "time", "2024-01-02T03:04:09Z"],
	   ["0x0042", "str", "Zoë"], ["0x5D02", "str", "zoe@contoso.com"]],
	  "recipients": [[["0x0C15", "int", 1], ["0x3001", "str", "Bob"], ["0x39FE", "str", "bob@example.com"]],
	                 [["0x0C15", "int", 2], ["0x39FE", "str", "carol@example.com"]],
	                 [["0x0C15", "int", 3], ["0x3001", "str", "Dan"], ["0x3002", "str", "EX"], ["0x3003", "str", "/O=ORG/CN=DAN"]]],
	  "attachments": [{"props": [["0x3705", "int", 1], ["0x3707", "str", "q3.xlsx"], ["0x3701", "bin", {"text": "x"}]]}]}},
	 {"header": {"id": "a2"}, "msg": {"props": [["0x0037", "str", "nothing"]]}}]
	EOF
	$PY "$MBX_SRCDIR/tests/fxpy.py" frames a.json >a.frames
	echo '{"type":"folder","mailbox":"MBX:test@contoso.com","path":"/Inbox"}' >>a.frames
	run --separate-stderr mbx-frames --annotate --to-ndjson a.frames
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3
	assert_equal "$(jq -c 'del(.data, .sha256)' <<<"${lines[0]}")" \
		'{"type":"item","mailbox":"MBX:test@contoso.com","id":"a1","folderPath":"/Inbox","subject":"Q3 numbers — final","from":"Zoë <zoe@contoso.com>","to":["Bob <bob@example.com>"],"cc":["carol@example.com"],"bcc":["Dan <IMCEAEX-_O=ORG_CN=DAN@invalid>"],"sentDateTime":"2024-01-02T03:04:05Z","receivedDateTime":"2024-01-02T03:04:09Z","hasAttachments":true,"attachments":["q3.xlsx"],"itemSize":'"$(head -1 a.frames | jq .size)"',"v":1}'
	assert_equal "$(jq -c '[.subject, .from, .to, .hasAttachments, .attachments, .sentDateTime]' <<<"${lines[1]}")" \
		'["nothing",null,[],false,[],null]'
	assert_equal "${lines[2]}" '{"type":"folder","mailbox":"MBX:test@contoso.com","path":"/Inbox"}'
	# the payloads are untouched, and annotating again changes nothing
	assert_equal "$(printf '%s\n' "${lines[@]:0:2}" | jq -r .sha256)" "$(grep -a '^{"type":"item"' a.frames | jq -r .sha256)"
	mbx-frames --annotate a.frames >once
	mbx-frames --annotate once >twice
	cmp once twice
	printf '%s\n' "${lines[@]:0:2}" | jq -c 'del(.data)' >want
	mbx-frames --to-ndjson once | grep '^{"type":"item"' | jq -c 'del(.data)' | diff want -
}

@test "--annotate: a payload that does not parse is written as it is and reported; with another mode it is a usage error" {
	printf 'not fx' >junk
	$PY -c 'import hashlib, json, sys; p = open("junk", "rb").read(); sys.stdout.buffer.write(json.dumps({"type": "item", "id": "j", "size": len(p), "sha256": hashlib.sha256(p).hexdigest()}).encode() + b"\n" + p + b"\n")' >j.frames
	run --separate-stderr mbx-frames --annotate j.frames
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-frames: j.frames: frame 1 at byte 0 ('j'): not a FastTransfer stream: unknown property type 0x6F6E at offset 0"
	printf '%s\n' "$output" | cmp - <(mbx-frames --to-frames j.frames)
	run --separate-stderr mbx-frames --annotate --verify j.frames
	assert_equal "$status" 2
	assert_equal "$stderr" "mbx-frames: --annotate goes with --to-frames or --to-ndjson"
}

# man LINE: fail unless man/mbx-mime.1 has LINE, as it is.
man_has() {
	grep -qF -- "$1" "$MBX_SRCDIR/man/mbx-mime.1" || fail "mbx-mime(1) lacks: $1"
}

@test "mbx-mime(1) EXAMPLES: the mbox split by mdeliver and browsed, the Maildir indexed, a folder as .eml" {
	command -v mdeliver >/dev/null || skip "mblaze not installed"
	command -v notmuch >/dev/null || skip "notmuch not installed"
	man_has 'mbx-folders alice@contoso.com | mbx-ls | mbx-export | mbx-mime > alice.mbox'
	man_has 'mkdir -p alice/cur alice/new alice/tmp && mdeliver -M -c alice < alice.mbox'
	man_has 'mlist alice | mhdr -h subject'
	man_has 'zstd -dc alice.mbx.zst | mbx-mime --maildir ~/mail/alice > /dev/null && notmuch new'
	man_has "  jq -c 'select(.folderPath == \"/Inbox/Legal\")' | mbx-mime --eml legal > /dev/null"
	# a private home for ~/mail/alice and notmuch's config
	export HOME=$PWD NOTMUCH_CONFIG=$PWD/nm.cfg
	run --separate-stderr bash -c 'set -o pipefail; mbx-folders user1@contoso.com | mbx-ls | mbx-export | mbx-mime > alice.mbox
		mkdir -p alice/cur alice/new alice/tmp && mdeliver -M -c alice < alice.mbox
		mlist alice | mhdr -h subject'
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 30
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort)" "$(zstd -dc alice.mbx.zst | mbx-frames --annotate --to-ndjson | jq -r 'select(.type == "item") | .subject' | sort)"
	printf '[database]\npath=%s\n[user]\nprimary_email=t@example.com\n' "$HOME/mail/alice" >nm.cfg
	run --separate-stderr bash -c 'set -o pipefail; zstd -dc alice.mbx.zst | mbx-mime --maildir ~/mail/alice > /dev/null && notmuch new'
	assert_success
	assert_equal "$(notmuch count '*')" 30
	# a folder of the generated mailbox stands for /Inbox/Legal
	run --separate-stderr bash -c "set -o pipefail; zstd -dc alice.mbx.zst | mbx-frames --to-ndjson |
	  jq -c 'select(.folderPath == \"/Inbox/Projects\")' | mbx-mime --eml legal > /dev/null"
	assert_success
	want=$(zstd -dc alice.mbx.zst | grep -ac '^{"type":"item".*"folderPath":"/Inbox/Projects"')
	[ "$want" -gt 0 ]
	assert_equal "$(ls legal | wc -l)" "$want"
}
