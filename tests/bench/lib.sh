# tests/bench/lib.sh: what every benchmark under tests/bench/ shares. Sourced, never run:
#   src=$(cd "$(dirname "$0")/../.." && pwd); source "$src/tests/bench/lib.sh" "${1:-}"
# It sets $build (the first argument, else the source tree), puts its programs first on
# PATH, makes the scratch directory $work and a trap that, on every way out (end, error
# under set -e, ^C), stops each emulator whose pid is in $work/*.pid and waits for it
# (a benchmark must not leave one running), then removes $work.
build=${1:-$src}
[ -n "$build" ] || build=$src
export PATH="$build/bin:$build/tests:$PATH"
work=$(mktemp -d)

bench_cleanup() {
	local rc=$? f p
	for f in "$work"/*.pid; do
		[ -s "$f" ] || continue
		p=$(cat "$f")
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
	exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP

# The suite's emulator helpers (graphd_start over TLS with a throwaway CA, token, ...);
# outside bats, its two bats-only calls are no-ops.
export BATS_FILE_TMPDIR=$work
load() { :; }
bats_require_minimum_version() { :; }
source "$src/tests/helpers.bash"

start() {   # start NAME SPEC [mbx-graphd args]: an emulator over TLS; exports its URLs
	local name=$1 spec=$2
	shift 2
	GRAPHD_DIR=$work/$name graphd_start --generate "$spec" "$@"
	echo "$GRAPHD_PID" >"$work/$name.pid"
}
stop() {    # stop NAME
	[ -s "$work/$1.pid" ] || return 0
	kill "$(cat "$work/$1.pid")" 2>/dev/null || true
	wait "$(cat "$work/$1.pid")" 2>/dev/null || true
	rm -f "$work/$1.pid"
}

# start_plain NAME SPEC: an emulator over plain HTTP on loopback (mbx-graphd allows it
# there, for benchmarks), so that a CPU figure is the program's own work and not TLS;
# points the programs at it with the generated app's credentials.
start_plain() {
	local name=$1 spec=$2 i
	mbx-graphd --listen 127.0.0.1:0 --port-file "$work/$name.port" --generate "$spec" \
		2>/dev/null &
	echo $! >"$work/$name.pid"
	for i in $(seq 100); do [ -s "$work/$name.port" ] && break; sleep 0.05; done
	export MBX_GRAPH_URL=http://127.0.0.1:$(cat "$work/$name.port")/beta
	export AZURE_AUTHORITY_HOST=http://127.0.0.1:$(cat "$work/$name.port")
	export AZURE_TENANT_ID=$GEN_TENANT AZURE_CLIENT_ID=$GEN_CLIENT_ID
	export AZURE_CLIENT_SECRET=$GEN_CLIENT_SECRET XDG_CACHE_HOME=$work/cache-$name
}

# pin_emulator NAME: the emulator stands in for a service on other machines: on a machine
# with two CPUs or more it runs on the last one and the programs (through "${pin[@]}") on
# the first, so that a figure is the program's and not the scheduler's.
pin=()
pin_emulator() {
	local cpus
	cpus=$(nproc)
	[ "$cpus" -ge 2 ] && command -v taskset >/dev/null || return 0
	taskset -a -p -c $((cpus - 1)) "$(cat "$work/$1.pid")" >/dev/null
	pin=(taskset -c 0)
}

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }     # secs T0 T1
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }     # rate N SECS
share() { awk -v r="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * r / b }'; }   # share R BOUND
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b < 0.01) b = 0.01; printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }             # mib KIB
mb_of() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1048576 }'; }  # mb_of FILE

# best_cpu IN CMD...: the best CPU seconds (user + sys) of three runs of CMD < IN with
# output to /dev/null; the peak RSS (KiB) of the last run in $work/rss. Best of three:
# one run's 10 ms resolution of /usr/bin/time and a busy second core make a ratio swing.
best_cpu() {
	local in=$1 b=999 t i
	shift
	for i in 1 2 3; do
		/usr/bin/time -f "%U %S %M" -o "$work/t.txt" "$@" <"$in" >/dev/null 2>&1
		t=$(awk '{ print $1 + $2 }' "$work/t.txt")
		awk '{ print $3 }' "$work/t.txt" >"$work/rss"
		b=$(awk -v a="$b" -v c="$t" 'BEGIN { print (c < a) ? c : a }')
	done
	echo "$b"
}
