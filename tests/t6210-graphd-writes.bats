#!/usr/bin/env bats
# mbx-graphd's write endpoints, strictly as graph-api.md 3.5-3.7, 3.14, 3.15 and 8 say:
# folder create/rename/delete, import sessions, the import URL and its upload quota.

load helpers

RO_APP=22222222-3333-4444-5555-666666666666

setup_file() {
	# the generated app with every role (a seeded app replaces it), and a second app that
	# may read and export but not write
	cat >"$BATS_FILE_TMPDIR/seed.ndjson" <<-EOF
	{"type":"app","clientId":"$GEN_CLIENT_ID","secret":"$GEN_CLIENT_SECRET","roles":["User.Read.All","MailboxFolder.ReadWrite.All","MailboxItem.ReadWrite.All","MailboxItem.ImportExport.All"]}
	{"type":"app","clientId":"$RO_APP","secret":"ro-secret","roles":["MailboxFolder.Read.All","MailboxItem.Export.All"]}
	EOF
	graphd_start --seed "$BATS_FILE_TMPDIR/seed.ndjson" \
		--generate users=2,folders=2,items=4,size=3k,seed=5 \
		--quota upload=24K/3s
	export MBX1=$(mailbox_id user1@contoso.com) MBX2=$(mailbox_id user2@contoso.com)
	export TOKEN=$(token)
	# one exported stream to upload
	id=$(graph GET "admin/exchange/mailboxes/$MBX1/folders/inbox/items" | head -n -1 | jq -r '.value[0].id')
	graph POST "admin/exchange/mailboxes/$MBX1/exportItems" -H 'Content-Type: application/json' \
		-d "{\"itemIds\":[\"$id\"]}" | head -n -1 | jq -r '.value[0].data' >"$BATS_FILE_TMPDIR/data"
	export DRAFTS=$(graph GET "admin/exchange/mailboxes/$MBX2/folders/drafts" | head -n -1 | jq -r .id)
}

teardown_file() {
	graphd_stop
}

# ids hold '/', '+' and '=': escaped as one path segment, as clients must (3.0)
enc() { jq -rn --arg s "$1" '$s|@uri'; }

# status of the last graph/upload call is the last line of $output
status_of() { printf '%s\n' "$output" | tail -n 1; }
body_of() { printf '%s\n' "$output" | head -n -1; }

# upload URL JSON: POST to an import URL without a token; body then status
upload() {
	curl -sS --cacert "$MBX_CACERT" -X POST -H 'Content-Type: application/json' \
		-w '\n%{http_code}' "$1" --data-binary @"$2" "${@:3}"
}

session() {
	graph POST "admin/exchange/mailboxes/$1/createImportSession" | head -n -1 | jq -r .importUrl
}

body() { # body MODE [ItemId ChangeKey] -> a request body file
	local f=$BATS_TEST_TMPDIR/body.$RANDOM
	jq -n --arg f "${FOLDER:-$DRAFTS}" --arg m "$1" --rawfile d "$BATS_FILE_TMPDIR/data" \
		--arg i "${2:-}" --arg c "${3:-}" \
		'{FolderId:$f, Mode:$m, Data:($d|rtrimstr("\n"))} + (if $i != "" then {ItemId:$i, ChangeKey:$c} else {} end)' >"$f"
	echo "$f"
}

@test "folder create: 201 with the new folder; the same name again is 409 ErrorFolderExists" {
	run graph POST "admin/exchange/mailboxes/$MBX2/folders/inbox/childFolders" \
		-H 'Content-Type: application/json' -d '{"displayName":"Restored 2026-05","type":"IPF.Note"}'
	assert_equal "$(status_of)" 201
	assert_equal "$(body_of | jq -r '"\(.displayName) \(.childFolderCount) \(.totalItemCount) \(.type)"')" \
		"Restored 2026-05 0 0 IPF.Note"
	run graph POST "admin/exchange/mailboxes/$MBX2/folders/inbox/childFolders" \
		-H 'Content-Type: application/json' -d '{"displayName":"restored 2026-05","type":"IPF.Note"}'
	assert_equal "$(status_of)" 409
	assert_equal "$(body_of | jq -r .error.code)" ErrorFolderExists
	# top level: under the root
	run graph POST "admin/exchange/mailboxes/$MBX2/folders" -H 'Content-Type: application/json' \
		-d '{"displayName":"Top","type":"IPF.Note"}'
	assert_equal "$(status_of)" 201
	root=$(graph GET "admin/exchange/mailboxes/$MBX2/folders/msgfolderroot" | head -n -1 | jq -r .id)
	assert_equal "$(body_of | jq -r .parentFolderId)" "$root"
}

@test "folder create refuses a bad name, a missing type, unknown properties and non-JSON" {
	for b in '{"displayName":"","type":"IPF.Note"}' '{"displayName":"   ","type":"IPF.Note"}' \
		"{\"displayName\":\"$(printf 'x%.0s' {1..256})\",\"type\":\"IPF.Note\"}" \
		'{"displayName":"a\u0001b","type":"IPF.Note"}'; do
		run graph POST "admin/exchange/mailboxes/$MBX2/folders/inbox/childFolders" \
			-H 'Content-Type: application/json' -d "$b"
		assert_equal "$(status_of)" 400
		assert_equal "$(body_of | jq -r .error.code)" ErrorInvalidFolderName
	done
	run graph POST "admin/exchange/mailboxes/$MBX2/folders/inbox/childFolders" \
		-H 'Content-Type: application/json' -d '{"displayName":"NoType"}'
	assert_equal "$(status_of)" 400
	run graph POST "admin/exchange/mailboxes/$MBX2/folders/inbox/childFolders" \
		-H 'Content-Type: application/json' -d '{"displayName":"X","type":"IPF.Note","totalItemCount":3}'
	assert_equal "$(status_of)" 400
	assert_output --partial "totalItemCount"
	run graph POST "admin/exchange/mailboxes/$MBX2/folders/inbox/childFolders" \
		-H 'Content-Type: application/json' -d 'displayName=X'
	assert_equal "$(status_of)" 400
	run graph POST "admin/exchange/mailboxes/$MBX2/folders/inbox/childFolders" \
		-H 'Content-Type: text/plain' -d '{"displayName":"X","type":"IPF.Note"}'
	assert_equal "$(status_of)" 415
	# nothing was made by any of them
	run graph GET "admin/exchange/mailboxes/$MBX2/folders/inbox/childFolders"
	refute_output --partial '"NoType"'
	refute_output --partial '"X"'
}

@test "folder writes need MailboxFolder.ReadWrite.All, sessions MailboxItem.ImportExport.All" {
	TOKEN=$(token "$RO_APP" ro-secret) run graph POST "admin/exchange/mailboxes/$MBX2/folders" \
		-H 'Content-Type: application/json' -d '{"displayName":"Nope","type":"IPF.Note"}'
	assert_equal "$(status_of)" 403
	assert_equal "$(body_of | jq -r .error.code)" ErrorAccessDenied
	assert_output --partial MailboxFolder.ReadWrite.All
	TOKEN=$(token "$RO_APP" ro-secret) run graph POST "admin/exchange/mailboxes/$MBX2/createImportSession"
	assert_equal "$(status_of)" 403
	assert_output --partial MailboxItem.ImportExport.All
	TOKEN=$(token "$RO_APP" ro-secret) run graph GET "admin/exchange/mailboxes/$MBX2/folders/inbox"
	assert_equal "$(status_of)" 200
	run graph GET "admin/exchange/mailboxes/$MBX2/folders/msgfolderroot/childFolders"
	refute_output --partial Nope
}

@test "rename: PATCH displayName only; other fields 400; a clash 409" {
	id=$(graph POST "admin/exchange/mailboxes/$MBX2/folders" -H 'Content-Type: application/json' \
		-d '{"displayName":"Old","type":"IPF.Note"}' | head -n -1 | jq -r .id)
	run graph PATCH "admin/exchange/mailboxes/$MBX2/folders/$(enc "$id")" -H 'Content-Type: application/json' \
		-d '{"displayName":"Renamed"}'
	assert_equal "$(status_of)" 200
	assert_equal "$(body_of | jq -r .displayName)" Renamed
	run graph PATCH "admin/exchange/mailboxes/$MBX2/folders/$(enc "$id")" -H 'Content-Type: application/json' \
		-d '{"type":"IPF.Contact"}'
	assert_equal "$(status_of)" 400
	run graph PATCH "admin/exchange/mailboxes/$MBX2/folders/$(enc "$id")" -H 'Content-Type: application/json' \
		-d '{"displayName":"Inbox"}'
	assert_equal "$(status_of)" 409
	run graph GET "admin/exchange/mailboxes/$MBX2/folders/$(enc "$id")"
	assert_equal "$(body_of | jq -r '"\(.displayName) \(.type)"')" "Renamed IPF.Note"
}

@test "delete: 204 with or without /\$ref, the whole subtree goes, its items too" {
	a=$(graph POST "admin/exchange/mailboxes/$MBX2/folders" -H 'Content-Type: application/json' \
		-d '{"displayName":"Doomed","type":"IPF.Note"}' | head -n -1 | jq -r .id)
	b=$(graph POST "admin/exchange/mailboxes/$MBX2/folders/$(enc "$a")/childFolders" -H 'Content-Type: application/json' \
		-d '{"displayName":"Child","type":"IPF.Note"}' | head -n -1 | jq -r .id)
	url=$(session "$MBX2")
	FOLDER=$b run upload "$url" "$(FOLDER=$b body create)"
	assert_equal "$(status_of)" 200
	item=$(body_of | jq -r .itemId)
	run graph DELETE "admin/exchange/mailboxes/$MBX2/folders/$(enc "$a")/\$ref"
	assert_equal "$(status_of)" 204
	assert_equal "$(body_of)" ""
	run graph GET "admin/exchange/mailboxes/$MBX2/folders/$(enc "$b")"
	assert_equal "$(status_of)" 404
	run admin GET "/mailboxes/$MBX2"
	refute_output --partial "$item"
	c=$(graph POST "admin/exchange/mailboxes/$MBX2/folders" -H 'Content-Type: application/json' \
		-d '{"displayName":"Doomed2","type":"IPF.Note"}' | head -n -1 | jq -r .id)
	run graph DELETE "admin/exchange/mailboxes/$MBX2/folders/$(enc "$c")"
	assert_equal "$(status_of)" 204
	run graph DELETE "admin/exchange/mailboxes/$MBX2/folders/$(enc "$c")"
	assert_equal "$(status_of)" 404
	run graph DELETE "admin/exchange/mailboxes/$MBX2/folders/msgfolderroot"
	assert_equal "$(status_of)" 403
}

@test "createImportSession: 200, an importUrl of the documented shape and an expiry" {
	run graph POST "admin/exchange/mailboxes/$MBX2/createImportSession"
	assert_equal "$(status_of)" 200
	url=$(body_of | jq -r .importUrl)
	[[ $url == "$GRAPHD_URL/api/gbeta/Mailboxes('$MBX2')/importItem?authtoken="* ]]
	[[ $(body_of | jq -r .expirationDateTime) =~ ^20[0-9-]+T[0-9:]+\.[0-9]{7}Z$ ]]
	run graph POST "admin/exchange/mailboxes/$MBX2/createImportSession" -H 'Content-Type: application/json' -d '{}'
	assert_equal "$(status_of)" 200
	run graph POST "admin/exchange/mailboxes/$MBX2/createImportSession" -d 'junk'
	assert_equal "$(status_of)" 400
	run graph GET "admin/exchange/mailboxes/$MBX2/createImportSession"
	assert_equal "$(status_of)" 405
}

@test "import create stores the stream byte for byte; update replaces it at the right changeKey" {
	url=$(session "$MBX2")
	run upload "$url" "$(body create)"
	assert_equal "$(status_of)" 200
	id=$(body_of | jq -r .itemId) ck=$(body_of | jq -r .changeKey)
	want=$(base64 -d "$BATS_FILE_TMPDIR/data" | sha256sum | cut -d' ' -f1)
	assert_equal "$(admin GET "/mailboxes/$MBX2" | jq -r --arg i "$id" '.items[] | select(.id == $i) | .sha256')" "$want"
	sleep 1.1   # the quota window is 3 s for 24K; leave room
	run upload "$url" "$(body update "$id" "$ck")"
	assert_equal "$(status_of)" 200
	assert_equal "$(body_of | jq -r .itemId)" "$id"
	refute [ "$(body_of | jq -r .changeKey)" = "$ck" ]
	sleep 1.1
	run upload "$url" "$(body update "$id" "$ck")"      # the old changeKey: a conflict
	assert_equal "$(status_of)" 409
	assert_equal "$(admin GET "/mailboxes/$MBX2" | jq -r --arg i "$id" '[.items[] | select(.id == $i)] | length')" 1
}

@test "import refuses bad bodies: 400 for bad Mode, ids in create, bad base64, a non-stream" {
	url=$(session "$MBX2")
	before=$(admin GET "/mailboxes/$MBX2" | jq '.items | length')
	for b in '{"FolderId":"'"$DRAFTS"'","Mode":"merge","Data":"AAAA"}' \
		'{"FolderId":"'"$DRAFTS"'","Mode":"create","Data":"AAAA","ItemId":"AAMkAAAAAAAA"}' \
		'{"FolderId":"'"$DRAFTS"'","Mode":"create","Data":"!!not base64!!"}' \
		'{"FolderId":"'"$DRAFTS"'","Mode":"create","Data":"'"$(printf 'hello world' | base64)"'"}' \
		'{"folderId":"'"$DRAFTS"'","mode":"create","data":"AAAA"}' 'not json'; do
		printf '%s' "$b" >"$BATS_TEST_TMPDIR/b"
		sleep 0.2
		run upload "$url" "$BATS_TEST_TMPDIR/b"
		assert_equal "$(status_of)" 400
		assert_equal "$(body_of | jq -r .error.code)" "$(case $b in not*) echo BadRequest;; *) echo ErrorInvalidRequest;; esac)"
	done
	FOLDER=AAMkADNmZjI1AC4AAAAAAnosuchfolder= run upload "$url" "$(FOLDER=AAMkADNmZjI1AC4AAAAAAnosuchfolder= body create)"
	assert_equal "$(status_of)" 404
	assert_equal "$(admin GET "/mailboxes/$MBX2" | jq '.items | length')" "$before"
}

@test "the import URL: no Authorization header, its own token, its own mailbox, an expiry" {
	url=$(session "$MBX2")
	run upload "$url" "$(body create)" -H "Authorization: Bearer $TOKEN"
	assert_equal "$(status_of)" 400
	run upload "${url%%\?*}" "$(body create)"
	assert_equal "$(status_of)" 401
	run upload "${url}x" "$(body create)"
	assert_equal "$(status_of)" 401
	# a token for MBX2 does not open MBX1
	other=${url/$MBX2/$MBX1}
	run upload "$other" "$(body create)"
	assert_equal "$(status_of)" 401
	assert_output --partial "another mailbox"
	admin POST /import-lifetime -d '{"seconds":1}' >/dev/null
	url=$(session "$MBX2")
	admin POST /import-lifetime -d '{"seconds":3600}' >/dev/null
	sleep 1.2
	run upload "$url" "$(body create)"
	assert_equal "$(status_of)" 401
	assert_output --partial expired
}

@test "the upload quota: 429 ApplicationThrottled with Retry-After, enforced, then accepted" {
	sleep 3.1   # an empty window
	url=$(session "$MBX2")
	f=$(body create)
	n=$(( 24 * 1024 / $(stat -c %s "$f") ))
	for i in $(seq 1 "$n"); do
		run upload "$url" "$f"
		assert_equal "$(status_of)" 200
	done
	run curl -sS --cacert "$MBX_CACERT" -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/o" \
		-w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary @"$f" "$url"
	assert_output 429
	assert_equal "$(jq -r .error.message "$BATS_TEST_TMPDIR/o")" "Application is over its IncomingBytes limit."
	ra=$(grep -i '^retry-after:' "$BATS_TEST_TMPDIR/h" | tr -dc 0-9)
	[ "$ra" -ge 1 ] && [ "$ra" -le 3 ]
	sleep 0.4      # past the grace for requests already on their way, before Retry-After
	run upload "$url" "$f"                 # too early: throttled again, a violation
	assert_equal "$(status_of)" 429
	assert_equal "$(tail -n 1 "$GRAPHD_DIR/graphd.log" | jq -r .violation)" true
	sleep "$ra"
	run upload "$url" "$f"
	assert_equal "$(status_of)" 200
}
