#!/usr/bin/env bash
# tests/bench/tenant.sh: many mailboxes at once (issue 13 "Speed and memory"), every
# figure measured in this one run. The emulator holds 16 users x 2000 items of 4 KB, with
# 200 ms latency on exportItems: the bound is 4 calls x 20 items / 0.2 s = 400 items/s
# per mailbox. Prints:
#  (a) 8 mailboxes, one pipeline mbx-ls -M | mbx-folders | mbx-ls | mbx-export:
#      items/s and the share of 8 x 400, three runs and their median;
#  (b) the same item records saved to a file sorted by mailbox, into one mbx-export;
#  (c) 8 mbx-export processes, one per mailbox, for reference;
#  (d) 16 mailboxes: one pipeline against 16 whole pipelines (one per mailbox, all at
#      once, discovery included as in the one) and against 16 mbx-export processes fed
#      the listed items (no discovery), in five rounds (MBX_BENCH_ROUNDS), and the
#      median ratios;
#      peak RSS of mbx-export (/usr/bin/time %M) in every case;
#  (e) discovery, mbx-ls -M --all | mbx-folders | mbx-ls over 200 users with 50 ms latency
#      on every request: requests, time, and the ratio to the same run one mailbox at a
#      time (--mailboxes 1 in mbx-folders and mbx-ls).
# Times are wall clock of the whole run (discovery included for the pipelines), single
# runs except in (a) and (d).
# Usage: tests/bench/tenant.sh [BUILDDIR]   (needs /usr/bin/time, jq, curl, openssl)
# MBX_BENCH_PARTS=e (any of abcde, default all) runs only those parts; a-d go together.
# MBX_BENCH_ROUNDS=N: the rounds of (d), default 5.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/bench/lib.sh" "${1:-}"
users() { local i; for i in $(seq "$1" "$2"); do echo "user$i@contoso.com"; done; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }   # median A B C...

parts=${MBX_BENCH_PARTS:-abcde}
if [[ $parts == *[abcd]* ]]; then
start ex users=16,folders=1,items=2000,size=4k,seed=13 --fault "match=exportItems,latency=200,count=0"
pin_emulator ex
[ "${#pin[@]}" -eq 0 ] || echo "(emulator on CPU $(($(nproc) - 1)), mbx programs on CPU 0)"

# pipeline N TAG: mbx-ls -M user1..userN | mbx-folders | mbx-ls | mbx-export; sets el, ok, rss
pipeline() {
	local t0 t1
	t0=$(now)
	"${pin[@]}" mbx-ls -M $(users 1 "$1") | "${pin[@]}" mbx-folders | "${pin[@]}" mbx-ls |
		/usr/bin/time -f %M -o "$work/$2.rss" "${pin[@]}" mbx-export --stats "$work/$2.json" >/dev/null
	t1=$(now)
	el=$(secs "$t0" "$t1") ok=$(jq .ok "$work/$2.json") rss=$(cat "$work/$2.rss")
}
# pipelines N TAG: N whole pipelines at once, one per mailbox (what the one pipeline is
# measured against like for like: discovery included); sets el, ok, rss (max)
pipelines() {
	local t0 t1 i pids=()
	t0=$(now)
	for i in $(seq 1 "$1"); do
		"${pin[@]}" mbx-ls -M "user$i@contoso.com" | "${pin[@]}" mbx-folders | "${pin[@]}" mbx-ls |
			/usr/bin/time -f %M -o "$work/$2.$i.rss" "${pin[@]}" mbx-export \
			--stats "$work/$2.$i.json" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(now)
	el=$(secs "$t0" "$t1")
	ok=$(cat "$work/$2".*.json | jq -s 'map(.ok) | add')
	rss=$(cat "$work/$2".*.rss | sort -n | tail -n 1)
}
# separate FILE TAG: one mbx-export per mailbox of FILE, all at once; sets el, ok, rss (max)
separate() {
	local t0 t1 f pids=()
	rm -f "$work/$2".part.*
	jq -r '.mailbox' "$1" | sort -u | cat -n | while read -r n m; do
		jq -c --arg m "$m" 'select(.mailbox == $m)' "$1" >"$work/$2.part.$n"
	done
	t0=$(now)
	for f in "$work/$2".part.*; do
		/usr/bin/time -f %M -o "$f.rss" "${pin[@]}" mbx-export --stats "$f.json" <"$f" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(now)
	el=$(secs "$t0" "$t1")
	ok=$(cat "$work/$2".part.*.json | jq -s 'map(.ok) | add')
	rss=$(cat "$work/$2".part.*.rss | sort -n | tail -n 1)
}

echo "== (a) 8 mailboxes x 2000 items of 4 KB, one pipeline; bound 8 x 400 = 3200 items/s"
# three runs, the median one counts (the machine's own noise is some +-2 % a run)
runs=
for round in 1 2 3; do
	pipeline 8 "a$round"
	ra=$(rate "$ok" "$el")
	echo "pipeline, run $round: $ok items in $el s = $ra items/s, $(share "$ra" 3200) % of the bound; mbx-export peak RSS $(mib "$rss") MiB"
	runs="$runs $ra"
done
ra=$(median $runs)
echo "pipeline, median of the three: $ra items/s, $(share "$ra" 3200) % of the bound"

echo "== (b) the same item records from a file sorted by mailbox"
t0=$(now)
"${pin[@]}" mbx-ls -M $(users 1 8) | "${pin[@]}" mbx-folders | "${pin[@]}" mbx-ls >"$work/list8"
t1=$(now)
echo "(discovery alone, mbx-ls -M | mbx-folders | mbx-ls: $(secs "$t0" "$t1") s)"
grep '^{"type":"item"' "$work/list8" | jq -c -s 'sort_by(.mailbox)[]' >"$work/sorted8"
t0=$(now)
/usr/bin/time -f %M -o "$work/b.rss" "${pin[@]}" mbx-export --stats "$work/b.json" <"$work/sorted8" >/dev/null
t1=$(now)
el=$(secs "$t0" "$t1") ok=$(jq .ok "$work/b.json")
rb=$(rate "$ok" "$el")
echo "sorted file: $ok items in $el s = $rb items/s, $(share "$rb" 3200) % of the bound; peak RSS $(mib "$(cat "$work/b.rss")") MiB; spilled $(jq .spilled "$work/b.json") records"

echo "== (c) 8 separate mbx-export processes, one per mailbox"
separate "$work/sorted8" c
rc=$(rate "$ok" "$el")
echo "8 processes: $ok items in $el s = $rc items/s, $(share "$rc" 3200) % of the bound; largest peak RSS $(mib "$rss") MiB"

echo "== (d) 16 mailboxes: one pipeline against 16 processes; bound 6400 items/s"
# Rounds (five: three could not tell 0.98 from 1.02 here), each running the three in
# turn, so that a slow moment of the machine falls on all of them; the ratios are the
# medians of the rounds' own ratios.
mbx-ls -M $(users 1 16) | mbx-folders | mbx-ls | grep '^{"type":"item"' >"$work/items16"
rss_max=0 q1= q2=
for round in $(seq "${MBX_BENCH_ROUNDS:-5}"); do
	pipeline 16 "d$round"
	rd=$(rate "$ok" "$el") okd=$ok eld=$el rssd=$rss
	separate "$work/items16" "s$round"
	r16=$(rate "$ok" "$el") ok16=$ok el16=$el rss16=$rss
	pipelines 16 "p$round"
	rp=$(rate "$ok" "$el")
	echo "round $round: pipeline $okd items in $eld s = $rd items/s ($(share "$rd" 6400) %);" \
		"16 mbx-export processes on the listed items (no discovery) $ok16 in $el16 s = $r16 items/s ($(share "$r16" 6400) %);" \
		"16 whole pipelines, one per mailbox (discovery included) $ok in $el s = $rp items/s ($(share "$rp" 6400) %)"
	q1="$q1 $(ratio "$rd" "$rp")" q2="$q2 $(ratio "$rd" "$r16")"
	for k in "$rssd" "$rss16" "$rss"; do [ "$k" -le "$rss_max" ] || rss_max=$k; done
done
echo "peak RSS of any mbx-export in (d): $(mib "$rss_max") MiB"
echo "ratio pipeline / 16 pipelines: $(median $q1)x (rounds:$q1); pipeline / 16 mbx-export processes without discovery: $(median $q2)x (rounds:$q2)"
stop ex
fi

if [[ $parts == *e* ]]; then
echo "== (e) discovery: 200 users, 50 ms latency on every request"
start disc users=200,folders=1,items=20,size=1k,seed=14 --fault "latency=50,count=0"
pin_emulator disc
requests() { grep -vc '"path":"/_admin' "$GRAPHD_DIR/graphd.log" || true; }
# discover N OUT: mbx-ls -M --all | mbx-folders | mbx-ls, N mailboxes at once; sets el, q
discover() {
	local n0 t0 t1
	n0=$(requests)
	t0=$(now)
	"${pin[@]}" mbx-ls -M --all | "${pin[@]}" mbx-folders --mailboxes "$1" |
		"${pin[@]}" mbx-ls --mailboxes "$1" >"$2"
	t1=$(now)
	el=$(secs "$t0" "$t1") q=$(( $(requests) - n0 ))
}
discover 16 "$work/disc1"
e1=$el
echo "one pipeline, --mailboxes 16: $(jq -r .mailbox "$work/disc1" | sort -u | wc -l) mailboxes, $(grep -c '"type":"item"' "$work/disc1") item records, $q requests, $e1 s"
discover 1 "$work/disc2"
e2=$el
echo "one mailbox at a time, --mailboxes 1: $(grep -c '"type":"item"' "$work/disc2") item records, $q requests, $e2 s"
cmp -s <(sort "$work/disc1") <(sort "$work/disc2") || echo "the two runs differ!"
echo "ratio one at a time / pipeline: $(ratio "$e2" "$e1")x"
stop disc
fi
