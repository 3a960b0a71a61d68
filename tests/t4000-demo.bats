#!/usr/bin/env bats
# The README's demo runs and shows the generated mailbox through the real TLS and auth path.

load helpers

@test "demo.sh lists mailboxes, folders and items of the generated tenant" {
	run --separate-stderr "$MBX_SRCDIR/demo.sh"
	assert_success
	assert_line --index 0 "== mailboxes: mbx-ls -M user1@contoso.com user2@contoso.com"
	assert_equal "$(grep -c '"type":"mailbox"' <<<"$output")" 2
	assert_line --partial "/Inbox"
	assert_regex "$output" '\.\.\. 40 item records in all \(and the folder records, passed on\)'
	assert_equal "$stderr" ""
}
