#!/usr/bin/env bats
# Library core through mbx-testtool: streaming JSON, records, paths, redaction, base64.

load helpers

@test "json stream hands out each element of value, whatever the chunk size" {
	doc='{"@odata.context":"x","value":[{"id":"a","n":[1,2,{"x":null}],"b":true},"s",3,{"e":"q\"\n"}],"@odata.nextLink":"https://h/n?$skip=10"}'
	for chunk in 1 3 7 4096; do
		run --separate-stderr mbx-testtool json-stream "$chunk" <<<"$doc"
		assert_success
		assert_equal "$stderr" ""
		assert_equal "${lines[0]}" '{"id":"a","n":[1,2,{"x":null}],"b":true}'
		assert_equal "${lines[1]}" '"s"'
		assert_equal "${lines[2]}" '3'
		assert_equal "${lines[3]}" '{"e":"q\"\n"}'
		assert_equal "${lines[4]}" 'next https://h/n?$skip=10'
		assert_equal "${#lines[@]}" 5
	done
}

@test "json stream: elements before a truncation are delivered, then a clear error" {
	run --separate-stderr mbx-testtool json-stream 5 <<<'{"value":[{"a":1},{"b":'
	assert_equal "$status" 5
	assert_equal "$output" '{"a":1}'
	assert_equal "$stderr" "mbx-testtool: bad JSON: parse error: premature EOF"
}

@test "json stream: malformed JSON is an error, not a crash" {
	run --separate-stderr mbx-testtool json-stream 2 <<<'{"value":[{"a":tru}]}'
	assert_equal "$status" 5
	assert_equal "$output" ""
	assert_regex "$stderr" '^mbx-testtool: bad JSON: lexical error'
}

@test "json stream: an element over the memory bound is refused" {
	big=$(head -c 5000 /dev/zero | tr '\0' x)
	run --separate-stderr mbx-testtool json-stream 512 1024 <<<"{\"value\":[{\"a\":\"$big\"}]}"
	assert_equal "$status" 5
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-testtool: bad JSON: array element larger than 1024 bytes"
}

@test "json stream: each element is the tree yajl_tree_parse makes of its text" {
	doc='{"value":[{"a":[1,-0,1.5,1e400,-1e-400,9223372036854775807,9223372036854775808,-9223372036854775809,0.1e2,true,false,null,"x\u00e9\ud83d\ude00\""],"b":{"c":{},"k":"v"},"d":[]},12,"s",null,[[[]]]],"@odata.nextLink":"n"}'
	for chunk in 1 5 4096; do
		run --separate-stderr mbx-testtool json-stream "$chunk" 4096 check <<<"$doc"
		assert_success
		assert_equal "$stderr" ""
		assert_equal "${lines[0]}" 'same {"a":[1,-0,1.5,1e400,-1e-400,9223372036854775807,9223372036854775808,-9223372036854775809,0.1e2,true,false,null,"xé😀\""],"b":{"c":{},"k":"v"},"d":[]}'
		assert_equal "${lines[1]}" 'same 12'
		assert_equal "${lines[2]}" 'same "s"'
		assert_equal "${lines[3]}" 'same null'
		assert_equal "${lines[4]}" 'same [[[]]]'
		assert_equal "${lines[5]}" 'next n'
		assert_equal "${#lines[@]}" 6
	done
}

@test "json stream: an element nested deeper than 32 levels is refused, the ones before pass" {
	deep=$(printf '%.0s[' $(seq 33))$(printf '%.0s]' $(seq 33))
	ok=$(printf '%.0s[' $(seq 32))$(printf '%.0s]' $(seq 32))
	run --separate-stderr mbx-testtool json-stream 7 <<<"{\"value\":[$ok,{\"a\":1},$deep,{\"b\":2}]}"
	assert_equal "$status" 5
	assert_equal "${lines[0]}" "$ok"
	assert_equal "${lines[1]}" '{"a":1}'
	assert_equal "${#lines[@]}" 2
	assert_equal "$stderr" "mbx-testtool: bad JSON: array element nested deeper than 32 levels"
}

@test "records: bad lines become error records naming the line, the rest pass" {
	long=$(head -c 2000 /dev/zero | tr '\0' x)
	printf '{"a":1}\nnot json\n\n[1]\n{"b":"%s"}\n{"c":2}' "$long" >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr mbx-testtool records <"$BATS_TEST_TMPDIR/in"
	assert_equal "$status" 1
	assert_equal "${lines[0]}" '{"a":1}'
	assert_regex "${lines[1]}" '^\{"type":"error","code":"BadRecord","message":"stdin:2: not a JSON object: lexical error'
	assert_equal "${lines[2]}" '{"type":"error","code":"BadRecord","message":"stdin:4: not a JSON object","program":"mbx-testtool"}'
	assert_equal "${lines[3]}" '{"type":"error","code":"BadRecord","message":"stdin:5: line longer than 1024 bytes","program":"mbx-testtool"}'
	assert_equal "${lines[4]}" '{"c":2}'
	assert_equal "${#lines[@]}" 5
	assert_regex "$stderr" 'mbx-testtool: stdin:4: not a JSON object'
}

@test "paths: escaped slash and backslash split into display names" {
	run --separate-stderr mbx-testtool path-split '/Inbox/Q1\/Q2 Reports/a\\b'
	assert_success
	assert_equal "$output" $'[Inbox]\n[Q1/Q2 Reports]\n[a\\b]'
	assert_equal "$stderr" ""
}

@test "paths: joining escapes what splitting unescapes" {
	run --separate-stderr mbx-testtool path-join Inbox 'Q1/Q2 Reports' 'a\b'
	assert_success
	assert_equal "$output" '/Inbox/Q1\/Q2 Reports/a\\b'
	run --separate-stderr mbx-testtool path-split "$output"
	assert_equal "$output" $'[Inbox]\n[Q1/Q2 Reports]\n[a\\b]'
}

@test "paths: root, trailing slash, and bad paths" {
	run --separate-stderr mbx-testtool path-split /
	assert_success
	assert_equal "$output" ""
	run --separate-stderr mbx-testtool path-split /Inbox/
	assert_equal "$output" "[Inbox]"
	for bad in 'Inbox' '/a//b' '/a\x' '/a\'; do
		run --separate-stderr mbx-testtool path-split "$bad"
		assert_equal "$status" 5
		assert_equal "$output" ""
		assert_equal "$stderr" "mbx-testtool: bad path '$bad'"
	done
}

@test "redaction hides tokens, secrets and import authtokens" {
	run --separate-stderr mbx-testtool redact 'Authorization: Bearer eyJabc.def x https://h/p?authtoken=SEKRET&x=1 client_secret=s3cr%2Bt&a=1 {"access_token":"tok","refresh_token":"rt"}'
	assert_success
	assert_equal "$output" 'Authorization: Bearer [REDACTED] x https://h/p?authtoken=[REDACTED]&x=1 client_secret=[REDACTED]&a=1 {"access_token":"[REDACTED]","refresh_token":"[REDACTED]"}'
	refute_output --partial SEKRET
}

@test "base64 both alphabets, padded or not; garbage refused" {
	run mbx-testtool b64enc hello
	assert_output aGVsbG8=
	run mbx-testtool b64dec aGVsbG8=
	assert_output hello
	run mbx-testtool b64dec aGVsbG8
	assert_output hello
	run mbx-testtool b64urlenc '??>'
	assert_output 'Pz8-'
	run mbx-testtool b64dec 'Pz8-'
	assert_output '??>'
	run --separate-stderr mbx-testtool b64dec 'aGV*bG8='
	assert_equal "$status" 5
	run --separate-stderr mbx-testtool b64dec 'aGVsb'
	assert_equal "$status" 5
}

# The decoder has a vector path (AVX2, 32 characters a step) and a scalar one
# (MBX_NO_AVX2=1): both must agree with coreutils whatever the chunking, fall back for
# the URL-safe alphabet, and refuse a bad character wherever it sits in a block.
@test "base64 agrees with coreutils both ways, on both decoding paths, at any chunk size" {
	d=$BATS_TEST_TMPDIR
	for n in 0 1 2 3 23 24 25 47 48 49 1000 65536 100003; do
		head -c "$n" /dev/urandom >"$d/raw"
		base64 -w0 <"$d/raw" >"$d/b64"
		for vec in "" 1; do
			for chunk in 1 5 32 33 4096 1048576; do
				MBX_NO_AVX2=$vec mbx-testtool b64dec-stream "$chunk" <"$d/b64" >"$d/out" \
					2>"$d/err" || fail "n=$n chunk=$chunk no_avx2=$vec: exit $?"
				cmp -s "$d/raw" "$d/out" || fail "n=$n chunk=$chunk no_avx2=$vec: bytes differ"
				[ ! -s "$d/err" ] || fail "stderr: $(cat "$d/err")"
			done
		done
	done
	# encoding, both alphabets
	for n in 0 1 2 3 4 5 1000 65536; do
		head -c "$n" /dev/urandom >"$d/raw"
		mbx-testtool b64enc-stream <"$d/raw" >"$d/enc"
		assert_equal "$(cat "$d/enc")" "$(base64 -w0 <"$d/raw")"
		mbx-testtool b64enc-stream url <"$d/raw" >"$d/enc"
		assert_equal "$(cat "$d/enc")" "$(base64 -w0 <"$d/raw" | tr '+/' '-_' | tr -d =)"
	done
	# the URL-safe alphabet inside what would be a vector block
	head -c 3000 /dev/urandom | base64 -w0 >"$d/b64"
	tr '+/' '-_' <"$d/b64" >"$d/url"
	base64 -d <"$d/b64" >"$d/raw"
	for vec in "" 1; do
		MBX_NO_AVX2=$vec run mbx-testtool b64dec-stream 4096 <"$d/url"
		assert_success
		cmp -s "$d/raw" <(MBX_NO_AVX2=$vec mbx-testtool b64dec-stream 4096 <"$d/url")
	done
}

@test "base64 decoding stops at a bad character in any place of a block" {
	d=$BATS_TEST_TMPDIR
	head -c 600 /dev/urandom >"$d/raw"
	base64 -w0 <"$d/raw" >"$d/b64"
	for pos in 0 5 31 32 63 100 333 797; do
		for bad in '*' ' ' '=' $'\x80' '"' $'\x01'; do
			{ head -c "$pos" "$d/b64"; printf '%s' "$bad"; tail -c +$((pos + 2)) "$d/b64"; } >"$d/in"
			for vec in "" 1; do
				rc=0
				MBX_NO_AVX2=$vec mbx-testtool b64dec-stream 4096 <"$d/in" >"$d/out" 2>"$d/err" || rc=$?
				[ "$rc" -eq 5 ] || fail "pos=$pos no_avx2=$vec: exit $rc, expected 5"
				# every whole quad before the bad character decoded, nothing after it
				head -c $((pos / 4 * 3)) "$d/raw" >"$d/want"
				cmp -s "$d/want" "$d/out" || fail "pos=$pos no_avx2=$vec: decoded $(wc -c <"$d/out") bytes"
				[ ! -s "$d/err" ] || fail "stderr: $(cat "$d/err")"
			done
		done
	done
}

@test "URL escaping keeps only unreserved characters" {
	run mbx-testtool urlenc 'MBX:a@b/c+d=e f~'
	assert_output 'MBX%3Aa%40b%2Fc%2Bd%3De%20f~'
}

@test "sha256 is lowercase hex" {
	run mbx-testtool sha256 abc
	assert_output ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
}

@test "exportItems reader: any chunking, escapes, errors, extra members, any order" {
	doc='{"@odata.context":"x","value":[{"itemId":"a\/b","changeKey":"ck","data":"aGVs\/G8="},{"itemId":"z","error":{"code":"ErrorItemNotFound","message":"nf"}} , {"data":"aGVsbG8","itemId":"c","extra":{"x":[1,true,null]}}],"n":-1.5e3}'
	for chunk in 1 2 7 4096; do
		run --separate-stderr mbx-testtool xparse "$chunk" <<<"$doc"
		assert_success
		assert_equal "$stderr" ""
		assert_equal "${lines[0]}" "[a/b] [ck] [] [] a7594956716c45829445cae1c2b497c02ee586846e606979a50518b975534dc7 5"
		assert_equal "${lines[1]}" "[z] [] [ErrorItemNotFound] [nf] - 0"
		assert_equal "${lines[2]}" "[c] [] [] [] 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 5"
	done
}

@test "exportItems reader: bad base64, truncation and broken JSON are errors" {
	run --separate-stderr mbx-testtool xparse 3 <<<'{"value":[{"itemId":"a","data":"aGV*"}]}'
	assert_equal "$status" 5
	assert_equal "$stderr" 'mbx-testtool: bad response: "data" is not valid base64'
	run --separate-stderr mbx-testtool xparse 3 <<<'{"value":[{"itemId":"a","data":"aGVsbG8="},{"itemId":"b","da'
	assert_equal "$status" 5
	assert_equal "${#lines[@]}" 1
	assert_equal "$stderr" "mbx-testtool: bad response: premature end of JSON"
	run --separate-stderr mbx-testtool xparse 3 <<<'{"value":[{"itemId":"a"]}'
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: bad response: mismatched bracket"
}
