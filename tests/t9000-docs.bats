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
	includes_only 'lib/graph/*.[ch]' 'base.h fx.h mbx.h http.h' '<microhttpd'
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
