#!/usr/bin/env bats
# lib/mime's pieces (mbx-testtool mime ...): LZFu against the worked examples of
# MS-OXRTFCP section 3 and an independent compressor (tests/fxpy.py), RTF
# de-encapsulation (MS-OXRTFEX), code pages against Python's codecs, and the header and
# body encodings as Python's email package reads them back.

load helpers

PY=/usr/bin/python3

setup() {
	cd "$BATS_TEST_TMPDIR"
	# MS-OXRTFCP 3.1.1: "{\rtf1\ansi\ansicpg1252\pard hello world}" CRLF, compressed
	printf '\x2d\x00\x00\x00\x2b\x00\x00\x00\x4c\x5a\x46\x75\xf1\xc5\xc7\xa7' >ex1
	printf '\x03\x00\x0a\x00\x72\x63\x70\x67\x31\x32\x35\x42\x32\x0a\xf3\x20' >>ex1
	printf '\x68\x65\x6c\x09\x00\x20\x62\x77\x05\xb0\x6c\x64\x7d\x0a\x80\x0f\xa0' >>ex1
	printf '{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n' >ex1.rtf
	# MS-OXRTFCP 3.1.2: a reference that reads what it writes ("WXYZ" x 5)
	printf '\x1a\x00\x00\x00\x1c\x00\x00\x00\x4c\x5a\x46\x75\xe2\xd4\x4b\x51' >ex2
	printf '\x41\x00\x04\x20\x57\x58\x59\x5a\x0d\x6e\x7d\x01\x0e\xb0' >>ex2
	printf '{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}' >ex2.rtf
}

# mkrtf OUT RAW...: RAW bytes (printf) as the uncompressed (MELA) form.
mela() {
	local out=$1 n
	shift
	printf "$@" >"$out.raw"
	n=$(wc -c <"$out.raw")
	$PY -c 'import struct,sys; n=int(sys.argv[1]); sys.stdout.buffer.write(struct.pack("<IIII", n + 12, n, 0x414C454D, 0) + open(sys.argv[2], "rb").read())' "$n" "$out.raw" >"$out"
}

@test "LZFu: the worked examples of MS-OXRTFCP 3.1 decompress to their RTF, CRC checked" {
	run --separate-stderr mbx-testtool mime lzfu ex1
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(mbx-testtool mime lzfu ex1 | od -An -c)" "$(od -An -c ex1.rtf)"
	run --separate-stderr mbx-testtool mime lzfu ex2
	assert_success
	assert_output '{\rtf1 WXYZWXYZWXYZWXYZWXYZ}'
	# the CRC field is that of the bytes after the header (2.1.3.2)
	tail -c +17 ex1 >ex1.data
	assert_equal "$(mbx-testtool mime crc ex1.data)" "a7c7c5f1"
	tail -c +17 ex2 >ex2.data
	assert_equal "$(mbx-testtool mime crc ex2.data)" "514bd4e2"
}

@test "LZFu: the uncompressed form (MELA) of the same RTF, and an independent compressor" {
	mela m1 '{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n'
	run --separate-stderr mbx-testtool mime lzfu m1
	assert_success
	assert_equal "$(mbx-testtool mime lzfu m1 | od -An -c)" "$(od -An -c ex1.rtf)"
	# fxpy.py's greedy compressor, with the ring wrapping (> 4096 bytes) and long runs
	{ printf '{\\rtf1\\ansi '; for i in $(seq 1 300); do printf 'line %d \\par\r\n' "$i"; done
	  head -c 3000 /dev/zero | tr '\0' 'x'; printf '}'; } >big.rtf
	$PY "$MBX_SRCDIR/tests/fxpy.py" lzfu big.rtf >big.lzfu
	run --separate-stderr mbx-testtool mime lzfu big.lzfu
	assert_success
	assert_equal "$(mbx-testtool mime lzfu big.lzfu | sha256sum)" "$(sha256sum <big.rtf)"
	[ "$(wc -c <big.lzfu)" -lt "$(wc -c <big.rtf)" ]
}

@test "LZFu: CRC errors, overruns, short data and stray bytes are refused with a clear error" {
	cp ex1 crc; printf '\x00' | dd of=crc bs=1 seek=20 conv=notrunc 2>/dev/null
	run --separate-stderr mbx-testtool mime lzfu crc
	assert_equal "$status" 5
	assert_output ""
	assert_equal "$stderr" "mbx-testtool: compressed RTF fails its CRC (0xA7C7C5F1 declared, 0x$(tail -c +17 crc >c.d; mbx-testtool mime crc c.d | tr a-f A-F) computed)"
	# RAWSIZE 40 where the data makes 43: an overrun
	cp ex1 over; printf '\x28' | dd of=over bs=1 seek=4 conv=notrunc 2>/dev/null
	run --separate-stderr mbx-testtool mime lzfu over
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: compressed RTF overruns its raw size of 40 bytes"
	# RAWSIZE 50: the data stops short of it
	cp ex1 under; printf '\x32' | dd of=under bs=1 seek=4 conv=notrunc 2>/dev/null
	run --separate-stderr mbx-testtool mime lzfu under
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: compressed RTF makes 43 bytes, declares 50"
	# cut: COMPSIZE says more than there is
	head -c 40 ex1 >cut
	run --separate-stderr mbx-testtool mime lzfu cut
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: compressed RTF declares 45 bytes after its size field, has 36"
	head -c 10 ex1 >tiny
	run --separate-stderr mbx-testtool mime lzfu tiny
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: compressed RTF of 10 bytes is shorter than its header"
	# a byte after the end marker (COMPSIZE and CRC made to match it)
	$PY -c 'import struct,sys; d=open("ex1","rb").read()[16:] + b"\0"; sys.path.insert(0, sys.argv[1]); import fxpy; sys.stdout.buffer.write(struct.pack("<IIII", len(d) + 12, 43, 0x75465A4C, fxpy.crc32(d)) + d)' "$MBX_SRCDIR/tests" >stray
	run --separate-stderr mbx-testtool mime lzfu stray
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: compressed RTF has 1 bytes after its end marker"
	# no end marker: the last run cut before it (CRC made to match)
	$PY -c 'import struct,sys; d=open("ex1","rb").read()[16:-2]; sys.path.insert(0, sys.argv[1]); import fxpy; sys.stdout.buffer.write(struct.pack("<IIII", len(d) + 12, 43, 0x75465A4C, fxpy.crc32(d)) + d)' "$MBX_SRCDIR/tests" >noend
	run --separate-stderr mbx-testtool mime lzfu noend
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: compressed RTF ends without its end marker"
	cp ex1 type; printf 'XXXX' | dd of=type bs=1 seek=8 conv=notrunc 2>/dev/null
	run --separate-stderr mbx-testtool mime lzfu type
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: compressed RTF of unknown type 0x58585858"
	# MELA that declares more than it carries
	mela m2 'abc'; printf '\x09' | dd of=m2 bs=1 seek=4 conv=notrunc 2>/dev/null
	run --separate-stderr mbx-testtool mime lzfu m2
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: uncompressed RTF declares 9 bytes, has 3"
}

@test "RTF: encapsulated HTML (MS-OXRTFEX) comes out as the HTML, \\htmlrtf runs left out" {
	cat >h.rtf <<-'EOF'
	{\rtf1\ansi\ansicpg1251\fromhtml1 \deff0{\fonttbl
	{\f0\fswiss\fcharset204 Arial;}{\f1\fmodern\fcharset0 Courier New;}}
	{\*\htmltag19 <html>}{\*\htmltag34 <body>}\htmlrtf {\f0 \htmlrtf0 \'cf\'f0\'e8\'e2\'e5\'f2
	{\*\htmltag84 <b>}bold{\*\htmltag92 </b>}\htmlrtf\par\htmlrtf0 {\f1 caf\'e9} \u8364?\uc2\u20320\'3f\'3f end\{\}\\
	\htmlrtf}\htmlrtf0{\*\htmltag35 </body>}{\*\htmltag27 </html>}}
	EOF
	run --separate-stderr mbx-testtool mime rtf h.rtf
	assert_success
	assert_equal "$stderr" "html"
	assert_output '<html><body>Привет<b>bold</b>café €你 end{}\</body></html>'
}

@test "RTF: encapsulated text, and plain RTF stripped to its text" {
	printf '{\\rtf1\\ansi\\fromtext \\deff0{\\fonttbl{\\f0 Arial;}}\\f0 one\\par two\\tab three}' >t.rtf
	run --separate-stderr mbx-testtool mime rtf t.rtf
	assert_success
	assert_equal "$stderr" "text"
	assert_output "$(printf 'one\ntwo\tthree')"
	printf '{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}{\\colortbl;\\red255;}{\\*\\generator X;}{\\info{\\title T}}\\f0 Hello {\\b bold} \\emdash{\\pict\\bin2 {}} w\\par{\\field{\\*\\fldinst HYPERLINK}{\\fldrslt link}}}' >p.rtf
	run --separate-stderr mbx-testtool mime rtf p.rtf
	assert_success
	assert_equal "$stderr" "none"
	assert_output "$(printf 'Hello bold \xe2\x80\x94 w\nlink')"
}

@test "RTF: what is not RTF, or nests too deep, is refused" {
	printf 'hello' >n.rtf
	run --separate-stderr mbx-testtool mime rtf n.rtf
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: not RTF: it does not start with {\\rtf"
	{ printf '{\\rtf1 '; head -c 2000 /dev/zero | tr '\0' '{'; } >d.rtf
	run --separate-stderr mbx-testtool mime rtf d.rtf
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: RTF nests deeper than 1024 groups"
}

@test "code pages: names both ways, as Outlook writes them" {
	assert_equal "$(mbx-testtool mime cp 50220)" "iso-2022-jp known"
	assert_equal "$(mbx-testtool mime cp 949)" "ks_c_5601-1987 known"
	assert_equal "$(mbx-testtool mime cp 20127)" "us-ascii known"
	assert_equal "$(mbx-testtool mime cp 65001)" "utf-8 known"
	assert_equal "$(mbx-testtool mime cp 12345)" "- unknown"
	for pair in iso-2022-jp:50220 ISO-2022-JP:50220 ks_c_5601-1987:949 euc-kr:51949 \
		Shift_JIS:932 x-sjis:932 windows-1252:1252 cp1252:1252 latin1:28591 utf8:65001 \
		UTF-8:65001 us-ascii:20127 koi8-r:20866 gb2312:936 gbk:936 big5:950 \
		iso-8859-15:28605 windows-1251:1251 x-mac-roman:10000 nonsense:0; do
		assert_equal "$(mbx-testtool mime cp "${pair%:*}")" "${pair#*:}"
	done
}

# glibc composes base letters and combining marks of CP1255 (NFC), Python does not:
# both are compared in NFC. (CP1258, whose glibc decoder also reorders, is left out.)
@test "code pages: every byte of the single-byte pages decodes as Python's codecs do" {
	$PY -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >all
	for pair in 1250:cp1250 1251:cp1251 1252:cp1252 1253:cp1253 1254:cp1254 1255:cp1255 \
		1256:cp1256 1257:cp1257 874:cp874 437:cp437 850:cp850 866:cp866 \
		20866:koi8_r 21866:koi8_u 28591:latin_1 28592:iso8859_2 28595:iso8859_5 \
		28597:iso8859_7 28605:iso8859_15 20127:ascii; do
		cp=${pair%:*} codec=${pair#*:}
		mbx-testtool mime decode "$cp" all >got 2>bad || fail "decode $cp failed"
		$PY -c 'import sys, unicodedata as u; sys.stdout.buffer.write(u.normalize("NFC", open("all","rb").read().decode(sys.argv[1], "replace")).encode())' "$codec" >want
		$PY -c 'import sys, unicodedata as u; sys.stdout.buffer.write(u.normalize("NFC", open("got","rb").read().decode()).encode())' >got.nfc
		cmp got.nfc want || fail "code page $cp differs from Python's $codec"
	done
}

@test "code pages: multi-byte and stateful pages, UTF-16 and UTF-8, invalid bytes counted" {
	text='日本語のテキスト、ｶﾀｶﾅ and ASCII'
	for pair in 50220:iso2022_jp 932:cp932 51932:euc_jp 936:gbk 949:cp949 950:cp950 \
		54936:gb18030 1200:utf_16_le 1201:utf_16_be 65001:utf_8; do
		cp=${pair%:*} codec=${pair#*:}
		t=$text
		[ "$codec" = iso2022_jp ] && t='日本語のテキスト and ASCII'    # no half-width kana in JIS
		[ "$codec" = gbk ] || [ "$codec" = cp950 ] || [ "$codec" = cp949 ] && t='中文 한 and ASCII'
		[ "$codec" = gbk ] || [ "$codec" = cp950 ] && t='中文 and ASCII'
		$PY -c 'import sys; sys.stdout.buffer.write(sys.argv[1].encode(sys.argv[2]))' "$t" "$codec" >in
		run --separate-stderr mbx-testtool mime decode "$cp" in
		assert_success
		assert_equal "$stderr" ""
		assert_equal "$output" "$t"
	done
	printf 'ok \xff\xfe x \xe2\x82' >badutf8
	run --separate-stderr mbx-testtool mime decode 65001 badutf8
	assert_success
	assert_equal "$output" "$(printf 'ok \xef\xbf\xbd\xef\xbf\xbd x \xef\xbf\xbd\xef\xbf\xbd')"
	assert_equal "$stderr" "4 bad"
	printf 'a\x00\x00\xd8b\x00' >surr                 # an unpaired high surrogate
	run --separate-stderr mbx-testtool mime decode 1200 surr
	assert_equal "$output" "$(printf 'a\xef\xbf\xbdb')"
	assert_equal "$stderr" "1 bad"
	printf 'x' >one
	run --separate-stderr mbx-testtool mime decode 12345 one
	assert_equal "$status" 5
	assert_equal "$stderr" "mbx-testtool: unknown code page 12345"
}

# pyhdr FILE: the headers of FILE as Python's email (policy default) reads them, with
# the defects of each.
pyhdr() {
	$PY -c '
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read() + b"\n", policy=email.policy.default)
for k, v in m.items():
    print("%s=%s%s" % (k, str(v), " DEFECTS %r" % (v.defects,) if v.defects else ""))
' "$1"
}

@test "headers: RFC 2047 words read back by Python, folded within 78 columns" {
	for s in 'RE: Zahlen für Q1' 'Привет, мир: a long subject that has to be folded over more than one line of the header' \
		'日本語の件名 with ASCII around it and more words after it to fold' 'plain ASCII subject' \
		'=?utf-8?q?looks_encoded?=' "$(printf 'tab\there and\r\nnewline')"; do
		mbx-testtool mime hdr Subject "$s" >h
		run pyhdr h
		assert_success
		assert_equal "$output" "Subject=$(printf '%s' "$s" | tr '\r\n' '  ')"
		run awk 'length($0) > 78' h
		assert_output ""
	done
	assert_equal "$(mbx-testtool mime hdr Subject 'Zahlen für Q1')" 'Subject: Zahlen =?utf-8?q?f=C3=BCr?= Q1'
}

@test "headers: addresses quoted or encoded, IMCEA for what is no addr-spec, parameters by RFC 2231" {
	mbx-testtool mime addrs To 'Bob "The" Builder' bob@example.com 'Zoë Müller' zoe@contoso.com \
		'Smith, John' john@example.com '' bare@example.com >h
	run pyhdr h
	assert_success
	assert_output 'To="Bob \"The\" Builder" <bob@example.com>, Zoë Müller <zoe@contoso.com>, "Smith, John" <john@example.com>, bare@example.com'
	assert_equal "$(mbx-testtool mime addr-spec bob@example.com SMTP)" "bob@example.com"
	assert_equal "$(mbx-testtool mime addr-spec '/O=ORG/OU=X/CN=RECIPIENTS/CN=BOB' EX)" \
		"IMCEAEX-_O=ORG_OU=X_CN=RECIPIENTS_CN=BOB@invalid"
	assert_equal "$(mbx-testtool mime addr-spec 'Sanitized text' SMTP)" "IMCEASMTP-Sanitized+20text@invalid"
	mbx-testtool mime param Content-Disposition attachment filename 'Résumé (final) ✓ with a name that is long enough to need RFC 2231 continuations.txt' >p
	$PY -c '
import email, email.policy, sys
m = email.message_from_bytes(open("p", "rb").read() + b"\n", policy=email.policy.default)
print(m.get_filename()); print(len(m["content-disposition"].defects))' >got
	assert_equal "$(cat got)" "$(printf 'Résumé (final) ✓ with a name that is long enough to need RFC 2231 continuations.txt\n0')"
	run awk 'length($0) > 78' p
	assert_output ""
	assert_equal "$(mbx-testtool mime param Content-Type text/plain charset utf-8 name 'a b.txt')" \
		'Content-Type: text/plain; charset=utf-8; name="a b.txt"'
}

@test "dates: RFC 5322 3.3, UTC, read back by Python" {
	assert_equal "$(mbx-testtool mime date 1704164645)" "Tue, 02 Jan 2024 03:04:05 +0000"
	assert_equal "$(mbx-testtool mime date 0)" "Thu, 01 Jan 1970 00:00:00 +0000"
	assert_equal "$(mbx-testtool mime date -86400)" "Wed, 31 Dec 1969 00:00:00 +0000"
	for t in 951782400 1709164800 4102444799; do
		d=$(mbx-testtool mime date "$t")
		assert_equal "$($PY -c 'import email.utils,sys; print(int(email.utils.parsedate_to_datetime(sys.argv[1]).timestamp()))' "$d")" "$t"
	done
}

@test "bodies: base64 and quoted-printable decode to the same bytes in Python" {
	head -c 100000 /dev/urandom >bin
	mbx-testtool mime b64 bin >bin.b64
	run awk 'length($0) > 76' bin.b64
	assert_output ""
	$PY -c 'import base64,sys; sys.stdout.buffer.write(base64.b64decode(open("bin.b64","rb").read()))' | cmp - bin
	{ printf 'a line with trailing blanks  \r\n=equals= and tabs\t\n'
	  head -c 300 /dev/zero | tr '\0' 'y'; printf '\nnon-ASCII: \xc3\xa9\xe2\x82\xac\nlast line '; } >text
	mbx-testtool mime qp text >text.qp
	run awk 'length($0) > 76' text.qp
	assert_output ""
	run grep -c '[[:space:]]$' text.qp
	assert_output 0
	$PY -c 'import quopri,sys; sys.stdout.buffer.write(quopri.decodestring(open("text.qp","rb").read()))' >back
	# line ends become LF; everything else comes back
	tr -d '\r' <text | cmp - <(head -c "$(tr -d '\r' <text | wc -c)" back)
	assert_equal "$(mbx-testtool mime cte text)" "quoted-printable"
	printf 'short\nlines\n' >s; assert_equal "$(mbx-testtool mime cte s)" "7bit"
	printf 'caf\xc3\xa9\n' >u; assert_equal "$(mbx-testtool mime cte u)" "quoted-printable"
	assert_equal "$(mbx-testtool mime cte u 8)" "8bit"
	printf 'caf\xe9\n' >l; assert_equal "$(mbx-testtool mime cte l 8)" "quoted-printable"
}

@test "sink: mboxrd quoting of >*From lines, undone exactly by Python's rule" {
	printf 'From here\n>From there\n>>From far\nFrom\nFro\n>From\n x From y\n>>>\n\nFrom ' >in
	mbx-testtool mime text -m in >out
	assert_equal "$(cat out)" "$(printf '>From here\n>>From there\n>>>From far\nFrom\nFro\n>From\n x From y\n>>>\n\n>From ')"
	$PY -c 'import re,sys; sys.stdout.buffer.write(re.sub(rb"(?m)^>(>*From )", rb"\1", open("out","rb").read()))' | cmp - in
	printf 'a\nb\r\nc' >crlf
	mbx-testtool mime text -c crlf | od -An -c | tr -s ' ' >got
	assert_equal "$(cat got)" " a \r \n b \r \n c"
}

@test "HTML: text for the plain part, META charset made utf-8, cid references" {
	cat >a.html <<-'EOF'
	<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-2022-jp">
	<meta charset='windows-1252'><title>T</title><style>p {color: red}</style></head>
	<body><p>Hello&nbsp;&amp; <b>world</b>&#33; &eacute;&#x20AC;</p><div>two<br>three</div>
	<ul><li>one</li><li>two</li></ul><img src="cid:image001.png@01D17309.D57660E0"><!-- <p>no</p> -->
	<a href="http://x/?a=1&amp;b=2">link</a><pre>  keep   this </pre></body></html>
	EOF
	run mbx-testtool mime html-text a.html
	assert_success
	assert_output "$(printf 'Hello & world! \xc3\xa9\xe2\x82\xac\ntwo\nthree\n- one\n- two\nlink\n  keep   this')"
	run mbx-testtool mime html-meta a.html
	assert_line --index 0 '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
	assert_line --index 1 "<meta charset='utf-8'><title>T</title><style>p {color: red}</style></head>"
	mbx-testtool mime refers a.html 'image001.png@01D17309.D57660E0'
	mbx-testtool mime refers a.html '<image001.png@01D17309.D57660E0>'
	run mbx-testtool mime refers a.html 'image002.png@01D17309.D57660E0'
	assert_failure
	mbx-testtool mime refers a.html 'nothing' 'http://x/?a=1&amp;b=2'
}
