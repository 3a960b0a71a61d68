#!/usr/bin/env bash
# tests/bench/import.sh: mbx-import against the emulator's upload quota, scaled to
# 15 MB per 30 s (the service's 150 MB per 5 minutes), with 40 KB items (import issue:
# speed). Prints, from the emulator's own log:
#  - the sustained upload rate as a percent of the quota: the bytes accepted in the k
#    whole windows from the first accepted upload on (k = the run's length in windows,
#    rounded down, at least 2 for a meaningful figure), over k windows' time;
#  - the 429 answers to uploads (every one of them a client-side pacer could avoid:
#    the target is 0) and Retry-After violations.
# Usage: tests/bench/import.sh [BUILDDIR] [ITEMS]   (default 1200 items: about 4 windows)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/bench/lib.sh" "${1:-}"
items=${2:-1200}

quota_bytes=$((15 * 1048576)) window=30
start g "users=2,folders=4,items=$items,size=40k,seed=9" --quota "upload=15M/${window}s"
mbx-folders user1@contoso.com | mbx-ls | mbx-export >"$work/frames"
n=$(mbx-frames -t "$work/frames" | grep -c '"type":"item"')
echo "== import of $n items of 40 KB, quota 15M/${window}s, --upload-limit the same"
from=$(($(wc -l <"$GRAPHD_DIR/graphd.log") + 1))
t0=$(now)
mbx-import --upload-limit "15M/${window}s" --stats "$work/stats.json" user2@contoso.com \
	--under /Bench <"$work/frames" >/dev/null
t1=$(now)
tail -n +"$from" "$GRAPHD_DIR/graphd.log" | jq -c 'select(.path | endswith("/importItem"))' >"$work/up"
jq -s --argjson q "$quota_bytes" --argjson w "$window" '
	map(select(.status == 200)) | sort_by(.t) as $ok
	| ($ok | map(.bytes) | add) as $total
	| ($ok[-1].t - $ok[0].t) as $span
	| (($span / $w) | floor) as $k
	| ($ok | map(select(.t < $ok[0].t + $k * $w) | .bytes) | add) as $in
	| { accepted: ($ok | length), bytes: $total, span: $span, windows: $k,
	    sustained: (if $k > 0 then ($in / ($k * $w)) / ($q / $w) * 100 else null end) }' \
	"$work/up" >"$work/fig.json"
echo "mbx-import: $(jq -r '"\(.ok) imported, \(.failed) failed, \(.throttled) throttled"' "$work/stats.json") in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
jq -r '"accepted uploads: \(.accepted), \(.bytes) request bytes over \(.span | . * 10 | round / 10) s"' "$work/fig.json"
jq -r '"sustained rate over \(.windows) whole windows: \(.sustained | . * 10 | round / 10) % of the quota (target >= 95 %)"' "$work/fig.json"
echo "429 answers to uploads: $(jq -s 'map(select(.status == 429)) | length' "$work/up") (target 0)"
echo "Retry-After violations: $(jq -s 'map(select(.violation)) | length' "$work/up")"
