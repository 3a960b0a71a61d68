#!/usr/bin/env bash
# tests/bench/graphd-state.sh: what --state costs the emulator (issue: --state in
# O(change), not O(store)). An import of 400 items of 4 KB with mbx-import into an
# emulator holding 40,000 items, once without --state and once with it (every change
# fsync'd to the change log before it is acknowledged). Prints both times and their
# ratio (target: within 2x).
# Usage: tests/bench/graphd-state.sh [BUILDDIR]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src}
export PATH="$build/bin:$build/tests:$PATH"
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
export BATS_FILE_TMPDIR=$work
source "$src/tests/helpers.bash" 2>/dev/null || true

spec=users=2,folders=4,items=20000,size=4k,seed=11    # 40,000 items in all
now() { date +%s.%N; }

# run NAME [mbx-graphd args]: the import's seconds on a fresh emulator
run() {
	local name=$1 t0 t1
	shift
	GRAPHD_DIR=$work/$name graphd_start --generate "$spec" "$@"
	echo "$GRAPHD_PID" >"$work/$name.pid"
	[ -s "$work/frames" ] || mbx-folders user2@contoso.com | mbx-ls |
		jq -c 'select(.type == "item")' | head -n 400 | mbx-export >"$work/frames"
	t0=$(now)
	mbx-import --stats "$work/$name.stats" user1@contoso.com --under /Bench \
		<"$work/frames" >/dev/null
	t1=$(now)
	graphd_stop
	rm -f "$work/$name.pid"
	[ "$(jq .ok "$work/$name.stats")" = 400 ] || { echo "$name: not 400 imported" >&2; exit 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

echo "== 400 items of 4 KB imported into an emulator holding 40,000 items"
plain=$(run plain)
state=$(run state --state "$work/state")
echo "without --state: $plain s"
echo "with --state:    $state s ($(du -k "$work/state/store.ndjson" | cut -f1) KB snapshot)"
awk -v a="$plain" -v b="$state" 'BEGIN { printf "ratio: %.2f (target <= 2)\n", b / a }'
