#!/bin/sh
# run.sh OUT SEEDS SECONDS SAMPLES HARNESS...: "make fuzz" runs this after building the
# harnesses into OUT. Each harness runs SECONDS on a fresh copy of SEEDS/HARNESS (plus,
# for fuzz-fx and fuzz-mime, the FastTransfer samples in SAMPLES when that folder exists: they are
# read at run time, never copied into the source tree). Prints per harness
#   fuzz-frame: N execs, 0 crashes
# keeps the log and any crashing input under OUT (and prints an input of up to 8 KiB in
# base64), and exits 1 if any harness crashed.
set -u
out=$1 seeds=$2 secs=$3 samples=$4
shift 4
failed=0
for h in "$@"; do
	corpus=$out/corpus/$h art=$out/artifacts/$h log=$out/$h.log
	rm -rf "$corpus" "$art"
	mkdir -p "$corpus" "$art"
	if [ -d "$seeds/$h" ]; then
		cp "$seeds/$h"/* "$corpus"/ 2>/dev/null
	fi
	if { [ "$h" = fuzz-fx ] || [ "$h" = fuzz-mime ]; } && [ -d "$samples" ]; then
		for f in "$samples"/*.bin; do
			[ -f "$f" ] && cp "$f" "$corpus"/
		done
		for f in "$samples"/*.b64; do    # truncated prefixes decode as far as they go
			[ -f "$f" ] && base64 -d "$f" >"$corpus/$(basename "$f" .b64).dec" 2>/dev/null
		done
	fi
	"$out/$h" -max_total_time="$secs" -timeout=30 -print_final_stats=1 \
		-artifact_prefix="$art/" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	crashes=$(find "$art" -type f | wc -l)
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1      # died without leaving an input (e.g. killed): still a failure
	fi
	echo "$h: ${execs:-0} execs, $crashes crashes"
	if [ "$crashes" -ne 0 ]; then
		failed=1
		grep -m 1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed "s|^|$h: |"
		find "$art" -type f | sed "s|^|$h: input |"
		# the input itself, so that a CI log that outlives the machine can replay it:
		# base64 -d >crash && OUT/HARNESS crash
		for f in "$art"/*; do
			[ -f "$f" ] && [ "$(wc -c <"$f")" -le 8192 ] || continue
			echo "$h: base64 of $(basename "$f"):"
			base64 -w 76 "$f" | sed "s|^|$h:   |"
		done
	fi
done
exit $failed
