#!/usr/bin/env bash
# tests/bench/mime.sh: the CPU mbx-mime spends per MB of frames against that of
# `mbx-frames --verify` on the same frames (issue 15: at most 2x), measured in one run:
# 10,000 generated items of 40 KB exported from the emulator (plain HTTP on loopback)
# into a file, then each program best of three over it, output to /dev/null. Also the
# same for --maildir (files written) and the peak RSS of each.
# Usage: tests/bench/mime.sh [BUILDDIR]   (needs /usr/bin/time, jq, curl)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/bench/lib.sh" "${1:-}"

start_plain g users=1,folders=2,items=10000,size=40k,seed=2
mbx-folders user1@contoso.com | mbx-ls | mbx-export >"$work/frames"
stop g
n=$(grep -ac '^{"type":"item"' "$work/frames")
mb=$(mb_of "$work/frames")
echo "== $n items, $mb MB of frames"

best() {    # best CPU seconds of three runs on the frames; a fresh --maildir each time
	best_cpu "$work/frames" sh -c 'rm -rf "$0/md" && exec "$@"' "$work" "$@"
}

v=$(best mbx-frames --verify); vr=$(cat "$work/rss")
m=$(best mbx-mime); mr=$(cat "$work/rss")
d=$(best mbx-mime --maildir "$work/md"); dr=$(cat "$work/rss")
echo "mbx-frames --verify: $v s CPU ($(awk -v t="$v" -v m="$mb" 'BEGIN { printf "%.1f", 1000 * t / m }') ms/MB), peak RSS $vr KiB"
echo "mbx-mime (mbox):     $m s CPU, peak RSS $mr KiB; ratio $(ratio "$m" "$v")x (target <= 2x)"
echo "mbx-mime --maildir:  $d s CPU, peak RSS $dr KiB; ratio $(ratio "$d" "$v")x"
