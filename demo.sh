#!/usr/bin/env bash
# demo.sh: the main job against the emulator. Starts mbx-graphd over TLS with a
# throwaway CA and a generated tenant, then runs a discovery pipeline through the real
# auth and HTTP path and prints what it found. Run from a built tree: ./demo.sh
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
PATH="${MBX_BUILDDIR:-$top}/bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/mbx-demo.XXXXXX")
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT

# A CA and a server certificate for 127.0.0.1, valid for a day.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=mbx demo CA" \
	-keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
	-keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$work/ext.cnf"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
	-CAcreateserial -days 1 -extfile "$work/ext.cnf" -out "$work/server.pem" 2>/dev/null

mbx-graphd --listen 127.0.0.1:0 --port-file "$work/port" \
	--tls-cert "$work/server.pem" --tls-key "$work/server.key" \
	--generate users=2,folders=6,items=40,size=8k,seed=7 2>"$work/graphd.err" &
pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/graphd.err" >&2; exit 1; }
port=$(cat "$work/port")

# Point mbx at the emulator: the same variables as for Microsoft Graph and Entra ID.
export MBX_GRAPH_URL=https://127.0.0.1:$port/beta
export AZURE_AUTHORITY_HOST=https://127.0.0.1:$port
export MBX_CACERT=$work/ca.pem
export AZURE_TENANT_ID=contoso.com
export AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555
export AZURE_CLIENT_SECRET=mbx-graphd-demo-secret
export XDG_CACHE_HOME=$work/cache

echo "== mailboxes: mbx-ls -M user1@contoso.com user2@contoso.com"
mbx-ls -M user1@contoso.com user2@contoso.com | tee "$work/mailboxes"
echo
echo "== folders of user1: mbx-folders user1@contoso.com"
mbx-folders user1@contoso.com | tee "$work/folders" |
	jq -r '"\(.path)\t\(.totalItemCount) items"'
echo
echo "== items: mbx-ls -M user1@contoso.com | mbx-folders | mbx-ls"
mbx-ls -M user1@contoso.com | mbx-folders | mbx-ls >"$work/items"
grep -m 3 '"type":"item"' "$work/items"
echo "... $(grep -c '"type":"item"' "$work/items") item records in all (and the folder records, passed on)"
echo
echo "== items per folder"
jq -r 'select(.type == "item") | .folderPath' "$work/items" | sort | uniq -c
