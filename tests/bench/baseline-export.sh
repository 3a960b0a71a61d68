#!/usr/bin/env bash
# baseline-export.sh: the naive exporter the benchmark compares mbx-export with: one
# item per exportItems call, one call at a time, with curl and jq. Reads item records,
# writes one line per item ("id sha256"). Needs MBX_GRAPH_URL, MBX_CACERT and a token
# in TOKEN.
set -euo pipefail
while IFS= read -r rec; do
	mbx=$(jq -r .mailbox <<<"$rec")
	id=$(jq -r .id <<<"$rec")
	enc=$(jq -rn --arg s "$mbx" '$s|@uri')
	curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"$id\"]}" "$MBX_GRAPH_URL/admin/exchange/mailboxes/$enc/exportItems" |
		jq -r ".value[0].data" | base64 -d | sha256sum | awk -v id="$id" "{ print id, \$1 }"
done
