#!/usr/bin/env bats
# Inputs that broke a reader under the libFuzzer harnesses of tests/fuzz/ ("make fuzz"),
# or that were found while writing them, kept as regression tests. The small ones are
# files in tests/fuzz/regress/; the large ones are made here.

load helpers

REGRESS=$MBX_SRCDIR/tests/fuzz/regress

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# nested N: an item header whose "a" member nests N arrays (2N+21 bytes, under 1 MiB).
nested() {
	printf '{"type":"item","a":'
	head -c "$1" /dev/zero | tr '\0' '['
	head -c "$1" /dev/zero | tr '\0' ']'
	printf '}\n'
}

@test "a header nested 300000 deep is a bad frame, not a stack overflow (lib/base/json.c)" {
	# found reviewing the frame reader for fuzz-frame (whose inputs stay under 4 KB):
	# yajl_tree_free recursed once per level and overflowed the stack (SIGSEGV)
	nested 300000 >deep
	printf '{"type":"error","code":"x"}\n' >>deep
	run --separate-stderr mbx-testtool frames-read <deep
	assert_equal "$status" 5
	assert_equal "$output" "2 600021 error - 0"
	assert_equal "$stderr" "mbx-testtool: stdin: frame 1 at byte 0: header is not a JSON object: JSON nested deeper than 32 levels"
	run --separate-stderr mbx-frames -t <deep
	assert_equal "$status" 5
	assert_regex "$stderr" "^mbx-frames: stdin: frame 1 at byte 0: header is not a JSON object: JSON nested deeper than 32 levels"
}

@test "a record nested 33 deep is a bad record, not written back as broken JSON (lib/base/json.c)" {
	# found writing fuzz-records (which now checks it): the record was read, but mbx_jw
	# writes 32 levels at most and mbx_record_write does not look at w.err, so an error
	# record passed down the pipe came out as broken JSON
	run --separate-stderr mbx-testtool records <"$REGRESS/records-nested-33.ndjson"
	assert_equal "$status" 1
	assert_equal "$output" '{"type":"error","code":"BadRecord","message":"stdin:1: not a JSON object: JSON nested deeper than 32 levels","program":"mbx-testtool"}'
	assert_equal "$stderr" "mbx-testtool: stdin:1: not a JSON object: JSON nested deeper than 32 levels"
	# 32 levels still read, and write back unchanged
	sed 's/\[\[/[/; s/\]\]/]/' "$REGRESS/records-nested-33.ndjson" >ok
	run --separate-stderr mbx-testtool records <ok
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$output" "$(cat ok)"
	nested 31 >frame-ok
	run --separate-stderr mbx-testtool frames-read <frame-ok
	assert_success
	assert_equal "$output" "1 0 item - 0"
}

@test "exportItems reader: an itemId or error message over 1023 bytes is cut the same in any chunking (exportitems.c)" {
	# fuzz-xparse: fed whole, a run longer than the room left was dropped ("");
	# fed in small chunks, it was cut at 1023 bytes
	a=$(head -c 1023 /dev/zero | tr '\0' A)
	m=$(head -c 1023 /dev/zero | tr '\0' m)
	e=$(head -c 127 /dev/zero | tr '\0' E)
	for chunk in 1 7 1000 65536; do
		run --separate-stderr mbx-testtool xparse "$chunk" <"$REGRESS/xparse-long-strings.json"
		assert_success
		assert_equal "$stderr" ""
		assert_equal "$output" "[$a] [ck] [] [] - 0
[z] [] [$e] [$m] - 0"
	done
}

@test "mbx-graphd: a bad escape before '(' in a path is a 400, not a crash (routes.c)" {
	graphd_start --generate users=1
	path=$(head -n 1 "$REGRESS/graphd-paren-bad-escape.txt")
	run curl -sS --cacert "$MBX_CACERT" -w '\n%{http_code}' "$GRAPHD_URL$path"
	assert_success
	assert_equal "$(tail -n 1 <<<"$output")" 400
	assert_equal "$(sed '$d' <<<"$output" | jq -r .error.message)" "Invalid request path."
	# still serving
	run curl -sS --cacert "$MBX_CACERT" -w '\n%{http_code}' "$GRAPHD_URL/_admin/mailboxes"
	assert_success
	assert_equal "$(tail -n 1 <<<"$output")" 200
	kill -0 "$GRAPHD_PID"
	graphd_stop
}

@test "mbox: a label that is not UTF-8 makes a frame every reader takes (toframes.c, jwrite.c)" {
	# fuzz-mbox: "X-Gmail-Labels:, \xb6" became the category "\xc2" (half of U+00B6),
	# which went into the header as it was: mbx-frames found broken JSON, lost the
	# frame boundary and read the payload as two more bad frames
	for labels in folders categories; do
		mbx-mime --to-frames --labels "$labels" "$REGRESS/mbox-label-8bit.mbox" >f
		run --separate-stderr mbx-frames -t <f
		assert_success
		assert_equal "$stderr" ""
		assert_equal "$(jq -c '[.folderPath, .categories, .defects]' <<<"$output")" \
			"$(jq -nc --arg l "$labels" 'if $l == "folders" then ["/¶", null, ["headerNotUtf8"]] else ["/Archive", ["¶"], ["headerNotUtf8"]] end')"
		python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <<<"$output"
	done
}

@test "mbox: a summary larger than a frame header is cut in the header, whole in the payload (toframes.c)" {
	# a subject of 600,000 control bytes is 3.6 MB as JSON: the frame's header was
	# written anyway, exit 0, and no reader could take it (header line longer than 1 MiB);
	# then it was an error record, the message lost. Now the summary is cut, the payload
	# keeps the whole subject (read by tests/fxpy.py, not lib/fx)
	{ printf 'From a@b Mon Jan  1 00:00:00 2024\nSubject: '
	  head -c 600000 /dev/zero | tr '\0' '\001'
	  printf '\n\nhi\nFrom a@b Mon Jan  1 00:00:00 2024\nSubject: small\n\nhi\n'; } >big.mbox
	run --separate-stderr bash -c 'mbx-mime --to-frames big.mbox >f'
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr mbx-frames -t <f
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.type, .offset, (.subject | length), .summaryCut]' <<<"$output")" \
		"$(printf '%s\n' '["item",0,1024,true]' '["item",600048,5,null]')"
	assert_equal "$(jq -r 'select(.offset == 0) | .subject | explode | unique | tostring' <<<"$output")" "[1]"
	run python3 "$MBX_SRCDIR/tests/fxpy.py" texts f
	assert_success
	assert_equal "$(jq -c '[(.subject | length), (.subject | explode | unique)]' <<<"$output")" \
		"$(printf '%s\n' '[600000,[1]]' '[5,[97,108,109,115]]')"
}

@test "mbox: a Message-ID too large for a frame header even with the summary cut is an error record, the next message a frame (toframes.c)" {
	# the id and messageId members both hold the Message-ID (600 KB each), which a cut
	# summary does not shorten: the message cannot be a frame, and says so
	{ printf 'From a@b Mon Jan  1 00:00:00 2024\nMessage-ID: <'
	  head -c 600000 /dev/zero | tr '\0' 'x'
	  printf '@b>\nSubject: big\n\nhi\nFrom a@b Mon Jan  1 00:00:00 2024\nSubject: small\n\nhi\n'; } >mid.mbox
	run --separate-stderr bash -c 'mbx-mime --to-frames mid.mbox >f'
	assert_equal "$status" 1
	assert_equal "$stderr" "mbx-mime: cannot convert message 1 at byte 0 of 'mid.mbox': its header is larger than a frame header holds (1 MiB) even with its summary cut"
	run --separate-stderr mbx-frames -t <f      # an error record passed on is exit 1
	assert_equal "$status" 1
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.type, .code, .offset, .subject[:5]]' <<<"$output")" \
		"$(printf '%s\n' '["error","TooLarge",0,"<xxxx"]' '["item",null,600068,"small"]')"
}
