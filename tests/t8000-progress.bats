#!/usr/bin/env bats
# Progress on a real terminal (mbx(7) PROGRESS): a two-stage pipeline runs in a tmux pane
# against an emulator slowed by a latency fault; capture-pane reads the screen while it
# runs and after it ends or is interrupted. Every wait polls the screen with a deadline,
# so a loaded machine makes the test slower, not flaky.

load helpers

setup_file() {
	command -v tmux >/dev/null || skip "tmux not installed"
	graphd_start --generate users=2,folders=4,items=60,size=8k,seed=80 \
		--fault match=importItem,latency=300,count=0
	mbx-folders user1@contoso.com | mbx-ls >"$BATS_FILE_TMPDIR/items.ndjson"
	export PANE_DIR=$BATS_FILE_TMPDIR/pane TMUX_SOCK=$BATS_FILE_TMPDIR/tmux.sock
	mkdir -p "$PANE_DIR"
	cp "$BATS_FILE_TMPDIR/items.ndjson" "$PANE_DIR/"
	# the pane's shell: the emulator's environment, a prompt to wait for, no rc files
	{
		for v in PATH MBX_GRAPH_URL AZURE_AUTHORITY_HOST MBX_CACERT AZURE_TENANT_ID \
			AZURE_CLIENT_ID AZURE_CLIENT_SECRET XDG_CACHE_HOME; do
			printf 'export %s=%q\n' "$v" "${!v}"
		done
		echo "unset MBX_PROGRESS; PS1='PROMPT> '; cd $PANE_DIR"
	} >"$PANE_DIR/rc"
	unset TMUX
	tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -x 160 -y 40 \
		"bash --noprofile --rcfile $PANE_DIR/rc -i"
	wait_screen '^PROMPT>$'
}

teardown_file() {
	[ -z "${TMUX_SOCK:-}" ] || tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	graphd_stop
}

setup() {
	admin POST /faults --data-binary 'match=importItem,latency=300,count=0' >/dev/null
	tmux -S "$TMUX_SOCK" send-keys 'clear' Enter
	# the last screen may end with a prompt too: wait for the prompt alone
	local deadline=$((SECONDS + 60))
	until [ "$(screen | grep .)" = 'PROMPT>' ]; do
		[ "$SECONDS" -lt "$deadline" ] || fail "the pane was not cleared: $(screen)"
		sleep 0.1
	done
}

screen() { tmux -S "$TMUX_SOCK" capture-pane -p; }
type_line() { tmux -S "$TMUX_SOCK" send-keys -l "$1"; tmux -S "$TMUX_SOCK" send-keys Enter; }

# wait_screen REGEX [SECONDS]: until a line of the pane matches (grep -E).
wait_screen() {
	local deadline=$((SECONDS + ${2:-60}))
	until screen | grep -qE -- "$1"; do
		[ "$SECONDS" -lt "$deadline" ] || fail "timed out waiting for /$1/ on the screen:
$(screen)"
		sleep 0.1
	done
}

# A whole progress line, as mbx(7) PROGRESS gives it.
LINE='^mbx-(export|import): [0-9,]+ / [0-9,]+ items \([0-9]+%\)(, [0-9.]+ (B|KiB|MiB))?, [0-9.]+ items/s(, [0-9.]+ (B|KiB|MiB)/s)?(, [0-9]+ throttled \([0-9hms]+\))?(, [0-9]+ failed)?(, ETA [0-9hms]+)?$'

# Every line of the pane that holds a piece of a progress line is a whole one, at
# column 0: nothing garbled, no stage writing into another's line.
assert_clean_lines() {
	local s=$1 l
	while IFS= read -r l; do
		[[ $l =~ $LINE ]] || fail "a garbled progress line: '$l' in
$s"
	done < <(grep -E 'mbx-(export|import): [0-9]|items/s' <<<"$s")
}

# The /tmp registry of the pane's terminal (lib/base/progress.c): none once all is over.
assert_no_registry() {
	local tty rdev
	tty=$(tmux -S "$TMUX_SOCK" display -p '#{pane_tty}')
	rdev=$(python3 -c 'import os, sys; print("%x" % os.stat(sys.argv[1]).st_rdev)' "$tty")
	run compgen -G "/tmp/mbx-progress-$(id -u)-$rdev-*"
	assert_output ""
}

@test "a two-stage pipeline on a terminal: a line per stage while it runs, none after" {
	type_line 'mbx-export < items.ndjson | mbx-import user2@contoso.com --under /T1 > out1.ndjson; echo "rc=$?"'
	wait_screen '^mbx-import: [0-9,]+ / 60 items'
	wait_screen '^mbx-export: [0-9,]+ / [0-9,]+ items'
	# several moments: each stage on a line of its own, whole, and the import moving on
	first=$(screen | sed -n 's/^mbx-import: \([0-9,]*\) .*/\1/p' | tr -d ,)
	both=0
	for _ in $(seq 40); do
		s=$(screen)
		assert_clean_lines "$s"
		if grep -qE '^mbx-export: ' <<<"$s" && grep -qE '^mbx-import: ' <<<"$s"; then
			both=$((both + 1))
			[ "$(grep -c '^mbx-export: ' <<<"$s")" -eq 1 ] || fail "two export lines: $s"
			[ "$(grep -c '^mbx-import: ' <<<"$s")" -eq 1 ] || fail "two import lines: $s"
		fi
		grep -q '^rc=' <<<"$s" && break
		now=$(sed -n 's/^mbx-import: \([0-9,]*\) .*/\1/p' <<<"$s" | tr -d ,)
		[ -z "$now" ] || [ "$now" -ge "$first" ] || fail "the count went back: $first, then $now"
		sleep 0.15
	done
	[ "$both" -ge 2 ] || fail "both lines were seen together only $both times"
	wait_screen '^rc=0$'
	# the end: the command, its status and the prompt, nothing left of the lines
	s=$(screen | grep .)
	assert_equal "$(sed -n 2,3p <<<"$s")" "rc=0
PROMPT>"
	assert_equal "$(wc -l <<<"$s")" 3
	assert_equal "$(jq -r .status "$PANE_DIR/out1.ndjson" | sort | uniq -c | awk '{print $1, $2}')" "60 created"
	assert_no_registry
}

@test "the import line shows the total from the folder records, a rate and an ETA" {
	type_line 'mbx-export < items.ndjson | mbx-import user2@contoso.com --under /T2 > out2.ndjson; echo "rc=$?"'
	wait_screen '^mbx-import: [0-9,]+ / 60 items \([0-9]+%\), [0-9.]+ KiB, [0-9.]+ items/s, [0-9.]+ KiB/s, ETA [0-9]+s$'
	wait_screen '^rc=0$'
	assert_equal "$(screen | grep -c 'mbx-')" 1      # the command line only
}

@test "the line counts the answers that asked to wait (429, Retry-After) and the time waited" {
	admin POST /faults --data-binary $'match=importItem,status=429,retry-after=1,count=3\nmatch=importItem,latency=300,count=0' >/dev/null
	type_line 'mbx-export < items.ndjson | mbx-import user2@contoso.com --under /T8 > out8.ndjson; echo "rc=$?"'
	wait_screen '^mbx-import: [0-9,]+ / 60 items .*, [1-9][0-9]* throttled \([0-9]+s\)(, ETA [0-9hms]+)?$'
	assert_clean_lines "$(screen)"
	wait_screen '^rc=0$'
	assert_equal "$(jq -r .status "$PANE_DIR/out8.ndjson" | sort | uniq -c | awk '{print $1, $2}')" "60 created"
}

@test "Ctrl-C: the lines go, the stages die of SIGINT, the terminal is left clean" {
	admin POST /faults --data-binary 'match=importItem,latency=1500,count=0' >/dev/null
	type_line 'mbx-export < items.ndjson | mbx-import user2@contoso.com --under /T3 > out3.ndjson'
	wait_screen '^mbx-import: [0-9,]+ / 60 items'
	wait_screen '^mbx-export: [0-9,]+ / [0-9,]+ items'
	assert_clean_lines "$(screen)"
	tmux -S "$TMUX_SOCK" send-keys C-c
	wait_screen '^PROMPT>$' 30
	type_line 'echo "st=${PIPESTATUS[*]}"'
	wait_screen '^st='
	s=$(screen | grep .)
	assert_equal "$(grep -c 'mbx-export: \|mbx-import: ' <<<"$s")" 0
	# mbx-import dies of SIGINT; mbx-export of SIGINT too, or of SIGPIPE when its next
	# write comes before it sees the signal (its reader is gone)
	assert_regex "$(grep '^st=' <<<"$s")" '^st=(130|141) 130$'
	[ "$(wc -l <"$PANE_DIR/out3.ndjson")" -lt 60 ] || fail "the import was not interrupted"
	assert_no_registry
}

@test "a message of a stage goes above the lines and stays; the lines come back below it" {
	mbx=$(head -1 "$PANE_DIR/items.ndjson" | jq -r .mailbox)
	{
		head -20 "$PANE_DIR/items.ndjson"
		printf '{"type":"item","mailbox":"%s","id":"AAMkAGmissing"}\n' "$mbx"
		tail -n +21 "$PANE_DIR/items.ndjson"
	} >"$PANE_DIR/items-bad.ndjson"
	type_line 'mbx-export < items-bad.ndjson | mbx-import user2@contoso.com --under /T4 > out4.ndjson; echo "rc=$?"'
	wait_screen "^mbx-export: cannot export 'AAMkAGmissing': ErrorItemNotFound$"
	wait_screen '^mbx-import: [0-9,]+ / [0-9,]+ items'
	s=$(screen | grep .)
	assert_clean_lines "$s"
	# the message line comes before the progress lines
	msg=$(grep -n 'cannot export' <<<"$s" | cut -d: -f1)
	imp=$(grep -n '^mbx-import: ' <<<"$s" | cut -d: -f1)
	[ "$msg" -lt "$imp" ] || fail "the message is below the lines: $s"
	wait_screen '^rc=1$'
	s=$(screen | grep .)
	assert_equal "$(sed -n '2,$p' <<<"$s")" "mbx-export: cannot export 'AAMkAGmissing': ErrorItemNotFound
rc=1
PROMPT>"
	assert_equal "$(jq -r .type "$PANE_DIR/out4.ndjson" | sort | uniq -c | awk '{print $1, $2}')" "1 error
60 imported"
}

@test "records on the terminal scroll above the lines, which stay whole" {
	type_line 'mbx-export < items.ndjson | mbx-import user2@contoso.com --under /T5; echo "rc=$?"'
	wait_screen '^mbx-import: [0-9,]+ / 60 items'
	for _ in $(seq 10); do
		assert_clean_lines "$(screen)"
		sleep 0.2
	done
	wait_screen '^rc=0$'
	s=$(screen)
	assert_clean_lines "$s"
	assert_equal "$(grep -c '^mbx-import: [0-9]' <<<"$s")" 0
}

@test "no progress with -q, with MBX_PROGRESS=0, with TERM=dumb, or when stderr is a file or a pipe" {
	for v in '-q' 'MBX_PROGRESS=0' 'TERM=dumb' '2>err.txt' '2>&1 | cat'; do
		case $v in
		-q) cmd='mbx-export -q < items.ndjson | mbx-import -q user2@contoso.com --under /T6 >/dev/null' ;;
		2*) cmd="{ mbx-export < items.ndjson | mbx-import user2@contoso.com --under /T6 >/dev/null; } $v" ;;
		*) cmd="export $v; mbx-export < items.ndjson | mbx-import user2@contoso.com --under /T6 >/dev/null; unset ${v%%=*}" ;;
		esac
		[ "$v" != TERM=dumb ] || cmd="$cmd; export TERM=$(tmux -S "$TMUX_SOCK" show-options -gv default-terminal)"
		tmux -S "$TMUX_SOCK" send-keys 'clear' Enter
		wait_screen '^PROMPT>$'
		type_line "$cmd; echo \"done \$?\""
		# the run lasts seconds (60 uploads of 300 ms, 4 at a time): look all along
		deadline=$((SECONDS + 60))
		until screen | grep -q '^done '; do
			[ "$SECONDS" -lt "$deadline" ] || fail "$v: the run did not end"
			run screen
			refute_output --partial 'mbx-import: '
			refute_output --partial 'mbx-export: '
			sleep 0.1
		done
		wait_screen '^done 0$'
	done
	# the file got nothing either: no line, no escape sequence
	assert_equal "$(wc -c <"$PANE_DIR/err.txt")" 0
	assert_no_registry
}

@test "stderr of a pipeline run by a script holds no progress and no escape sequence" {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr bash -c 'set -o pipefail; TERM=xterm mbx-export < "$BATS_FILE_TMPDIR/items.ndjson" | TERM=xterm mbx-import user2@contoso.com --under /T7'
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 60
}

@test "demo.sh on a terminal: the stages' lines show, and none is left when it is done" {
	type_line "MBX_BUILDDIR=$MBX_BUILDDIR $MBX_SRCDIR/demo.sh"
	wait_screen '^mbx-import: [0-9,]+ / 200 items' 120
	assert_clean_lines "$(screen)"
	wait_screen '^mbx-export: [0-9,]+ / [0-9,]+ items' 120
	wait_screen '^\(demo done in [0-9]+ s\)$' 120
	wait_screen '^PROMPT>$'
	s=$(screen)
	assert_clean_lines "$s"
	assert_equal "$(grep -cE 'mbx-(export|import): [0-9]' <<<"$s")" 0
	assert_equal "$(grep . <<<"$s" | tail -4)" "total                            200        200        155
source and targets agree: every folder restored, every folder the filter kept migrated
$(grep '^(demo done' <<<"$s")
PROMPT>"
}
