#!/usr/bin/env bash
# tests/bench/mime-in.sh: mbx-mime --to-frames on an mbox of 10,000 messages of about
# 40 KB (a text part and a base64 attachment each; issue 16: speed). Prints the
# conversion's rate in MB of mbox per second and its CPU per MB, the CPU per MB of
# mbx-frames --verify on the frames it wrote, and the ratio of the two CPU figures,
# both per MB of the mbox so that they compare; and the peak RSS of the conversion.
# Usage: tests/bench/mime-in.sh [BUILDDIR] [MESSAGES] [KB]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/bench/lib.sh" "${1:-}"
n=${2:-10000}
kb=${3:-40}

# mime-gen.py's attachment of KB*700 bytes is about KB kilobytes once in base64
/usr/bin/python3 "$src/tests/mime-gen.py" many "$work/in.mbox" "$n" "$kb"
mb=$(mb_of "$work/in.mbox")
echo "== mbx-mime --to-frames: $n messages, $mb MB of mbox"
cat "$work/in.mbox" >/dev/null                  # from the page cache, as the verify reads
/usr/bin/time -f '%e %U %S %M' -o "$work/t1" mbx-mime --to-frames "$work/in.mbox" >"$work/out.frames"
/usr/bin/time -f '%e %U %S %M' -o "$work/t2" mbx-frames --verify "$work/out.frames" 2>/dev/null
frames=$(mbx-frames -t "$work/out.frames" | grep -c '"type":"item"')
[ "$frames" -eq "$n" ] || { echo "only $frames frames for $n messages" >&2; exit 1; }
fmb=$(mb_of "$work/out.frames")
read -r e1 u1 s1 m1 <"$work/t1"
read -r e2 u2 s2 m2 <"$work/t2"
awk -v mb="$mb" -v fmb="$fmb" -v e1="$e1" -v u1="$u1" -v s1="$s1" -v m1="$m1" \
    -v e2="$e2" -v u2="$u2" -v s2="$s2" 'BEGIN {
	c1 = u1 + s1; c2 = u2 + s2
	printf "conversion: %.2f s, %.1f MB/s, %.2f ms CPU per MB of mbox, peak RSS %d KB\n",
		e1, mb / (e1 > 0 ? e1 : 0.01), c1 * 1000 / mb, m1
	printf "mbx-frames --verify of the %.1f MB of frames: %.2f s, %.2f ms CPU per MB of mbox\n",
		fmb, e2, c2 * 1000 / mb
	printf "CPU ratio, conversion to verify: %.2f\n", (c2 > 0 ? c1 / c2 : 0)
}'
