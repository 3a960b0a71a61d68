#!/usr/bin/env bash
# tests/bench/mime.sh: the CPU mbx-mime spends per MB of frames against that of
# `mbx-frames --verify` on the same frames (issue 15: at most 2x), measured in one run:
# 10,000 generated items of 40 KB exported from the emulator (plain HTTP on loopback)
# into a file, then each program best of three over it, output to /dev/null. Also the
# same for --maildir (files written) and the peak RSS of each.
# Usage: tests/bench/mime.sh [BUILDDIR]   (needs /usr/bin/time, jq, curl)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src}
export PATH="$build/bin:$build/tests:$PATH"
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

mbx-graphd --listen 127.0.0.1:0 --port-file "$work/port" \
	--generate users=1,folders=2,items=10000,size=40k,seed=2 2>/dev/null &
echo $! >"$work/graphd.pid"
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
export MBX_GRAPH_URL=http://127.0.0.1:$(cat "$work/port")/beta
export AZURE_AUTHORITY_HOST=http://127.0.0.1:$(cat "$work/port")
export AZURE_TENANT_ID=contoso.com AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555
export AZURE_CLIENT_SECRET=mbx-graphd-demo-secret XDG_CACHE_HOME=$work/cache
mbx-folders user1@contoso.com | mbx-ls | mbx-export >"$work/frames"
kill "$(cat "$work/graphd.pid")"
rm -f "$work/graphd.pid"
n=$(grep -ac '^{"type":"item"' "$work/frames")
mb=$(awk -v b="$(wc -c <"$work/frames")" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "== $n items, $mb MB of frames"

best() {    # best CPU seconds (user + sys) of three runs of "$@" on the frames; RSS in rss
	local b=999 t i
	for i in 1 2 3; do
		rm -rf "$work/md"
		/usr/bin/time -f "%U %S %M" -o "$work/t.txt" "$@" <"$work/frames" >/dev/null 2>&1
		t=$(awk '{ print $1 + $2 }' "$work/t.txt")
		rss=$(awk '{ print $3 }' "$work/t.txt")
		b=$(awk -v a="$b" -v c="$t" 'BEGIN { print (c < a) ? c : a }')
	done
	echo "$b"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b < 0.01) b = 0.01; printf "%.2f", a / b }'; }

v=$(best mbx-frames --verify); vr=$rss
m=$(best mbx-mime); mr=$rss
d=$(best mbx-mime --maildir "$work/md"); dr=$rss
echo "mbx-frames --verify: $v s CPU ($(awk -v t="$v" -v m="$mb" 'BEGIN { printf "%.1f", 1000 * t / m }') ms/MB), peak RSS $vr KiB"
echo "mbx-mime (mbox):     $m s CPU, peak RSS $mr KiB; ratio $(ratio "$m" "$v")x (target <= 2x)"
echo "mbx-mime --maildir:  $d s CPU, peak RSS $dr KiB; ratio $(ratio "$d" "$v")x"
