#!/usr/bin/env bats
# mbx-ls -M: users to mailbox records, through the real token and HTTPS path.

load helpers

TENANT_GUID=7c2e9d41-0b6a-4f3e-8d51-1a2b3c4d5e6f
ALICE_PRIMARY="MBX:3f9a6c1e-52b7-4d08-a1e4-9c7d2b6f0a15@$TENANT_GUID"
ALICE_ARCHIVE="MBX:b1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f@$TENANT_GUID"
BOB_PRIMARY="MBX:0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f@$TENANT_GUID"

setup_file() {
	cat >"$BATS_FILE_TMPDIR/seed.ndjson" <<-EOF
	{"type":"tenant","id":"$TENANT_GUID","domain":"contoso.com"}
	{"type":"app","clientId":"$GEN_CLIENT_ID","secret":"$GEN_CLIENT_SECRET","roles":["User.Read.All","MailboxFolder.Read.All","MailboxItem.Read.All"]}
	{"type":"user","upn":"alice@contoso.com","id":"a0000000-0000-0000-0000-000000000001","primaryMailboxId":"$ALICE_PRIMARY","archive":true,"archiveMailboxId":"$ALICE_ARCHIVE"}
	{"type":"user","upn":"bob@contoso.com","id":"b0000000-0000-0000-0000-000000000002","primaryMailboxId":"$BOB_PRIMARY"}
	EOF
	graphd_start --seed "$BATS_FILE_TMPDIR/seed.ndjson"
}

teardown_file() {
	graphd_stop
}

@test "mbx-ls -M prints the primary and archive mailbox of each user" {
	run --separate-stderr mbx-ls -M alice@contoso.com bob@contoso.com
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3
	assert_equal "${lines[0]}" "{\"type\":\"mailbox\",\"mailbox\":\"$ALICE_PRIMARY\",\"id\":\"$ALICE_PRIMARY\",\"user\":\"alice@contoso.com\",\"kind\":\"primary\"}"
	assert_equal "${lines[1]}" "{\"type\":\"mailbox\",\"mailbox\":\"$ALICE_ARCHIVE\",\"id\":\"$ALICE_ARCHIVE\",\"user\":\"alice@contoso.com\",\"kind\":\"archive\"}"
	assert_equal "${lines[2]}" "{\"type\":\"mailbox\",\"mailbox\":\"$BOB_PRIMARY\",\"id\":\"$BOB_PRIMARY\",\"user\":\"bob@contoso.com\",\"kind\":\"primary\"}"
}

@test "a user given by object id resolves like the UPN" {
	run --separate-stderr mbx-ls -M b0000000-0000-0000-0000-000000000002
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .id <<<"$output")" "$BOB_PRIMARY"
}

@test "an unknown user is an error record; the other users are still listed (exit 1)" {
	run --separate-stderr mbx-ls -M nobody@contoso.com bob@contoso.com
	assert_equal "$status" 1
	assert_equal "${#lines[@]}" 2
	assert_equal "$(jq -r .type <<<"${lines[0]}")" error
	assert_equal "$(jq -r .subject <<<"${lines[0]}")" nobody@contoso.com
	assert_equal "$(jq -r .id <<<"${lines[1]}")" "$BOB_PRIMARY"
	assert_regex "$stderr" "^mbx-ls: cannot find mailboxes of 'nobody@contoso.com': 404 "
	assert_equal "$(wc -l <<<"$stderr")" 1
}

@test "on v1.0 the archive is not offered (graph-api.md 3.1, 8.18)" {
	MBX_GRAPH_URL=$GRAPHD_URL/v1.0 run --separate-stderr mbx-ls -M alice@contoso.com
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -r .kind <<<"$output")" primary
}

@test "wrong secret: auth exit code, one line naming the cause, nothing on stdout" {
	AZURE_CLIENT_SECRET=wrong XDG_CACHE_HOME=$BATS_TEST_TMPDIR/c \
		run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 3
	assert_equal "$output" ""
	assert_equal "$(wc -l <<<"$stderr")" 1
	assert_regex "$stderr" "^mbx-ls: .*invalid_client.*AADSTS7000215"
	refute_regex "$stderr" "wrong"
}

@test "the server's certificate from an unknown CA is refused" {
	MBX_CACERT= run --separate-stderr mbx-ls -M alice@contoso.com
	assert_equal "$status" 4
	assert_equal "$output" ""
	assert_regex "$stderr" "certificate"
	assert_equal "$(wc -l <<<"$stderr")" 1
}
