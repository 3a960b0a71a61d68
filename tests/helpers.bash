# tests/helpers.bash: shared setup for the bats suite.
#
# Every test file starts its own mbx-graphd on a free loopback port, over TLS with a
# throwaway CA, and points the programs at it through the environment.

MBX_SRCDIR=${MBX_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
MBX_BUILDDIR=${MBX_BUILDDIR:-$MBX_SRCDIR}
export PATH="$MBX_BUILDDIR/bin:$MBX_BUILDDIR/tests:$PATH"
# .ci/valgrind: wrappers named like the programs, found before them
[ -z "${MBX_WRAPDIR:-}" ] || export PATH="$MBX_WRAPDIR:$PATH"
MBX_SAMPLES=${MBX_SAMPLES:-$MBX_SRCDIR/../shared/samples}

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

# The credentials of the app that mbx-graphd --generate registers (mbx-graphd(1)).
GEN_TENANT=contoso.com
GEN_CLIENT_ID=11111111-2222-3333-4444-555555555555
GEN_CLIENT_SECRET=mbx-graphd-demo-secret

# make_ca DIR [rsa]: a CA, and a server certificate for 127.0.0.1/localhost signed by
# it; ECDSA P-256 keys, or RSA-2048 ones with "rsa". ECDSA by default: the emulator
# shares the machine with the programs it serves, and an RSA-2048 signature in every
# handshake is some 13 times the CPU of a P-256 one (DESIGN-NOTES "The test CA").
make_ca() {
	local d=$1 k=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
	[ "${2:-}" != rsa ] || k=(-newkey rsa:2048)
	mkdir -p "$d"
	[ -f "$d/server.pem" ] && return 0
	openssl req -x509 "${k[@]}" -nodes -days 2 -subj "/CN=mbx test CA" \
		-keyout "$d/ca.key" -out "$d/ca.pem" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
		2>/dev/null
	openssl req "${k[@]}" -nodes -subj "/CN=localhost" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' \
		>"$d/ext.cnf"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
	chmod 600 "$d"/*.key
}

# make_client_cert DIR NAME: a self-signed client certificate + key in one PEM
# (AZURE_CLIENT_CERTIFICATE_PATH form) and the certificate alone in NAME.crt.
make_client_cert() {
	local d=$1 n=$2
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$n" \
		-keyout "$d/$n.key" -out "$d/$n.crt" 2>/dev/null
	cat "$d/$n.key" "$d/$n.crt" >"$d/$n.pem"
	chmod 600 "$d/$n.pem" "$d/$n.key"
}

# graphd_start [mbx-graphd args...]: start the emulator, wait for its port, export
# MBX_GRAPH_URL, AZURE_AUTHORITY_HOST, MBX_CACERT, credentials of the generated app,
# and a private XDG_CACHE_HOME. GRAPHD_DIR holds port, graphd.log, graphd.err; the
# certificate comes from GRAPHD_CA (a make_ca directory), default the file's ca/.
graphd_start() {
	local ca=${GRAPHD_CA:-$BATS_FILE_TMPDIR/ca}
	GRAPHD_DIR=${GRAPHD_DIR:-$BATS_FILE_TMPDIR/graphd}
	mkdir -p "$GRAPHD_DIR"
	make_ca "$ca"
	rm -f "$GRAPHD_DIR/port"
	mbx-graphd --listen 127.0.0.1:0 --port-file "$GRAPHD_DIR/port" \
		--tls-cert "$ca/server.pem" --tls-key "$ca/server.key" \
		--log "$GRAPHD_DIR/graphd.log" "$@" \
		>"$GRAPHD_DIR/graphd.out" 2>"$GRAPHD_DIR/graphd.err" 3>&- &
	GRAPHD_PID=$!
	echo "$GRAPHD_PID" >"$GRAPHD_DIR/pid"
	local i
	for i in $(seq 1 200); do
		[ -s "$GRAPHD_DIR/port" ] && break
		kill -0 "$GRAPHD_PID" 2>/dev/null || { cat "$GRAPHD_DIR/graphd.err" >&2; return 1; }
		sleep 0.05
	done
	[ -s "$GRAPHD_DIR/port" ] || { echo "mbx-graphd did not start" >&2; return 1; }
	GRAPHD_PORT=$(cat "$GRAPHD_DIR/port")
	GRAPHD_URL=https://127.0.0.1:$GRAPHD_PORT
	export GRAPHD_DIR GRAPHD_PID GRAPHD_PORT GRAPHD_URL
	export MBX_GRAPH_URL=$GRAPHD_URL/beta
	export AZURE_AUTHORITY_HOST=$GRAPHD_URL
	export MBX_CACERT=$ca/ca.pem
	export AZURE_TENANT_ID=$GEN_TENANT
	export AZURE_CLIENT_ID=$GEN_CLIENT_ID
	export AZURE_CLIENT_SECRET=$GEN_CLIENT_SECRET
	export XDG_CACHE_HOME=$BATS_FILE_TMPDIR/cache
	unset MBX_ACCESS_TOKEN MBX_TOKEN_COMMAND AZURE_CLIENT_CERTIFICATE_PATH MBX_AUTH
}

graphd_stop() {
	# an emulator restarted inside a test (a subshell) is known only by its pid file
	local pid=${GRAPHD_PID:-}
	[ ! -s "${GRAPHD_DIR:-/nonexistent}/pid" ] || pid=$(cat "$GRAPHD_DIR/pid")
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	GRAPHD_PID=
}

# admin GET|POST PATH [curl args...]: call the emulator's admin endpoint.
admin() {
	local m=$1 p=$2
	shift 2
	curl -sS --fail-with-body --cacert "$MBX_CACERT" -X "$m" "$GRAPHD_URL/_admin$p" "$@"
}

# Tests use `run --separate-stderr CMD`: $output is stdout, $stderr is stderr.
bats_require_minimum_version 1.5.0

# token [CLIENT SECRET]: an access token from the emulator's token endpoint.
token() {
	curl -sS --cacert "$MBX_CACERT" "$GRAPHD_URL/$AZURE_TENANT_ID/oauth2/v2.0/token" \
		--data-urlencode "client_id=${1:-$AZURE_CLIENT_ID}" \
		--data-urlencode "client_secret=${2:-$AZURE_CLIENT_SECRET}" \
		--data-urlencode "scope=https://graph.microsoft.com/.default" \
		--data-urlencode "grant_type=client_credentials" | jq -r .access_token
}

# graph METHOD PATH [curl args...]: a Graph call with a token; prints the body, then the
# status on the last line.
graph() {
	local m=$1 p=$2
	shift 2
	curl -sS --cacert "$MBX_CACERT" -X "$m" -H "Authorization: Bearer ${TOKEN:-$(token)}" \
		-w '\n%{http_code}' "$GRAPHD_URL/beta/$p" "$@"
}

# The id of a user's mailbox from the admin endpoint: mailbox_id USER [primary|archive]
mailbox_id() {
	admin GET /mailboxes | jq -r --arg u "$1" --arg k "${2:-primary}" \
		'.value[] | select(.user == $u and .kind == $k) | .id'
}

# tree_items MAILBOX PREFIX: "path sha256" of every item the emulator holds in MAILBOX (an
# id) in folder PREFIX or below it ("" or "/": all), PREFIX taken off the path, sorted:
# what an import under PREFIX must equal. (Below means PREFIX/...: /T1 is not /T12.)
tree_items() {
	admin GET "/mailboxes/$1" | jq -r --arg p "$2" '
		(.folders | map({key: .id, value: .path}) | from_entries) as $path
		| .items[] | select($p == "" or $p == "/" or ($path[.folderId] |
			. == $p or startswith($p + "/")))
		| "\($path[.folderId] | ltrimstr($p)) \(.sha256)"' | sort
}
# src_items FILE: the same for a mailbox as `admin GET /mailboxes/ID` wrote it to FILE
src_items() {
	jq -r '(.folders | map({key: .id, value: .path}) | from_entries) as $path
		| .items[] | "\($path[.folderId]) \(.sha256)"' "$1" | sort
}
