#!/usr/bin/env bats
# The other readings of what graph-api.md leaves open, as switches: which well-known
# folder names a path may use (8.23, 3.0), and whether GET .../folders is the whole tree
# or the root's children only (8.10); childFolderCount right under either.

load helpers

setup_file() {
	graphd_start --generate users=1,folders=8,items=4,seed=61
	export TREE_URL=$GRAPHD_URL TREE_DIR=$GRAPHD_DIR MBX1=$(mailbox_id user1@contoso.com) TOKEN=$(token)
}

teardown_file() {
	GRAPHD_DIR=$TREE_DIR graphd_stop
}

code() { tail -n 1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }

# folders URL: every folder of GET .../folders, all pages: "id parentFolderId childFolderCount"
folders() {
	local url="$1/beta/admin/exchange/mailboxes/$MBX1/folders?\$top=3" page
	while [ -n "$url" ] && [ "$url" != null ]; do
		page=$(curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer ${T:-$TOKEN}" "$url")
		jq -r '.value[] | "\(.id) \(.parentFolderId) \(.childFolderCount)"' <<<"$page"
		url=$(jq -r '."@odata.nextLink"' <<<"$page")
	done
}

# kids URL ID: the ids childFolders lists for ID
kids() {
	curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer ${T:-$TOKEN}" \
		"$1/beta/admin/exchange/mailboxes/$MBX1/folders/$(jq -rn --arg s "$2" '$s|@uri')/childFolders?\$top=1000" |
		jq -r '.value[].id'
}

@test "--folders-scope tree (default): every folder flat; childFolderCount = its children in the list" {
	run folders "$TREE_URL"
	all=$(admin GET "/mailboxes/$MBX1" | jq '[.folders[] | select(.hidden | not)] | length')
	assert_equal "$(wc -l <<<"$output")" "$all"
	while read -r id parent count; do
		assert_equal "$(awk -v p="$id" '$2 == p' <<<"$output" | wc -l)" "$count"
		assert_equal "$(kids "$TREE_URL" "$id" | wc -l)" "$count"
	done <<<"$output"
	# some folders are nested: the list holds more than the root's children
	root=$(curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $TOKEN" \
		"$TREE_URL/beta/admin/exchange/mailboxes/$MBX1/folders/msgfolderroot" | jq -r .id)
	assert [ "$(awk -v r="$root" '$2 != r' <<<"$output" | wc -l)" -gt 0 ]
}

@test "--folders-scope top: the root's children only, with their childFolderCount" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/g graphd_start --generate users=1,folders=8,items=4,seed=61 --folders-scope top
	T=$(token)
	root=$(curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $T" \
		"$GRAPHD_URL/beta/admin/exchange/mailboxes/$MBX1/folders/msgfolderroot" | jq -r .id)
	run folders "$GRAPHD_URL"
	top=$output
	want=$(T=$T kids "$GRAPHD_URL" "$root" | sort)
	counts=$(while read -r id parent count; do
		echo "$count $(T=$T kids "$GRAPHD_URL" "$id" | wc -l)"; done <<<"$top")
	inbox=$(curl -sS --cacert "$MBX_CACERT" -H "Authorization: Bearer $T" \
		"$GRAPHD_URL/beta/admin/exchange/mailboxes/$MBX1/folders/inbox" | jq .childFolderCount)
	graphd_stop
	assert_equal "$(cut -d' ' -f1 <<<"$top" | sort)" "$want"
	assert_equal "$(cut -d' ' -f2 <<<"$top" | sort -u)" "$root"
	while read -r a b; do assert_equal "$a" "$b"; done <<<"$counts"
	# the Inbox holds the generated folders: the list shows it, not them
	assert [ "$inbox" -gt 0 ]
	assert_equal "$(wc -l <<<"$top")" 8
}

@test "--folders-scope takes tree or top only" {
	run --separate-stderr mbx-graphd --folders-scope flat --generate users=1
	assert_equal "$status" 2
	assert_equal "$stderr" "mbx-graphd: invalid --folders-scope 'flat': expected tree or top"
}

@test "--well-known-names all (default): any well-known name, any case" {
	for n in Inbox msgfolderroot SentItems deleteditems recoverableitemsdeletions; do
		run graph GET "admin/exchange/mailboxes/$MBX1/folders/$n"
		assert_equal "$(code "$output")" 200
	done
}

@test "--well-known-names none: ids only; names get the answers for a bad id (400 or 404)" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/g graphd_start --generate users=1,folders=2,items=4,seed=61 --well-known-names none
	export TOKEN=$(token)
	inbox=$(admin GET "/mailboxes/$MBX1" | jq -r '.folders[] | select(.path == "/Inbox") | .id')
	run graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox"
	a=$output
	run graph GET "admin/exchange/mailboxes/$MBX1/folders/msgfolderroot/childFolders"
	b=$output
	run graph GET "admin/exchange/mailboxes/$MBX1/folders/$(jq -rn --arg s "$inbox" '$s|@uri')"
	c=$output
	url=$(graph POST "admin/exchange/mailboxes/$MBX1/createImportSession" | sed '$d' | jq -r .importUrl)
	item=$(admin GET "/mailboxes/$MBX1" | jq -r '.items[0].id')
	graph POST "admin/exchange/mailboxes/$MBX1/exportItems" -H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"$item\"]}" | sed '$d' | jq '{FolderId:"drafts", Mode:"create", Data:.value[0].data}' >"$d/up"
	run curl -sS --cacert "$MBX_CACERT" -H 'Content-Type: application/json' -w '\n%{http_code}' \
		--data-binary @"$d/up" "$url"
	e=$output
	graphd_stop
	# "inbox" is too short for an id (malformed); "msgfolderroot" could be one (not found)
	assert_equal "$(code "$a") $(body "$a" | jq -r .error.code)" "400 ErrorInvalidIdMalformed"
	assert_equal "$(code "$b") $(body "$b" | jq -r .error.code)" "404 ErrorItemNotFound"
	assert_equal "$(code "$c") $(body "$c" | jq -r .wellKnownName)" "200 inbox"
	assert_equal "$(code "$e") $(body "$e" | jq -r .error.code)" "400 ErrorInvalidIdMalformed"
}

@test "--well-known-names LIST: those names only" {
	d=$BATS_TEST_TMPDIR
	GRAPHD_DIR=$d/g graphd_start --generate users=1,seed=61 --well-known-names inbox,MsgFolderRoot,inbox
	export TOKEN=$(token)
	got=
	for n in Inbox msgfolderroot sentitems drafts; do
		got="$got$(graph GET "admin/exchange/mailboxes/$MBX1/folders/$n" -o /dev/null | tr -d '\n') "
	done
	graphd_stop
	assert_equal "$got" "200 200 404 400 "
	run --separate-stderr mbx-graphd --well-known-names inbox,spam --generate users=1
	assert_equal "$status" 2
	assert_regex "$stderr" "^mbx-graphd: invalid --well-known-names 'inbox,spam': 'spam' is not one of msgfolderroot, inbox,"
}
