#!/usr/bin/env bash
# tests/bench/graphd-state.sh: what --state costs the emulator (issue: --state in
# O(change), not O(store)). An import of 400 items of 4 KB with mbx-import into an
# emulator holding 40,000 items, once without --state and once with it (every change
# fsync'd to the change log before it is acknowledged). Prints both times and their
# ratio (target: within 2x).
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

echo "== 400 items of 4 KB imported into an emulator holding 40,000 items"
plain=$(run plain)
state=$(run state --state "$work/state")
echo "without --state: $plain s"
echo "with --state:    $state s ($(du -k "$work/state/store.ndjson" | cut -f1) KB snapshot)"
echo "ratio: $(ratio "$state" "$plain") (target <= 2)"
