#!/usr/bin/env bash
# tests/bench/graphd-state.sh: what --state costs the emulator (issue: --state in
# O(change), not O(store)). An import of 400 items of 4 KB with mbx-import into an
# emulator holding 40,000 items, without --state, with it (every change written to the
# change log before it is acknowledged, fsync'd within a second: --fsync second, the
# default) and with --fsync always (fsync'd before it is acknowledged), five times
# each, in turn, on a fresh emulator each time. Prints the runs, the medians and the
# ratios to the run without --state (target, for the default: within 2x). One run is
# a tenth of a second: single runs swung between 1.6x and 2.8x.
# Usage: tests/bench/graphd-state.sh [BUILDDIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/bench/lib.sh" "${1:-}"

spec=users=2,folders=4,items=20000,size=4k,seed=11    # 40,000 items in all

# run NAME [mbx-graphd args]: the import's seconds on a fresh emulator
run() {
	local name=$1 t0 t1
	shift
	start "$name" "$spec" "$@"
	[ -s "$work/frames" ] || mbx-folders user2@contoso.com | mbx-ls |
		jq -c 'select(.type == "item")' | head -n 400 | mbx-export >"$work/frames"
	t0=$(now)
	mbx-import --stats "$work/$name.stats" user1@contoso.com --under /Bench \
		<"$work/frames" >/dev/null
	t1=$(now)
	stop "$name"
	[ "$(jq .ok "$work/$name.stats")" = 400 ] || { echo "$name: not 400 imported" >&2; exit 1; }
	secs "$t0" "$t1"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== 400 items of 4 KB imported into an emulator holding 40,000 items"
plains=() states=() alls=()
for i in 1 2 3 4 5; do
	plains+=("$(run plain)")
	rm -rf "$work/state"
	states+=("$(run state --state "$work/state")")
	rm -rf "$work/state"
	alls+=("$(run always --state "$work/state" --fsync always)")
	echo "run $i: without --state ${plains[-1]} s, with --state ${states[-1]} s," \
		"with --state --fsync always ${alls[-1]} s"
done
plain=$(printf '%s\n' "${plains[@]}" | median)
state=$(printf '%s\n' "${states[@]}" | median)
always=$(printf '%s\n' "${alls[@]}" | median)
echo "without --state:              $plain s (median)"
echo "with --state:                 $state s (median; $(du -k "$work/state/store.ndjson" | cut -f1) KB snapshot)"
echo "with --state --fsync always:  $always s (median)"
echo "ratio: $(ratio "$state" "$plain") (target <= 2); with --fsync always: $(ratio "$always" "$plain")"
