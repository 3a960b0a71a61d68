#!/usr/bin/env bash
# demo.sh: the main job against the emulator. Starts mbx-graphd over TLS with a throwaway
# CA and a generated tenant of two users, then: a full export of user1 into a zstd
# archive, verified; the archive restored into user2 under /Restored; a migration of
# user1 into user2 under /Migrated with a jq filter between the stages; and a table of
# the items per folder in the source and the targets, which must agree. Run from a built
# tree: ./demo.sh (on a terminal, the stages show their progress lines).
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
PATH="${MBX_BUILDDIR:-$top}/bin:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/mbx-demo.XXXXXX")
pid=
trap '[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -rf "$work"' EXIT
started=$SECONDS

# A CA and a server certificate for 127.0.0.1, valid for a day (ECDSA P-256: the
# emulator's handshakes take the CPU of the machine the programs run on).
key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
openssl req -x509 "${key[@]}" -nodes -days 1 -subj "/CN=mbx demo CA" \
	-keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req "${key[@]}" -nodes -subj "/CN=localhost" \
	-keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$work/ext.cnf"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
	-CAcreateserial -days 1 -extfile "$work/ext.cnf" -out "$work/server.pem" 2>/dev/null

# The service is some way off: exports are answered after 300 ms and uploads after
# 80 ms (mbx-graphd(1) FAULTS), so a run lasts long enough to watch its progress.
mbx-graphd --listen 127.0.0.1:0 --port-file "$work/port" \
	--tls-cert "$work/server.pem" --tls-key "$work/server.key" \
	--generate users=2,folders=6,items=200,size=8k,seed=7 \
	--fault match=exportItems,latency=300,count=0 \
	--fault match=importItem,latency=80,count=0 2>"$work/graphd.err" &
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
cd "$work"

echo "== mailboxes: mbx-ls -M user1@contoso.com user2@contoso.com"
mbx-ls -M user1@contoso.com user2@contoso.com | jq -r '"\(.user)\t\(.kind)\t\(.id)"'
echo
echo "== folders of user1: mbx-folders user1@contoso.com"
mbx-folders user1@contoso.com | jq -r '"\(.path)\t\(.totalItemCount) items"'
echo
echo "== a full export of user1 into a zstd archive"
echo "mbx-folders user1@contoso.com | mbx-ls | mbx-export | zstd > user1.mbx.zst"
mbx-folders user1@contoso.com | mbx-ls | mbx-export | zstd >user1.mbx.zst
echo "$(zstd -dc user1.mbx.zst | wc -c) bytes of frames, $(wc -c <user1.mbx.zst) bytes compressed"
echo
echo "== the archive verified: zstd -dc user1.mbx.zst | mbx-frames --verify"
zstd -dc user1.mbx.zst | mbx-frames --verify 2>&1
echo
echo "== restored into user2 under /Restored"
echo "zstd -dc user1.mbx.zst | mbx-import user2@contoso.com --under /Restored"
zstd -dc user1.mbx.zst | mbx-import user2@contoso.com --under /Restored >restored.ndjson
jq -r .status restored.ndjson | sort | uniq -c
echo
echo "== a migration of user1 into user2 under /Migrated, all but /Inbox/Projects"
cat <<'EOF'
mbx-folders user1@contoso.com |
  jq -c 'select(.path | test("^/Inbox/Projects(/|$)") | not)' |
  mbx-ls | mbx-export | mbx-import user2@contoso.com --under /Migrated --journal migrate.journal
EOF
mbx-folders user1@contoso.com |
	jq -c 'select(.path | test("^/Inbox/Projects(/|$)") | not)' |
	mbx-ls | mbx-export | mbx-import user2@contoso.com --under /Migrated --journal migrate.journal \
	>migrated.ndjson
jq -r .status migrated.ndjson | sort | uniq -c
echo

# The closing table: items per folder as the service counts them (totalItemCount) in the
# source and in both targets. The restore must agree everywhere; the migration wherever
# the filter kept the folder, and nowhere else.
mbx-folders user1@contoso.com >src.ndjson
mbx-folders user2@contoso.com /Restored >restored.folders
mbx-folders user2@contoso.com /Migrated >migrated.folders
echo "== items per folder: user1, and user2 under /Restored and /Migrated"
jq -rn --slurpfile src src.ndjson --slurpfile res restored.folders \
	--slurpfile mig migrated.folders --arg skip '^/Inbox/Projects(/|$)' '
	def counts($f; $p): $f | map({key: (.path | ltrimstr($p)), value: .totalItemCount})
		| from_entries;
	counts($res; "/Restored") as $r | counts($mig; "/Migrated") as $m
	| ($src | map(select($r[.path] != .totalItemCount)) | length) as $rbad
	| ($src | map(select((.path | test($skip) | not) and $m[.path] != .totalItemCount))
		| length) as $mbad
	| ($m | keys | map(select(test($skip))) | length) as $leak
	| (["folder", "user1", "/Restored", "/Migrated"],
	   ($src[] | [.path, .totalItemCount, $r[.path] // "-", $m[.path] // "-"]),
	   ["total", ($src | map(.totalItemCount) | add), ($r | add), ($m | add)]
	   | map(tostring) | join("\t")),
	  (if $rbad + $mbad + $leak == 0
	   then "source and targets agree: every folder restored, every folder the filter kept migrated"
	   else "MISMATCH: \($rbad) restored and \($mbad) migrated folders differ, \($leak) filtered folders migrated"
	   end)' >table.txt
awk -F'\t' 'NF == 4 { printf "%-28s %7s %10s %10s\n", $1, $2, $3, $4; next } { print }' table.txt
grep -q '^source and targets agree' table.txt
echo "(demo done in $((SECONDS - started)) s)"
