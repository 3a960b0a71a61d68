#!/usr/bin/env bats
# Documentation and lint: man pages clean, banned functions absent, README true to CI.

load helpers

@test "every man page is mandoc -Tlint clean (warnings and errors)" {
	command -v mandoc >/dev/null || skip "mandoc not installed"
	for f in "$MBX_SRCDIR"/man/*.[157]; do
		run --separate-stderr mandoc -Tlint -W warning "$f"
		assert_success
		assert_equal "$output" ""
	done
}

@test "every program has a man page, and mbx(7) documents every exit code" {
	for p in "$MBX_SRCDIR"/bin/*.c; do
		n=$(basename "$p" .c)
		[ -f "$MBX_SRCDIR/man/$n.1" ] || fail "no man page for $n"
	done
	for code in 0 1 2 3 4 5 6 70; do
		grep -q "^\.It $code\$" "$MBX_SRCDIR/man/mbx.7" || fail "exit code $code not in mbx(7)"
	done
}

@test "no banned unsafe functions in the sources" {
	run --separate-stderr "$MBX_SRCDIR/tests/lint.sh" "$MBX_SRCDIR"
	assert_success
	assert_equal "$output" ""
}

@test "lint catches a banned function" {
	mkdir -p "$BATS_TEST_TMPDIR/t/lib"
	printf 'int f(char *d){ strcpy(d, "x"); return atoi(d); }\n' >"$BATS_TEST_TMPDIR/t/lib/x.c"
	run --separate-stderr "$MBX_SRCDIR/tests/lint.sh" "$BATS_TEST_TMPDIR/t"
	assert_equal "$status" 1
	assert_output --partial 'x.c:1:'
	assert_regex "$stderr" 'banned functions'
}

@test "CI runs exactly the README's test command" {
	readme_cmd=$(grep -A2 '^Run the whole test suite' "$MBX_SRCDIR/README.md" | sed -n 's/^    //p')
	[ -n "$readme_cmd" ]
	grep -qF "$readme_cmd" "$MBX_SRCDIR/.ci/run"
}

@test "make check runs every tests/t*.bats (a test file left out of TESTS never fails)" {
	listed() { grep -o 'tests/t[0-9]*-[^ ]*\.bats' "$MBX_SRCDIR/Makefile.am" | sort -u; }
	[ -n "$(listed)" ]
	diff <(listed) <(cd "$MBX_SRCDIR" && ls tests/t*.bats | sort)
}

@test "CI installs by name every package .ci/deps installs" {
	pkgs() { sed -n '/^pkgs=(/,/)/p' "$1" | tr -d '()' | sed 's/^pkgs=//' | tr -s ' \t\n' '\n' | grep . | sort; }
	[ -n "$(pkgs "$MBX_SRCDIR/.ci/deps")" ]
	diff <(pkgs "$MBX_SRCDIR/.ci/run") <(pkgs "$MBX_SRCDIR/.ci/deps")
}

@test "every environment variable the code reads is documented in mbx(7) or mbx-graphd(1)" {
	vars=$(grep -ohE '(getenv|env)\("[A-Z_]+"\)' "$MBX_SRCDIR"/lib/*/*.c "$MBX_SRCDIR"/bin/*.c |
		sed 's/.*("\(.*\)")/\1/' | sort -u)
	[ -n "$vars" ]
	for v in $vars; do
		grep -q "$v" "$MBX_SRCDIR/man/mbx.7" "$MBX_SRCDIR/man/mbx-graphd.1" ||
			fail "$v is not documented"
	done
}

# The layers of lib/ (Makefile.am, DESIGN-NOTES): what each folder may include. Per-target
# include paths make most wrong-way includes a compile error; this catches the rest (a
# path with '/', a system header of a library the layer must not use).
includes_only() {
	local dir=$1 allowed=$2 bad=$3 f line
	for f in "$MBX_SRCDIR"/$dir; do
		while IFS= read -r line; do
			case $line in
			*'"'*'/'*'"'*) fail "$f: $line: a path in a quoted include" ;;
			'#include "'*)
				h=${line#*\"}; h=${h%%\"*}
				[[ " $allowed " == *" $h "* ]] || fail "$f: $line: not allowed in $dir" ;;
			*)
				[ -z "$bad" ] || ! [[ $line =~ $bad ]] || fail "$f: $line: not allowed in $dir" ;;
			esac
		done < <(grep '^#include' "$f")
	done
}

@test "each layer includes only the headers of the layers below it" {
	includes_only 'lib/base/*.[ch]' 'base.h' '<(curl|microhttpd)'
	includes_only 'lib/fx/*.[ch]' 'base.h fx.h fx-int.h' '<(curl|microhttpd|yajl)'
	includes_only 'lib/graph/*.[ch]' 'base.h fx.h mbx.h http.h auth-int.h' '<microhttpd'
	includes_only 'lib/graphd/*.[ch]' 'base.h fx.h graphd.h server.h oauth.h jwt.h odata.h routes.h' '<curl'
	includes_only 'bin/mbx-graphd.c' 'base.h server.h' '<(curl|yajl)'
	includes_only 'lib/mime/*.[ch]' 'base.h fx.h mime.h mime-int.h' '<(curl|microhttpd|yajl)'
	# the converter is offline: no Graph client
	includes_only 'bin/mbx-mime.c' 'base.h fx.h mime.h' '<(curl|yajl|microhttpd|openssl)'
	for f in "$MBX_SRCDIR"/bin/*.c; do
		[ "${f##*/}" = mbx-graphd.c ] && continue
		[ "${f##*/}" = mbx-mime.c ] && continue
		includes_only "bin/${f##*/}" 'base.h fx.h mbx.h mime.h' '<(curl|yajl|microhttpd|openssl)'
	done
}

@test "the include check itself catches a wrong-way include" {
	mkdir -p "$BATS_TEST_TMPDIR/src/lib/graphd"
	printf '#include "mbx.h"\n' >"$BATS_TEST_TMPDIR/src/lib/graphd/x.c"
	MBX_SRCDIR=$BATS_TEST_TMPDIR/src run includes_only 'lib/graphd/*.c' 'base.h fx.h' '<curl'
	assert_failure
	assert_output --partial 'x.c: #include "mbx.h": not allowed in lib/graphd'
}

# The error codes (lib/base/record.c mbx_codes, mbx(7) ERROR CODES): the table and the
# man page list the same names with the same exit status, and every code the sources
# write is in the table (Graph's own codes, Error..., pass through). Prints what differs.
codes_agree() {
	local src=$1 man=$2 table listed written n e
	table=$(sed -n 's/^[[:space:]]*{ "\([A-Za-z]*\)", MBX_EXIT_\([A-Z]*\),.*/\1 \2/p' \
		"$src/lib/base/record.c" | while read -r n e; do
			echo "$n $(sed -n "s/.*MBX_EXIT_$e = \([0-9]*\).*/\1/p" "$src/lib/base/base.h")"
		done | sort)
	listed=$(sed -n '/^\.Sh ERROR CODES/,/^\.Sh /p' "$man" |
		awk '/^\.It Cm /{n=$3; next} n && /^[0-9]+:/{print n, substr($1, 1, length($1)-1); n=""}' |
		sort)
	[ -n "$table" ] || echo "no error code table in lib/base/record.c"
	comm -23 <(echo "$table") <(echo "$listed") | sed 's/^/in the table, not in mbx(7): /'
	comm -13 <(echo "$table") <(echo "$listed") | sed 's/^/in mbx(7), not in the table: /'
	# each statement that writes a code, joined up to its ';'
	written=$(awk '
		/(mbx_record_error|mbx_report|mbx_rec_error|fail_job|fail_item|item_error|[^a-z_]bad)\(|code\[i\], sizeof|\.code = |http_reason\(/ { on = 1 }
		on { s = s $0 } on && /;/ { print s; s = ""; on = 0 }' \
		"$src"/bin/*.c "$src"/lib/base/*.c "$src"/lib/graph/*.c "$src"/lib/mime/*.c |
		grep -oE '"[A-Z][a-z]+([A-Z][A-Za-z]*)?"' | tr -d '"' | grep -v '^Error' | sort -u)
	[ -n "$written" ] || echo "no codes found in the sources"
	for n in $written; do
		echo "$table" | grep -q "^$n " || echo "written, not in the table: $n"
	done
}

@test "the error code table, mbx(7) ERROR CODES and the codes the programs write agree" {
	run codes_agree "$MBX_SRCDIR" "$MBX_SRCDIR/man/mbx.7"
	assert_success
	assert_output ""
}

@test "the error code check catches a code missing on either side, or a wrong exit status" {
	local t=$BATS_TEST_TMPDIR/src
	mkdir -p "$t/bin" "$t/lib/base" "$t/lib/graph" "$t/lib/mime"
	cp "$MBX_SRCDIR/lib/base/record.c" "$MBX_SRCDIR/lib/base/base.h" "$t/lib/base/"
	printf 'f()\n{\n\tmbx_report(rc, m, s, "NewCode",\n\t\t"x");\n}\n' >"$t/bin/x.c"
	sed -e '/^\.It Cm BadRecord$/,+1d' -e 's/^5: A frame is corrupt/1: A frame is corrupt/' \
		"$MBX_SRCDIR/man/mbx.7" >"$t/mbx.7"
	run codes_agree "$t" "$t/mbx.7"
	assert_line "in the table, not in mbx(7): BadRecord 1"
	assert_line "in the table, not in mbx(7): BadFrame 5"
	assert_line "in mbx(7), not in the table: BadFrame 1"
	assert_line "written, not in the table: NewCode"
}

# DESIGN-NOTES.md "Citations": each cites docs/, a public document, or a man page section.
@test "every citation in the tree resolves (tests/cite.sh)" {
	run --separate-stderr "$MBX_SRCDIR/tests/cite.sh" "$MBX_SRCDIR"
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
}

# tests/cite.sh (DESIGN-NOTES.md "Citations"): a small tree with a document of its own.
# The tests below hold bad citations on purpose. cite.sh: off
cite_tree() {
	local t=$BATS_TEST_TMPDIR/t
	mkdir -p "$t/docs" "$t/lib/x" "$t/man" "$t/tests"
	cat >"$t/docs/graph-api.md" <<-'EOF2'
	# A reference
	## 3. Endpoints
	### 3.11 Item delta
	### 3.13 exportItems
	### 3.17 Archives
	## 5. Paging
	## 8. Open questions
	### 8.10 What /folders lists
	### 8.15 Removals
	## 12. Writing
	### 12.3 Order
	1. properties
	2. recipients
	EOF2
	printf '.Sh DESCRIPTION\n.Ss Delta\n' >"$t/man/mbx-x.1"
	printf '.Sh DESCRIPTION\n.Sh RECORD FORMAT\n' >"$t/man/mbx.7"
	printf '%s\n' "$t"
}

@test "cite.sh catches a missing section, a bare number without its document, and citations outside the repo" {
	t=$(cite_tree)
	cat >"$t/lib/x/a.c" <<-'EOF2'
	/* a.c: a header that names no document. */
	/* exportItems (graph-api.md 3.13); none such (graph-api.md 3.99) */
	/* redirects (3.17), a value (7), while (0) */
	/* ../shared/docs/graph-api.md 3.13 and mime.md 3.5 */
	/* layers (DESIGN 1), mbx-x(1) RECORDS, mbx-x(1) "Delta", MS-OXCFXICS 2.2.4.1.4 */
	EOF2
	cat >"$t/lib/x/b.c" <<-'EOF2'
	/* b.c: its bare numbers are sections of docs/graph-api.md. */
	/* redirects (3.17), item delta (3.11, 5), list items (12.3.2), none such (8.99) */
	/* 12.3.3: not an item of 12.3 */
	EOF2
	printf '.Sh DESCRIPTION\nAs graph-api.md 8 leaves it (8.10).\n.Pp\nDelta (8.15).\n' >"$t/man/mbx-y.1"
	run --separate-stderr "$MBX_SRCDIR/tests/cite.sh" "$t"
	assert_equal "$status" 1
	assert_equal "$stderr" ""
	assert_output - <<-'EOF2'
	lib/x/a.c:2: graph-api.md 3.99: no section 3.99 in docs/graph-api.md
	lib/x/a.c:3: (3.17): a bare section number, but the header comment names no document
	lib/x/a.c:4: ../shared/docs/graph-api.md 3.13: outside the repo
	lib/x/a.c:4: mime.md 3.5: no document docs/mime.md
	lib/x/a.c:5: DESIGN 1: the design document is outside the repo: cite the man page or docs/
	lib/x/a.c:5: mbx-x(1) RECORDS: no section "RECORDS" in man/mbx-x.1
	lib/x/b.c:2: (8.99): no section 8.99 in docs/graph-api.md
	lib/x/b.c:3: (12.3.3): no section 12.3.3 in docs/graph-api.md
	man/mbx-y.1:4: (8.15): a bare section number, but its paragraph names no document
	EOF2
	run --separate-stderr "$MBX_SRCDIR/tests/cite.sh" --list "$t"
	assert_equal "$status" 1
	assert_line 'lib/x/a.c:2: document graph-api.md 3.13: ok'
	assert_line 'lib/x/a.c:5: man mbx-x(1) Delta: ok'
	assert_line 'lib/x/a.c:5: public MS-OXCFXICS 2.2.4.1.4: ok'
	assert_line 'lib/x/b.c:2: bare (3.11, 5): ok'
	assert_line 'lib/x/b.c:2: bare (12.3.2): ok'
	assert_line 'man/mbx-y.1:2: bare (8.10): ok'
	refute_line --partial '(7)'
	refute_line --partial '(0)'
}

@test "cite.sh --fix names the documents, and a second run changes nothing" {
	t=$(cite_tree)
	printf '/* a.c: no document named. */\n/* redirects (3.17) */\n' >"$t/lib/x/a.c"
	printf '/* c.c: paths (DESIGN 2), see ../shared/docs/graph-api.md 8.10 */\n' >"$t/lib/x/c.c"
	printf '#!/bin/sh\n# d.sh: a script.\n# 3.11: item delta\n' >"$t/tests/d.sh"
	chmod 755 "$t/tests/d.sh"
	printf '.Sh DESCRIPTION\nDelta (8.15), again (8.10).\n.Pp\nAnd (3.13).\n' >"$t/man/mbx-y.1"
	printf '/* e.c: examples. cite.sh: off */\n/* (3.17) (DESIGN 2) */\n' >"$t/lib/x/e.c"
	printf 'In `(3.17), DESIGN 2` the code stays; ../shared/docs/graph-api.md does not.\n' \
		>"$t/README.md"
	run --separate-stderr "$MBX_SRCDIR/tests/cite.sh" --fix "$t"
	assert_success
	assert_output ""
	assert_equal "$stderr" "$(printf 'cite.sh: fixed %s\n' README.md lib/x/a.c lib/x/c.c \
		man/mbx-y.1 tests/d.sh)"
	assert_equal "$(cat "$t/README.md")" \
		'In `(3.17), DESIGN 2` the code stays; docs/graph-api.md does not.'
	assert_equal "$(cat "$t/lib/x/e.c")" "$(printf '/* e.c: examples. cite.sh: off */\n/* (3.17) (DESIGN 2) */')"
	assert_equal "$(cat "$t/lib/x/a.c")" "$(printf '%s\n' '/* a.c: no document named.' \
		' * Bare section numbers are those of docs/graph-api.md. */' '/* redirects (3.17) */')"
	assert_equal "$(cat "$t/lib/x/c.c")" '/* c.c: paths (mbx(7)), see docs/graph-api.md 8.10 */'
	assert_equal "$(sed -n 4p "$t/tests/d.sh")" '# Bare section numbers are those of docs/graph-api.md.'
	assert_equal "$(stat -c %a "$t/tests/d.sh")" 755
	assert_equal "$(sed -n '2p;4p' "$t/man/mbx-y.1")" "$(printf '%s\n' \
		'Delta (graph-api.md 8.15), again (8.10).' 'And (graph-api.md 3.13).')"
	sums=$(cd "$t" && find . -type f | sort | xargs sha256sum)
	run --separate-stderr "$MBX_SRCDIR/tests/cite.sh" --fix "$t"
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	assert_equal "$(cd "$t" && find . -type f | sort | xargs sha256sum)" "$sums"
}

@test "cite.sh resolves docs/mime.md as it does the other references: by name, bare, list items" {
	t=$(cite_tree)
	cat >"$t/docs/mime.md" <<-'EOF2'
	# MAPI and MIME
	## 1. The specifications
	### 1.8 Minimal valid message
	## 3. Import
	### 3.1 What the server does
	### 3.5 The minimal property set
	## 5. The plan
	### 5.1 Export
	1. scope
	2. headers
	## 6. Open points
	EOF2
	cat >"$t/lib/x/m.c" <<-'EOF2'
	/* m.c: its bare numbers are sections of docs/mime.md. */
	/* the store (docs/mime.md 3.1 and 1.8), the class (mime.md 3.1, 6), mime.md 3.5 */
	/* (1.8), an item (5.1.2), none such (3.9), mime.md 5.1.3, docs/mime.md 4 */
	EOF2
	printf '.Sh DESCRIPTION\nAs mime.md 3.5 has it (1.8).\n' >"$t/man/mbx-m.1"
	run --separate-stderr "$MBX_SRCDIR/tests/cite.sh" "$t"
	assert_equal "$status" 1
	assert_equal "$stderr" ""
	assert_output - <<-'EOF2'
	lib/x/m.c:3: mime.md 5.1.3: no section 5.1.3 in docs/mime.md
	lib/x/m.c:3: docs/mime.md 4: no section 4 in docs/mime.md
	lib/x/m.c:3: (3.9): no section 3.9 in docs/mime.md
	EOF2
	run --separate-stderr "$MBX_SRCDIR/tests/cite.sh" --list "$t"
	assert_equal "$status" 1
	assert_line 'lib/x/m.c:2: document docs/mime.md 3.1 and 1.8: ok'
	assert_line 'lib/x/m.c:2: document mime.md 3.1, 6: ok'
	assert_line 'lib/x/m.c:2: document mime.md 3.5: ok'
	assert_line 'lib/x/m.c:3: bare (1.8): ok'
	assert_line 'lib/x/m.c:3: bare (5.1.2): ok'
	assert_line 'man/mbx-m.1:2: document mime.md 3.5: ok'
	assert_line 'man/mbx-m.1:2: bare (1.8): ok'
	# a path into the shared docs becomes docs/mime.md, and then resolves
	rm "$t/lib/x/m.c"
	printf '/* s.c: see ../shared/docs/mime.md 3.5 */\n' >"$t/lib/x/s.c"
	run --separate-stderr "$MBX_SRCDIR/tests/cite.sh" --fix "$t"
	assert_success
	assert_output ""
	assert_equal "$stderr" "cite.sh: fixed lib/x/s.c"
	assert_equal "$(cat "$t/lib/x/s.c")" '/* s.c: see docs/mime.md 3.5 */'
}

@test "the worked example of docs/fasttransfer.md 10 is the blob fx-gen makes" {
	cd "$BATS_TEST_TMPDIR"
	sed -n '/^The whole blob in base64/,/^With a plain/p' "$MBX_SRCDIR/docs/fasttransfer.md" |
		grep -E '^[A-Za-z0-9+/=]{64,}$' | base64 -d >doc.bin
	[ "$(stat -c %s doc.bin)" = 319 ]
	cat >hi.json <<-'EOF2'
	{"minimal": true, "messageClass": "IPM.Note", "subject": "Hi",
	 "delivery": "2024-01-02T03:04:05Z", "flags": 1, "body": "Hello",
	 "recipients": [{"name": "Bob", "address": "bob@example.com", "type": "to"}],
	 "attachments": [{"name": "a.txt", "data": "abc"}]}
	EOF2
	mbx-testtool fx-gen hi.json >gen.bin
	cmp doc.bin gen.bin
}

# docs/mime.md keeps the section numbers it was written with (DESIGN-NOTES.md "Citations"):
# code cites them, and a section that stops mattering keeps its number.
@test "docs/mime.md keeps its section numbers, and the list items cited as sections" {
	want="0 1 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 1.9 2 3 3.1 3.2 3.3 3.4 3.5 4 5 5.1 5.2 5.3 5.4 6"
	got=$(sed -n 's/^##* \([0-9][0-9.]*\)[. ].*/\1/p' "$MBX_SRCDIR/docs/mime.md" | sed 's/\.$//')
	assert_equal "$(echo $got)" "$want"
	t=$BATS_TEST_TMPDIR/t
	mkdir -p "$t/docs" "$t/lib/x"
	cp "$MBX_SRCDIR/docs/mime.md" "$t/docs/"
	printf '/* x.c: docs/mime.md 1.3.3, 1.7.3, 2.9, 3.3.4, 5.1.7 and 5.2.5, not (5.1.8) */\n' >"$t/lib/x/x.c"
	run --separate-stderr "$MBX_SRCDIR/tests/cite.sh" --list "$t"
	assert_equal "$stderr" ""
	assert_line 'lib/x/x.c:1: document docs/mime.md 1.3.3, 1.7.3, 2.9, 3.3.4, 5.1.7 and 5.2.5: ok'
	assert_line 'lib/x/x.c:1: bare (5.1.8): no section 5.1.8 in docs/mime.md'
}
# cite.sh: on

# --help and the man pages (issue 14 item 3). A program's --help: usage lines, then
# "options:" and "common options ..." sections, one option a line ("  -j, --jobs N  text").
# help_opts PROG SECTION: the option words of each line of that section ("-j --jobs").
help_opts() {
	"$1" --help | awk -v sec="$2" '
		/^[^ \t]/ { on = index($0, sec) == 1; next }
		on && /^[ \t]+-/ {
			sub(/^[ \t]+/, ""); sub(/(  |\t).*/, ""); gsub(/,/, "")
			s = ""
			n = split($0, w, " ")
			for (i = 1; i <= n; i++)
				if (w[i] ~ /^-/)
					s = s " " w[i]
			print substr(s, 2)
		}'
}

# mdoc_opts: the options named by "Fl" on the mdoc lines on stdin, one a line: the words
# after it up to the next macro or punctuation ("Fl h v -stats" is -h -v --stats, "Fl hqv"
# -h -q -v); with -it also the "-name" after a comma of an .It line (".It Fl M , -mailboxes").
mdoc_opts() {
	awk -v it="${1:-}" '
	function put(t, k) {
		if (t ~ /^-/)
			print "-" t
		else
			for (k = 1; k <= length(t); k++)
				print "-" substr(t, k, 1)
	}
	{
		for (i = 1; i <= NF; i++) {
			if ($i == "Fl" || $i == ".Fl")
				for (j = i + 1; j <= NF && $j ~ /^-?[A-Za-z0-9][-a-z0-9]*$/ &&
				     $j !~ /^[A-Z][a-z]+$/; j++)
					put($j)
			else if (it && $i == "," && $(i + 1) ~ /^-[a-z]/)
				put($(i + 1))
		}
	}' | LC_ALL=C sort -u
}

# man7_common PROG: the common options mbx(7) COMMON OPTIONS says PROG takes.
man7_common() {
	sed -n '/^\.Sh COMMON OPTIONS/,/^\.Sh /p' "$2" |
		awk -v p="$1" '/^\.It / { on = index($0, "Xr " p " 1") > 0; next }
			on && /^\.Fl / { print; on = 0 }' | mdoc_opts
}

# check_help PROG PAGE MBX7: --help, the page's SYNOPSIS and OPTIONS, and mbx(7) agree.
check_help() {
	local p=$1 page=$2 m7=$3 own all syn its forms o ok common doc
	own=$(help_opts "$p" "options:")
	[ -n "$own" ] || { echo "$p --help lists no options of its own"; return 1; }
	all=$({ help_opts "$p" "options:"; help_opts "$p" "common options"; } | tr ' ' '\n')
	syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$page" | mdoc_opts)
	its=$(sed -n '/^\.Sh OPTIONS/,/^\.Sh /p' "$page" | grep '^\.It ' | mdoc_opts -it)
	for o in $syn; do
		grep -qxF -- "$o" <<<"$all" || { echo "$p(1) SYNOPSIS: $o is not in $p --help"; return 1; }
	done
	while read -r forms; do
		ok=
		for o in $forms; do grep -qxF -- "$o" <<<"$syn" && ok=1; done
		[ -n "$ok" ] || { echo "$p --help: $forms is not in the SYNOPSIS of $p(1)"; return 1; }
		ok=
		for o in $forms; do grep -qxF -- "$o" <<<"$its" && ok=1; done
		[ -n "$ok" ] || { echo "$p --help: $forms is not described in $p(1) OPTIONS"; return 1; }
	done <<<"$own"
	# the common options: "[options]" in the SYNOPSIS, the group in mbx(7)
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$page" | grep -q '^\.Op Ar options$' ||
		{ echo "$p(1) SYNOPSIS has no [options] for the common options"; return 1; }
	grep -q '^\.Dq COMMON OPTIONS' "$page" ||
		{ echo "$p(1) does not point to mbx(7) COMMON OPTIONS"; return 1; }
	common=$(help_opts "$p" "common options" | awk '{ print $1 }' | LC_ALL=C sort)
	doc=$(man7_common "${p##*/}" "$m7" | LC_ALL=C sort)
	[ -n "$common" ] && [ "$common" = "$doc" ] ||
		{ echo "$p --help common options:" $common "; mbx(7) COMMON OPTIONS:" $doc; return 1; }
}

@test "every program's --help, man page SYNOPSIS and OPTIONS, and mbx(7) COMMON OPTIONS agree" {
	n=0
	for src in "$MBX_SRCDIR"/bin/mbx-*.c; do
		p=$(basename "$src" .c)
		run check_help "$p" "$MBX_SRCDIR/man/$p.1" "$MBX_SRCDIR/man/mbx.7"
		assert_success
		assert_output ""
		n=$((n + 1))
	done
	[ "$n" -ge 11 ]
}

@test "the --help check catches an option missing on either side" {
	t=$BATS_TEST_TMPDIR
	printf '%s\n' '#!/bin/sh' 'cat <<EOF' 'usage: mbx-fake [options] X' '' 'options:' \
		'  -a, --all        all' '      --only FILE  one' '' 'common options (mbx(7)):' \
		'  -h, --help       help' '      --version    version' 'EOF' >"$t/mbx-fake"
	chmod +x "$t/mbx-fake"
	printf '%s\n' '.Sh COMMON OPTIONS' '.It Xr mbx-fake 1' '.Fl h -version' '.Sh X' >"$t/mbx.7"
	page() {
		printf '%s\n' '.Sh SYNOPSIS' '.Nm' '.Op Ar options' "$1" '.Sh OPTIONS' \
			'.It Fl a , -all' "$2" '.Pp' '.Dq COMMON OPTIONS .' '.Sh SEE ALSO' >"$t/page.1"
	}
	page '.Op Fl a | Fl -only Ar file' '.It Fl -only Ar file'
	run check_help "$t/mbx-fake" "$t/page.1" "$t/mbx.7"
	assert_success
	page '.Op Fl a' '.It Fl -only Ar file'
	run check_help "$t/mbx-fake" "$t/page.1" "$t/mbx.7"
	assert_failure
	assert_output --partial -- '--only is not in the SYNOPSIS'
	page '.Op Fl a | Fl -only Ar file | Fl -more' '.It Fl -only Ar file'
	run check_help "$t/mbx-fake" "$t/page.1" "$t/mbx.7"
	assert_output --partial -- 'SYNOPSIS: --more is not in'
	page '.Op Fl a | Fl -only Ar file' '.It Fl -other'
	run check_help "$t/mbx-fake" "$t/page.1" "$t/mbx.7"
	assert_output --partial -- '--only is not described'
	page '.Op Fl a | Fl -only Ar file' '.It Fl -only Ar file'
	printf '%s\n' '.Sh COMMON OPTIONS' '.It Xr mbx-fake 1' '.Fl h v -version' '.Sh X' >"$t/mbx.7"
	run check_help "$t/mbx-fake" "$t/page.1" "$t/mbx.7"
	assert_failure
	assert_output --partial 'common options: --version -h ; mbx(7) COMMON OPTIONS: --version -h -v'
}

# The other side of the check above: what --help does not list, the program refuses.
@test "a program refuses the common options its --help does not list, as unknown options" {
	every="-n --dry-run -q --quiet -j --jobs --stats --cacert --retry-max-time --archive --insecure"
	n=0
	for src in "$MBX_SRCDIR"/bin/mbx-*.c; do
		p=$(basename "$src" .c)
		takes=$(help_opts "$p" "common options" | tr ' ' '\n')
		for o in $every; do
			! grep -qxF -- "$o" <<<"$takes" || continue
			arg=
			case $o in -j | --jobs | --stats | --cacert | --retry-max-time) arg=1 ;; esac
			run --separate-stderr "$p" "$o" $arg
			assert_equal "$status" 2
			assert_equal "$output" ""
			assert_equal "$(head -n 1 <<<"$stderr")" "$p: unknown option '$o'"
			assert_regex "$(sed -n 2p <<<"$stderr")" "^usage: $p "
			n=$((n + 1))
		done
	done
	# mbx-frames and mbx-mime are offline; mbx-graphd is no client (issue 12 item 6)
	for p in mbx-frames mbx-mime mbx-graphd; do
		for o in --cacert --jobs --retry-max-time --insecure --archive; do
			run --separate-stderr "$p" "$o" 1
			assert_equal "$status" 2
		done
	done
	run --separate-stderr mbx-frames --stats x
	assert_equal "$status" 2
	[ "$n" -ge 20 ]
}

@test "a missing value and a value given to an option without one are usage errors" {
	run --separate-stderr mbx-ls --delta
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$(head -n 1 <<<"$stderr")" "mbx-ls: missing value for option '--delta'"
	run --separate-stderr mbx-ls -j
	assert_equal "$status" 2
	assert_equal "$(head -n 1 <<<"$stderr")" "mbx-ls: missing value for option '-j'"
	run --separate-stderr mbx-rm --hard=yes x y z
	assert_equal "$status" 2
	assert_equal "$(head -n 1 <<<"$stderr")" "mbx-rm: option '--hard' takes no value"
	run --separate-stderr mbx-frames -x
	assert_equal "$status" 2
	assert_equal "$(head -n 1 <<<"$stderr")" "mbx-frames: unknown option '-x'"
}
