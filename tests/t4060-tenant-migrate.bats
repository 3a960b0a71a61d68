#!/usr/bin/env bats
# mbx-tenant(7)'s tenant-to-tenant migration, run as written: two emulators (two
# tenants, two app registrations, two secrets), a CSV map of 4 mailboxes, each stage
# with its own environment file; the targets equal their sources, a re-run imports
# nothing, and neither tenant sees the other's credentials.

load helpers

B_TENANT=99999999-aaaa-bbbb-cccc-dddddddddddd
B_CLIENT=55555555-6666-7777-8888-999999999999
B_SECRET=fabrikam-only-secret

setup_file() {
	command -v parallel >/dev/null || skip "GNU parallel not installed"
	GRAPHD_DIR=$BATS_FILE_TMPDIR/a graphd_start --generate users=4,folders=2,items=8,size=2k,seed=31
	A_URL=$GRAPHD_URL A_PID=$GRAPHD_PID
	{
		echo "{\"type\":\"tenant\",\"id\":\"$B_TENANT\",\"domain\":\"fabrikam.com\"}"
		echo "{\"type\":\"app\",\"clientId\":\"$B_CLIENT\",\"secret\":\"$B_SECRET\",\"roles\":[\"User.Read.All\",\"MailboxFolder.ReadWrite.All\",\"MailboxItem.ReadWrite.All\",\"MailboxItem.ImportExport.All\"]}"
		for i in 1 2 3 4; do echo "{\"type\":\"user\",\"upn\":\"target$i@fabrikam.com\"}"; done
	} >"$BATS_FILE_TMPDIR/b.seed"
	GRAPHD_DIR=$BATS_FILE_TMPDIR/b graphd_start --seed "$BATS_FILE_TMPDIR/b.seed"
	B_URL=$GRAPHD_URL B_PID=$GRAPHD_PID
	export A_URL A_PID B_URL B_PID
	cd "$BATS_FILE_TMPDIR"
	printf '%s\n' "AZURE_TENANT_ID=$GEN_TENANT" "AZURE_CLIENT_ID=$GEN_CLIENT_ID" \
		"AZURE_CLIENT_SECRET=$GEN_CLIENT_SECRET" "MBX_GRAPH_URL=$A_URL/beta" \
		"AZURE_AUTHORITY_HOST=$A_URL" >source.env
	printf '%s\n' "AZURE_TENANT_ID=$B_TENANT" "AZURE_CLIENT_ID=$B_CLIENT" \
		"AZURE_CLIENT_SECRET=$B_SECRET" "MBX_GRAPH_URL=$B_URL/beta" \
		"AZURE_AUTHORITY_HOST=$B_URL" >target.env
	chmod 600 source.env target.env
	for i in 1 2 3 4; do echo "user$i@contoso.com,target$i@fabrikam.com"; done >map.csv
}

teardown_file() {
	kill ${A_PID:-} ${B_PID:-} 2>/dev/null || true
	wait 2>/dev/null || true
}

recipe() {
	awk -v n="$1" '$0 == ".\\\" recipe " n { f = 1; next } f && /^\.Bd/ { next }
		f && /^\.Ed/ { exit } f' "$MBX_SRCDIR/man/mbx-tenant.7" | sed 's/\\e/\\/g'
}

# tree ENVFILE MAILBOX: "folderPath sha256" of every item, sorted (mbx-export's headers)
tree() {
	(set -a; . "$BATS_FILE_TMPDIR/$1"; set +a
	 mbx-folders "$2" | mbx-ls | mbx-export | mbx-frames -t |
		jq -r 'select(.type == "item") | "\(.folderPath) \(.sha256)"' | sort)
}

# admin_items URL MAILBOX-ID: "id sha256" of the emulator's copy of each item
admin_items() {
	curl -sS --fail-with-body --cacert "$MBX_CACERT" \
		"$1/_admin/mailboxes/$(jq -rn --arg s "$2" '$s|@uri')" | jq -r '.items[] | "\(.id) \(.sha256)"' | sort
}

@test "mbx-tenant(7): 4 mailboxes through the CSV map; targets equal sources; a re-run imports nothing" {
	cd "$BATS_FILE_TMPDIR"
	unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET MBX_GRAPH_URL AZURE_AUTHORITY_HOST
	run --separate-stderr bash -c "$(recipe migrate)"
	assert_success
	# mbx-import's records come out through parallel: one "created" per source item
	imported=$(printf '%s\n' "${lines[@]}" | jq -r 'select(.type == "imported") | .status' | sort | uniq -c | awk '{ print $2, $1 }')
	for i in 1 2 3 4; do
		src=$(tree source.env user$i@contoso.com)
		[ "$(wc -l <<<"$src")" -ge 8 ] || fail "user$i has $(wc -l <<<"$src") items"
		assert_equal "$(tree target.env target$i@fabrikam.com)" "$src"
		assert_equal "$(jq -r '[.ok, .failed] | join(" ")' user$i@contoso.com.import.json)" "$(wc -l <<<"$src") 0"
		total=$((${total:-0} + $(wc -l <<<"$src")))
		# the target's copies, as the target emulator holds them, are the source's bytes
		id=$(curl -sS --cacert "$MBX_CACERT" "$B_URL/_admin/mailboxes" | jq -r --arg u target$i@fabrikam.com '.value[] | select(.user == $u and .kind == "primary") | .id')
		assert_equal "$(admin_items "$B_URL" "$id" | cut -d' ' -f2 | sort)" "$(cut -d' ' -f2 <<<"$src" | sort)"
	done
	assert_equal "$imported" "created $total"
	# again, with a new job log: the journals import nothing
	mv migrate.log migrate.1.log
	run --separate-stderr bash -c "$(recipe migrate)"
	assert_success
	for i in 1 2 3 4; do
		assert_equal "$(jq -r '[.ok, .failed] | join(" ")' user$i@contoso.com.import.json)" "0 0"
	done
}

@test "neither tenant sees the other's credentials or tokens" {
	cd "$BATS_FILE_TMPDIR"
	# each emulator's log names only its own app
	assert_equal "$(jq -r 'select(.app != null) | .app' a/graphd.log | sort -u)" "$GEN_CLIENT_ID"
	assert_equal "$(jq -r 'select(.app != null) | .app' b/graphd.log | sort -u)" "$B_CLIENT"
	! grep -qF -e "$B_SECRET" -e "$B_CLIENT" -e "$B_TENANT" a/graphd.log a/graphd.err
	! grep -qF -e "$GEN_CLIENT_SECRET" -e "$GEN_CLIENT_ID" b/graphd.log b/graphd.err
	# a token of tenant A presented to tenant B is refused
	ta=$(curl -sS --cacert "$MBX_CACERT" "$A_URL/$GEN_TENANT/oauth2/v2.0/token" \
		--data-urlencode "client_id=$GEN_CLIENT_ID" --data-urlencode "client_secret=$GEN_CLIENT_SECRET" \
		--data-urlencode "scope=https://graph.microsoft.com/.default" \
		--data-urlencode "grant_type=client_credentials" | jq -r .access_token)
	[ -n "$ta" ] && [ "$ta" != null ]
	run curl -sS --cacert "$MBX_CACERT" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ta" \
		"$B_URL/beta/users/target1@fabrikam.com/settings/exchange"
	assert_equal "$output" 401
	# and nothing of tenant A's token reached B: B's log has no request of A's app
	assert_equal "$(grep -c "$GEN_CLIENT_ID" b/graphd.log || true)" 0
}
