#!/usr/bin/env bats
# bin/mbx.bash-completion loaded in bash, with and without bash-completion: the words as
# readline splits them go in (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT), COMPREPLY
# comes out. And `make install` puts it where bash-completion finds it.

load helpers

BC=/usr/share/bash-completion/bash_completion

setup() {
	[ -f "$BC" ] || skip "bash-completion not installed"
	COMPLETION=$MBX_SRCDIR/bin/mbx.bash-completion
	mkdir -p "$BATS_TEST_TMPDIR/cwd/sub dir" "$BATS_TEST_TMPDIR/cwd/d2"
	touch "$BATS_TEST_TMPDIR/cwd/a.json" "$BATS_TEST_TMPDIR/cwd/b.journal"
	cd "$BATS_TEST_TMPDIR/cwd"
}

# comp [--plain] LINE: the completions of LINE (cursor at its end), one per line, sorted.
# Words are split as readline does (at blanks and at '='); --plain: without bash-completion.
comp() {
	local bc=$BC
	[ "$1" != --plain ] || { bc=; shift; }
	bash --norc --noprofile -c '
		[ -z "$1" ] || source "$1"
		source "$2"
		COMP_LINE=$3 COMP_POINT=${#3}
		read -ra COMP_WORDS <<<"${3//=/ = }"
		[[ $3 == *[[:space:]] ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_mbx
		printf "%s\n" "${COMPREPLY[@]}" | sort' bash "$bc" "$COMPLETION" "$1"
}

@test "options come from the program's --help" {
	run comp 'mbx-export --nd'
	assert_success
	assert_output "--ndjson"
	run comp 'mbx-import --j'
	assert_output "--jobs
--journal"
	run comp --plain 'mbx-import --u'
	assert_output "--under
--upload-limit"
}

@test "every option of every program's --help is offered, and nothing else" {
	for p in "$MBX_BUILDDIR"/bin/mbx-*; do
		[ -x "$p" ] && [ -f "$p" ] || continue
		n=${p##*/}
		# what the help names, read another way: options before a description's gap
		want=$("$p" --help | sed -E 's/^([[:space:]]+-[^[:space:]].*[^[:space:]])(  |\t).*/\1/' |
			grep -oE -- '--[A-Za-z0-9][-A-Za-z0-9]*' | sort -u)
		[ -n "$want" ] || fail "$n --help names no option"
		run comp "$n --"
		assert_success
		assert_equal "$output" "$want"
	done
}

@test "a help with one option per line: values, shared values, and no description words" {
	printf '%s\n' '#!/bin/sh' 'cat <<EOF' 'usage: mbx-fake [options] TARGET' '' \
		'  -j, --jobs N        requests in flight (like --retry-max-time S)' \
		'  -q, --quiet         no warnings' '      --stats=FILE    counts' \
		'      --ndjson        the NDJSON form' '  -M, --mailboxes     list mailboxes' 'EOF' \
		>"$BATS_TEST_TMPDIR/mbx-fake"
	chmod +x "$BATS_TEST_TMPDIR/mbx-fake"
	fake=$BATS_TEST_TMPDIR/mbx-fake
	run comp "$fake -"
	assert_output "--jobs
--mailboxes
--ndjson
--quiet
--stats
-M
-j
-q"
	run comp "$fake --jobs "          # N: nothing to offer
	assert_output ""
	run comp "$fake -j "
	assert_output ""
	run comp "$fake --ndjson "        # no value: the operand, files
	assert_output "a.json
b.journal
d2
sub dir"
	run comp "$fake --stats=b"        # a value named by --opt=VALUE, a file by the table
	assert_output "b.journal"
}

@test "an option that takes a file completes files; one that takes a directory, directories" {
	run comp 'mbx-import --journal '
	assert_output "a.json
b.journal
d2
sub dir"
	run comp 'mbx-export --stats=a'
	assert_output "a.json"
	run comp 'mbx-frames --split '
	assert_output "d2
sub dir"
	run comp --plain 'mbx-frames --join s'
	assert_output "sub dir"
}

@test "options with a fixed set of values complete the set; key=value lists the keys" {
	run comp 'mbx-mkfolder --class IPF.A'
	assert_output "IPF.Appointment"
	run comp 'mbx-graphd --generate '
	assert_output "$(printf '%s=\n' archive aux domain folders items seed size users)"
	# readline replaces the text after the last '=': the reply starts there
	run comp 'mbx-graphd --generate users=2,fo'
	assert_output "2,folders="
	run comp 'mbx-graphd --fault match=exportItems,lat'
	assert_output "exportItems,latency="
	run comp 'mbx-graphd --generate users=2'
	assert_output ""
	if mbx-graphd --help | grep -q -- --folders-scope; then
		run comp 'mbx-graphd --folders-scope '
		assert_output "top
tree"
	fi
}

@test "a value with nothing to offer gets nothing, not files" {
	run comp 'mbx-export --jobs '
	assert_success
	assert_output ""
	run comp 'mbx-import --under /R'
	assert_output ""
}

@test "the file registers every program Makefile.am builds" {
	progs=$(sed -n '/^bin_PROGRAMS/,/^[^ ].*[^\\]$/p' "$MBX_SRCDIR/Makefile.am" |
		grep -oE 'bin/mbx-[a-z]+' | sed 's|bin/||' | sort -u)
	[ -n "$progs" ]
	for p in $progs; do
		run bash --norc -c 'source "$1"; complete -p "$2"' bash "$COMPLETION" "$p"
		assert_success
		assert_output "complete -F _mbx $p"
	done
}

@test "make install puts it under every program's name where bash-completion finds it" {
	dest=$BATS_TEST_TMPDIR/dest
	run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$MBX_BUILDDIR" \
		install-bash-completion DESTDIR="$dest"
	assert_success
	dir=$(dirname "$(find "$dest" -name mbx-import -path '*/bash-completion/completions/*')")
	[ -d "$dir" ] || fail "nothing installed: $(find "$dest")"
	for p in "$MBX_BUILDDIR"/bin/mbx-*; do
		[ -x "$p" ] && [ -f "$p" ] || continue
		cmp "$COMPLETION" "$dir/${p##*/}"
	done
	# bash-completion loads it on demand from there (the prefix's share/ is on XDG_DATA_DIRS)
	share=${dir%/bash-completion/completions}
	run env XDG_DATA_DIRS="$share:/usr/share" bash --norc -c \
		'source "$1"; __load_completion mbx-import && complete -p mbx-import' bash "$BC"
	assert_success
	assert_output "complete -F _mbx mbx-import"
	run env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$MBX_BUILDDIR" \
		uninstall-bash-completion DESTDIR="$dest"
	assert_success
	assert_equal "$(find "$dest" -type f)" ""
}
