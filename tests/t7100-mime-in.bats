#!/usr/bin/env bats
# mbx-mime --to-frames (issue 16 item 1): .eml files, mbox (mboxrd and mboxo quoting
# undone, From_ lines), Maildir folders, names on stdin, the NDJSON form; the header
# records carry what a later stage needs; usage and input errors.

load helpers

PY=/usr/bin/python3

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# eml NAME SUBJECT [MESSAGE-ID] [BODY]: a small message.
eml() {
	{
		printf 'From: Ann Example <ann@example.com>\n'
		printf 'To: Bob <bob@example.org>, carol@example.net\n'
		printf 'Cc: =?utf-8?q?D=C3=A4ve?= <dave@example.com>\n'
		printf 'Subject: %s\n' "$2"
		printf 'Date: Tue, 02 Jan 2024 03:04:05 +0100\n'
		[ -z "${3:-}" ] || printf 'Message-ID: %s\n' "$3"
		printf '\n%b' "${4:-Hello.\n}"
	} >"$1"
}

@test "an .eml becomes one item frame whose header says where it goes and what it is" {
	eml a.eml 'Re: Grüße' '<a@example.com>'
	run --separate-stderr mbx-mime --to-frames a.eml
	assert_success
	assert_equal "$stderr" ""
	mbx-mime --to-frames a.eml >a.frames
	run --separate-stderr mbx-frames --verify a.frames
	assert_success
	run --separate-stderr bash -c "mbx-frames -t a.frames | jq -c '[.type, .mailbox, .id, .class, .messageId, .subject, .from, .to, .cc, .bcc, .sentDateTime, .rfc822Size, .file, .offset, .isRead, has(\"folderPath\")]'"
	assert_success
	assert_output "[\"item\",\"mime\",\"<a@example.com>\",\"IPM.Note\",\"<a@example.com>\",\"Re: Grüße\",\"Ann Example <ann@example.com>\",[\"Bob <bob@example.org>\",\"carol@example.net\"],[\"Däve <dave@example.com>\"],[],\"2024-01-02T02:04:05Z\",$(wc -c <a.eml),\"a.eml\",0,true,false]"
	# itemSize is the frame's payload, as mbx-frames --annotate says it
	assert_equal "$(mbx-frames -t a.frames | jq '.itemSize == .size')" true
}

@test "an mbox: a frame per message at the offset of its From_ line, quoting undone" {
	eml m1 'one' '<1@x>' 'Body one.\n>From here (mboxrd quoted once)\n>>From there (twice)\n'
	eml m2 'two' '<2@x>' 'Body two.\n'
	eml m3 'three' '<3@x>' 'Body three.\n'
	{ printf 'From ann@example.com Mon Jan  1 10:00:00 2024\n'; cat m1; printf '\n'
	  printf 'From ann@example.com Wed Mar 04 10:00:00 +0000 2020\n'; cat m2; printf '\n'
	  printf 'From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n'; cat m3; printf '\n'; } >box
	run --separate-stderr mbx-mime --to-frames box
	assert_success
	assert_equal "$stderr" ""
	mbx-mime --to-frames box >box.frames
	assert_equal "$(mbx-frames -t box.frames | jq -r '"\(.offset) \(.id)"')" \
		"$(grep -b '^From ' box | while IFS=: read -r off _; do echo "$off"; done | paste -d' ' - <(printf '<1@x>\n<2@x>\n<3@x>\n'))"
	# each message is itself, its quoting undone (one '>' less on two lines): the
	# separating empty line is not part of it
	assert_equal "$(mbx-frames -t box.frames | jq -r .rfc822Size | tr '\n' ' ')" \
		"$(( $(wc -c <m1) - 2 )) $(wc -c <m2) $(wc -c <m3) "
	# back through the writer, read by Python: the body lines as they were written
	mkdir out
	mbx-mime --eml out box.frames >/dev/null
	run $PY -c '
import email, email.policy, glob, sys
for f in sorted(glob.glob("out/*.eml")):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    if m["subject"] == "one":
        print(m.get_content().replace("\r\n", "\n"), end="")'
	assert_success
	assert_output "$(printf 'Body one.\nFrom here (mboxrd quoted once)\n>From there (twice)')"
}

@test "a Maildir: folders from Maildir++ and plain directories, flags and times" {
	mkdir -p md/cur md/new md/tmp md/.Work.Projects/cur md/.Work.Projects/new md/Lists/x/cur
	eml md/cur/1700000001.a.host:2,S 'read' '<r@x>'
	eml md/new/1700000002.b.host 'new' '<n@x>'
	eml md/tmp/1700000003.c.host 'in tmp' '<t@x>'
	eml md/.Work.Projects/cur/1700000004.d.host:2,FS 'flagged' '<f@x>'
	eml md/Lists/x/cur/1700000005.e.host:2, 'unread' '<u@x>'
	touch md/cur/.hidden
	touch -d '2024-02-03 04:05:06Z' md/new/1700000002.b.host
	run --separate-stderr mbx-mime --to-frames md
	assert_success
	assert_equal "$stderr" ""
	mbx-mime --to-frames md >md.frames
	run bash -c "mbx-frames -t md.frames | jq -r '\"\(.id) \(.folderPath) \(.isRead)\"'"
	# folders in byte order of their names (".Work..." before "Lists"), cur/ before new/
	assert_output "$(printf '%s\n' '<r@x> /Inbox true' '<n@x> /Inbox false' \
		'<f@x> /Work/Projects true' '<u@x> /Lists/x false')"
	# the flag went to PidTagFlagStatus (2, followupFlagged); tmp/ and dot files are not mail
	assert_equal "$(mbx-frames --decode md.frames | jq -r 'select(.id == "<f@x>") | .fx.properties[] | select(.tag == "0x10900003") | .value')" 2
	assert_equal "$(mbx-frames -t md.frames | wc -l)" 4
	# no Received field: the delivery time is the file's mtime (mime.md 3.5's order)
	assert_equal "$(mbx-frames -t md.frames | jq -r 'select(.id == "<n@x>") | .receivedDateTime')" \
		2024-02-03T04:05:06Z
}

@test "--files-from: names on stdin, one per line, of any kind; stdin itself is an mbox or one message" {
	eml a.eml 'a' '<a@x>'
	eml b.eml 'b' '<b@x>'
	{ printf 'From x@y Mon Jan  1 00:00:00 2024\n'; cat b.eml; } >b.mbox
	mkdir -p md/cur
	eml md/cur/1.x:2,S 'c' '<c@x>'
	run --separate-stderr bash -c 'printf "a.eml\nb.mbox\n\nmd\n" | mbx-mime --to-frames --files-from - | mbx-frames -t | jq -r .id'
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(printf '<a@x>\n<b@x>\n<c@x>')"
	run --separate-stderr bash -c "mbx-mime --to-frames <a.eml | mbx-frames -t | jq -r '\"\\(.id) \\(.file)\"'"
	assert_output '<a@x> stdin'
	run --separate-stderr bash -c 'cat b.mbox b.mbox | mbx-mime --to-frames - | mbx-frames -t | jq -r .offset'
	assert_output "$(printf '0\n%s' "$(wc -c <b.mbox)")"
}

@test "--ndjson: one record per message, the same payload inline" {
	eml a.eml 'a' '<a@x>'
	mbx-mime --to-frames a.eml >a.frames
	run --separate-stderr mbx-mime --to-frames --ndjson a.eml
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	printf '%s\n' "$output" >a.ndjson
	run --separate-stderr mbx-frames --verify a.ndjson
	assert_success
	assert_equal "$(jq -r .data a.ndjson | base64 -d | sha256sum)" "$(mbx-frames --to-ndjson a.frames | jq -r .data | base64 -d | sha256sum)"
	assert_equal "$(jq -c 'del(.data)' a.ndjson)" "$(mbx-frames -t a.frames | jq -c 'del(.size)')"
}

@test "--stats: messages in, items and error records out" {
	eml a.eml 'a' '<a@x>'
	: >empty.eml
	run --separate-stderr mbx-mime --to-frames --stats st.json a.eml empty.eml
	assert_failure 1
	assert_equal "$stderr" "mbx-mime: cannot convert message 1 at byte 0 of 'empty.eml': the message is empty"
	assert_equal "$(jq -c '[.program, .messages, .items, .errors, .records]' st.json)" '["mbx-mime",2,1,1,1]'
}

@test "usage errors: a bad --labels, --ndjson without --to-frames, --files-from with files" {
	run --separate-stderr mbx-mime --to-frames --labels tags x
	assert_failure 2
	assert_equal "$stderr" "mbx-mime: invalid --labels 'tags': expected folders, categories or none"
	run --separate-stderr mbx-mime --ndjson x
	assert_failure 2
	assert_equal "$stderr" "mbx-mime: --ndjson, --labels and --files-from go with --to-frames"
	run --separate-stderr mbx-mime --to-frames --files-from - x
	assert_failure 2
	assert_equal "$stderr" "mbx-mime: --files-from and FILE arguments exclude each other"
	assert_output ""
}

@test "a missing input is told and the others are converted (exit 6)" {
	eml a.eml 'a' '<a@x>'
	run --separate-stderr bash -c 'mbx-mime --to-frames nosuch.eml a.eml | mbx-frames -t | jq -r .id; exit ${PIPESTATUS[0]}'
	assert_failure 6
	assert_equal "$stderr" "mbx-mime: cannot open 'nosuch.eml': No such file or directory"
	assert_output '<a@x>'
}
