# tests/sweep.sh: the error sweep of t5200 (issue 11 item 4), sourced by the bats file
# after helpers.bash and graphd_start.
#
# sweep NAME: NAME's program runs once without faults (its requests counted in the
# emulator's log: K), then once for every k in 1..K and every failure kind, the emulator
# failing exactly its k-th request (a fault rule with skip=k-1). After each faulty run:
# no signal (status < 128), the status one of mbx(7) EXIT STATUS, stderr lines all in the
# program's message form, stdout only complete records, an error record when the status
# is 1; then a run without faults (resuming: same journal, same inputs) must leave the
# final state a fault-free run leaves. Each program is three functions:
#   prep_NAME C    make what case C needs (fault-free; may print nothing)
#   run_NAME C     the program's run for case C (stdin, args)
#   state_NAME C   the final state of case C, for comparison with the fault-free one
# Problems are lines "FAIL NAME k=K kind=KIND: what" on stdout; the last line is
# "NAME: K requests, N kinds, M cases".

SWEEP_KINDS=(400 403 404 409 500 malformed truncated reset)

# The rule that makes request k fail with KIND.
sweep_rule() {
	local k=$1 kind=$2 skip=$(($1 - 1))
	case $kind in
	500) echo "status=500,skip=$skip,count=0" ;;         # past every retry
	malformed|truncated|reset) echo "body=$kind,skip=$skip,count=1" ;;
	*) echo "status=$kind,skip=$skip,count=1" ;;
	esac
}

# requests the emulator logged after line $1 (not /_admin)
sweep_requests() { tail -n +"$(($1 + 1))" "$GRAPHD_DIR/graphd.log" | grep -vc '"path":"/_admin'; }
sweep_paths() { tail -n +"$(($1 + 1))" "$GRAPHD_DIR/graphd.log" | jq -r 'select(.path | startswith("/_admin") | not) | .path'; }

# stdout_ok NAME FILE: complete records only (frames verify, or every line is JSON)
sweep_stdout_ok() {
	local f=$2
	[ -s "$f" ] || return 0
	if [ "$1" = export ]; then
		# 1 is for error frames (mbx-frames(1)); a cut stream is 5, a bad frame counted
		local v rc=0
		v=$(mbx-frames --verify "$f" 2>&1 >/dev/null) || rc=$?
		[ "$rc" -le 1 ] && [[ $v == *", 0 bad,"* ]]
	else
		jq -c . "$f" >/dev/null 2>&1 && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ]
	fi
}

# the records of stdout as JSON lines (frames: their headers)
sweep_records() {
	if [ "$1" = export ]; then mbx-frames -t "$2" 2>/dev/null; else cat "$2"; fi
}

sweep() {
	local name=$1 prog d=$BATS_TEST_TMPDIR/sweep-$1 k kind c st from want got n=0 K rule line
	prog=mbx-$name
	[ "$name" = lsM ] && prog=mbx-ls
	mkdir -p "$d"
	# the fault-free run: K and the state to reach
	prep_"$name" base
	rm -rf "$XDG_CACHE_HOME/mbx"
	from=$(wc -l <"$GRAPHD_DIR/graphd.log")
	run_"$name" base >"$d/base.out" 2>"$d/base.err" || { echo "FAIL $name: fault-free run: $(cat "$d/base.err")"; return 0; }
	K=$(sweep_requests "$from")
	SWEEP_OUT=$d/base.out
	state_"$name" base >"$d/base.state"
	for kind in "${SWEEP_KINDS[@]}"; do
		for k in $(seq 1 "$K"); do
			c=$kind-$k
			prep_"$name" "$c"
			rm -rf "$XDG_CACHE_HOME/mbx"
			rule=$(sweep_rule "$k" "$kind")
			admin POST /faults -d "$rule" >/dev/null
			from=$(wc -l <"$GRAPHD_DIR/graphd.log")
			st=0
			timeout -s KILL 60 bash -c "$(declare -f run_"$name"); run_$name '$c'" \
				>"$d/$c.out" 2>"$d/$c.err" || st=$?
			admin DELETE /faults >/dev/null
			n=$((n + 1))
			local at
			at=$(sweep_paths "$from" | sed -n "${k}p")
			local what="FAIL $name k=$k kind=$kind ($at) status=$st"
			if [ "$st" -ge 128 ]; then
				echo "$what: killed by a signal or hung: $(head -c 300 "$d/$c.err")"
				continue
			fi
			case $st in 0|1|3|4|5) ;; *) echo "$what: not an exit status of mbx(7)";; esac
			if [ "$st" -ne 0 ] && [ ! -s "$d/$c.err" ]; then
				echo "$what: failed in silence"
			fi
			while IFS= read -r line; do
				case $line in
				"$prog: "*[!.]) ;;
				*) echo "$what: stderr line not in the message form: $line" ;;
				esac
			done <"$d/$c.err"
			if [ "$(wc -l <"$d/$c.err")" -gt 3 ]; then
				echo "$what: $(wc -l <"$d/$c.err") stderr lines for one failure"
			fi
			if grep -qiE 'bearer|eyJ[a-zA-Z0-9_-]{10,}' "$d/$c.err"; then
				echo "$what: a token on stderr"
			fi
			if ! sweep_stdout_ok "$name" "$d/$c.out"; then
				echo "$what: stdout holds an incomplete record"
			elif [ "$st" -eq 1 ] && ! sweep_records "$name" "$d/$c.out" | jq -c 'select(.type == "error")' 2>/dev/null | grep -q .; then
				echo "$what: exit 1 without an error record"
			fi
			if [ "$st" -eq 0 ]; then
				SWEEP_OUT=$d/$c.out
				cmp -s <(state_"$name" "$c") "$d/base.state" ||
					echo "$what: exit 0 but the state differs from a fault-free run"
				continue
			fi
			# What was done is kept: a run without faults (the same journal) reaches the
			# fault-free state. Its status is not asked for: a rename or a removal that the
			# faulty run did without hearing the answer has nothing left to do.
			rm -rf "$XDG_CACHE_HOME/mbx"
			SWEEP_OUT=$d/$c.re.out
			run_"$name" "$c" >"$d/$c.re.out" 2>"$d/$c.re.err" || true
			if ! cmp -s <(state_"$name" "$c") "$d/base.state"; then
				echo "$what: the run after it does not reach the fault-free state: $(head -c 300 "$d/$c.re.err")"
				diff <(state_"$name" "$c") "$d/base.state" | head -5
			fi
		done
	done
	echo "$name: $K requests, ${#SWEEP_KINDS[@]} kinds, $n cases"
}
