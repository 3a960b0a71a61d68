#!/usr/bin/env bats
# README's backups kept by restic and borg, run as written (alice is a user of the
# emulator, the restores go into another): two nights of a changing mailbox, the
# second night's repository growth against the size of the export (TAP diagnostics),
# forget/prune, and a restore that gives every item's bytes back; the same with one file
# per item (mbx-frames --split); and a night whose export stopped early leaves no snapshot.

load helpers

setup_file() {
	command -v restic >/dev/null || skip "restic not installed"
	command -v borg >/dev/null || skip "borg not installed"
	# Mail as it comes: text bodies and attachments of random bytes (base64, as MIME
	# carries them), 4 to 90 KB; the generator's padding would compress a hundredfold
	# and hide the deduplication behind the compression.
	python3 - "$BATS_FILE_TMPDIR/seed.ndjson" "$GEN_CLIENT_ID" "$GEN_CLIENT_SECRET" <<'PY'
import base64, json, random, sys
r = random.Random(41)
words = [("".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 9))))
         for _ in range(3000)]
folders = ["/Inbox", "/Inbox/Projects", "/Inbox/Projects/Receipts", "/Inbox/Travel",
           "/Inbox/Clients", "/Archive"]
with open(sys.argv[1], "w") as out:
    w = lambda rec: out.write(json.dumps(rec) + "\n")
    w({"type": "tenant", "id": "b8b4c297-7eab-4e45-ad78-9c01479161bc", "domain": "contoso.com"})
    w({"type": "app", "clientId": sys.argv[2], "secret": sys.argv[3],
       "roles": ["User.Read.All", "MailboxFolder.Read.All", "MailboxFolder.ReadWrite.All",
                 "MailboxItem.Read.All", "MailboxItem.ReadWrite.All",
                 "MailboxItem.ImportExport.All"]})
    for u in range(1, 7):
        upn = "user%d@contoso.com" % u
        w({"type": "user", "upn": upn})
        for f in folders[1:]:
            if f != "/Archive":
                w({"type": "folder", "user": upn, "path": f, "class": "IPF.Note"})
        if u in (2, 4):
            continue                          # users 2 and 4: restore targets
        for i in range(40 if u == 6 else 400):
            body = " ".join(r.choice(words) for _ in range(r.randint(50, 600)))
            att = base64.b64encode(r.randbytes(r.randint(2000, 60000))).decode()
            day = "2026-%02d-%02dT%02d:%02d:00Z" % (r.randint(1, 10), r.randint(1, 28),
                                                  r.randint(0, 23), r.randint(0, 59))
            w({"type": "item", "user": upn, "folder": r.choice(folders),
               "createdDateTime": day, "lastModifiedDateTime": day,
               "message": {"subject": " ".join(r.choice(words) for _ in range(6)),
                           "body": body, "from": {"name": "Megan Bowen",
                                                  "address": "megan@contoso.com"},
                           "to": [{"name": "Alex Wilber", "address": upn}],
                           "attachments": [{"name": "scan%d.pdf" % i,
                                            "mime": "application/pdf", "text": att}]}})
PY
	graphd_start --seed "$BATS_FILE_TMPDIR/seed.ndjson"
	# the passwords come from the environment only (README)
	RESTIC_PASSWORD=$(openssl rand -hex 16) BORG_PASSPHRASE=$(openssl rand -hex 16)
	export RESTIC_PASSWORD BORG_PASSPHRASE BORG_BASE_DIR=$BATS_FILE_TMPDIR/borg-home
	unset RESTIC_PASSWORD_FILE RESTIC_PASSWORD_COMMAND BORG_PASSCOMMAND
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
	mkdir -p "$BATS_TEST_TMPDIR/work"
	cd "$BATS_TEST_TMPDIR/work"
	export RESTIC_REPOSITORY=$BATS_TEST_TMPDIR/restic BORG_REPO=$BATS_TEST_TMPDIR/borg
}

# recipe "FIRST LINE" SOURCE TARGET [FOLDER]: the README block that starts with that
# comment line, with alice as user SOURCE and the restore into user TARGET under FOLDER.
recipe() {
	awk -v first="$1" '
		/^```sh$/ { inblock = 1; n = 0; next }
		/^```$/ { if (keep) exit; inblock = 0; next }
		inblock && n++ == 0 { keep = ($0 == first) }
		inblock && keep' "$MBX_SRCDIR/README.md" |
		sed -e "s/mbx-import alice@contoso.com/mbx-import $3@contoso.com/" \
			-e "s/alice@contoso.com/$2@contoso.com/g" \
			-e "s|--under /Restored|--under ${4:-/Restored}|"
}

# run_recipe "FIRST LINE" SOURCE TARGET [FOLDER]: run it in bash, as a script would.
run_recipe() {
	local r
	r=$(recipe "$@")
	[ -n "$r" ] || fail "README has no recipe '$1'"
	run --separate-stderr bash -c "$r"
}

mbx() { mailbox_id "$1@contoso.com"; }
uri() { jq -rn --arg s "$1" '$s | @uri'; }

# "id sha256" of every item of user $1, from the admin endpoint
items_of() {
	admin GET "/mailboxes/$(uri "$(mbx "$1")")" | jq -r '.items[] | "\(.id) \(.sha256)"' | sort
}
# "path sha256" of the items of user $1 under folder $2 (prefix dropped), or all when $2 is ""
tree_items() {
	admin GET "/mailboxes/$(uri "$(mbx "$1")")" | jq -r --arg p "$2" '
		(.folders | map({key: .id, value: .path}) | from_entries) as $path
		| .items[] | select($p == "" or ($path[.folderId] | startswith($p + "/")))
		| "\($path[.folderId] | ltrimstr($p)) \(.sha256)"' | sort
}
# the item frames of a stream on stdin, verified: "id sha256"
stream_items() {
	tee stream.frames | mbx-frames -t | jq -r 'select(.type == "item") | "\(.id) \(.sha256)"' |
		sort
	mbx-frames --verify <stream.frames 2>/dev/null || fail "the stream does not verify"
}
churn() {
	admin POST "/mailboxes/$(uri "$(mbx "$1")")/churn" \
		-d '{"adds":3,"edits":3,"moves":1,"deletes":1,"seed":'"$2"'}' >/dev/null
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }
repo_bytes() { du -sb "$1" | cut -f1; }

# report TOOL NIGHT1-GROWTH NIGHT2-GROWTH EXPORT-BYTES: the deduplication, on TAP's fd 3
report() {
	echo "# $1: night 1 stored a $(mb "$4") export in $(mb "$2"); night 2 (8 items changed)" \
		"added $(mb "$3"): $(pct "$3" "$4") of the export, $(pct "$3" "$2") of night 1" >&3
}

@test "README: restic keeps the nights deduplicated, forgets and prunes, and restores every item" {
	run_recipe "# restic, once: a repository" user1 user2
	assert_success
	empty=$(repo_bytes "$RESTIC_REPOSITORY")
	run_recipe "# restic, every night" user1 user2
	assert_success
	assert_equal "$stderr" ""
	one=$(repo_bytes "$RESTIC_REPOSITORY")
	diff <(restic dump --path /alice.mbx latest alice.mbx | stream_items) <(items_of user1)
	churn user1 1
	run_recipe "# restic, every night" user1 user2
	assert_success
	assert_equal "$stderr" ""
	two=$(repo_bytes "$RESTIC_REPOSITORY")
	size=$(restic dump --path /alice.mbx latest alice.mbx | wc -c)
	diff <(restic dump --path /alice.mbx latest alice.mbx | stream_items) <(items_of user1)
	# restic cuts a stream into pieces of 1 MiB or so (a random polynomial per repository):
	# a changed item costs a piece or two, a large part of this small mailbox
	report restic $((one - empty)) $((two - one)) "$size"
	# both nights are today: --keep-daily keeps the day's last
	run_recipe "# restic, once a week: a snapshot a day for a week, the rest dropped" user1 user2
	assert_success
	assert_equal "$(restic snapshots --json | jq length)" 1
	[ "$(repo_bytes "$RESTIC_REPOSITORY")" -lt "$two" ] || fail "prune freed nothing"
	run_recipe "# restic: the last night, restored" user1 user2
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .status <<<"$output" | sort -u)" created
	diff <(tree_items user2 /Restored) <(tree_items user1 "")
}

@test "README: borg keeps the nights deduplicated, prunes and compacts, and restores every item" {
	run_recipe "# borg, once: a repository" user3 user4
	assert_success
	empty=$(repo_bytes "$BORG_REPO")
	run_recipe "# borg, every night" user3 user4
	assert_success
	assert_equal "$stderr" ""
	one=$(repo_bytes "$BORG_REPO")
	latest() { borg list --last 1 --short --glob-archives 'alice.mbx-*'; }
	diff <(borg extract --stdout "::$(latest)" alice.mbx | stream_items) <(items_of user3)
	churn user3 2
	sleep 1                                  # the archive names have one-second steps
	run_recipe "# borg, every night" user3 user4
	assert_success
	assert_equal "$stderr" ""
	two=$(repo_bytes "$BORG_REPO")
	size=$(borg extract --stdout "::$(latest)" alice.mbx | wc -c)
	diff <(borg extract --stdout "::$(latest)" alice.mbx | stream_items) <(items_of user3)
	# pieces of 64 KiB or so (README's --chunker-params): a changed item costs little; the
	# archive's own metadata and index are a fixed cost that is large against this small
	# export (measured 12 to 25 % of night 1), so the bound is half: without deduplication
	# night 2 would add as much as night 1
	report borg $((one - empty)) $((two - one)) "$size"
	[ $((two - one)) -lt $(((one - empty) / 2)) ] || fail "night 2 added more than half of night 1"
	last=$(latest)
	run_recipe "# borg, once a week" user3 user4
	assert_success
	assert_equal "$(latest)" "$last"
	run_recipe "# borg: the last night, restored" user3 user4
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(jq -r .status <<<"$output" | sort -u)" created
	diff <(tree_items user4 /Restored) <(tree_items user3 "")
}

@test "README: one file per item, backed up by restic and borg, restored from each" {
	run_recipe "# restic, once: a repository" user5 user2
	run_recipe "# borg, once: a repository" user5 user2
	r0=$(repo_bytes "$RESTIC_REPOSITORY") b0=$(repo_bytes "$BORG_REPO")
	run_recipe "# one file per item, every night, into restic or borg (or both)" user5 user2
	assert_success
	assert_equal "$stderr" ""
	r1=$(repo_bytes "$RESTIC_REPOSITORY") b1=$(repo_bytes "$BORG_REPO")
	churn user5 3
	sleep 1
	run_recipe "# one file per item, every night, into restic or borg (or both)" user5 user2
	assert_success
	assert_equal "$stderr" ""
	r2=$(repo_bytes "$RESTIC_REPOSITORY") b2=$(repo_bytes "$BORG_REPO")
	size=$(du -sb alice.d | cut -f1)
	report "restic, one file per item ($(ls alice.d | wc -l) files)" $((r1 - r0)) $((r2 - r1)) "$size"
	report "borg, one file per item" $((b1 - b0)) $((b2 - b1)) "$size"
	# an unchanged item is an unchanged file: a night costs about what changed
	[ $((r2 - r1)) -lt $(((r1 - r0) / 20)) ] || fail "restic: night 2 added more than 5% of night 1"
	[ $((b2 - b1)) -lt $(((b1 - b0) / 20)) ] || fail "borg: night 2 added more than 5% of night 1"
	run_recipe "# one file per item: the last night, restored from restic" user5 user2 /FromRestic
	assert_success
	assert_equal "$stderr" ""
	diff <(tree_items user2 /FromRestic) <(tree_items user5 "")
	rm -rf back
	run_recipe "# one file per item: the last night, restored from borg" user5 user4 /FromBorg
	assert_success
	assert_equal "$stderr" ""
	diff <(tree_items user4 /FromBorg) <(tree_items user5 "")
}

@test "README: a night whose export stopped early leaves no snapshot in restic or borg" {
	run_recipe "# restic, once: a repository" user6 user2
	run_recipe "# borg, once: a repository" user6 user2
	# the service refuses every token after the first exportItems calls: mbx-export stops (3)
	admin POST /faults --data-binary 'match=exportItems,status=401,count=0,skip=1' >/dev/null
	run_recipe "# restic, every night" user6 user2
	assert_success                            # the recipe handled it
	assert_regex "$stderr" "mbx-export: cannot export items of 'MBX:[^']*': 401"
	assert_equal "$(restic snapshots --json | jq length)" 0
	run_recipe "# borg, every night" user6 user2
	assert_success
	assert_regex "$stderr" "mbx-export: cannot export items of 'MBX:[^']*': 401"
	assert_equal "$(borg list --short)" ""
	# and a night that went well is kept, by both
	admin DELETE /faults >/dev/null
	run_recipe "# restic, every night" user6 user2
	assert_success
	run_recipe "# borg, every night" user6 user2
	assert_success
	assert_equal "$(restic snapshots --json | jq length)" 1
	assert_equal "$(borg list --short | wc -l)" 1
}

@test "mbx(7) gives the same recipes as README" {
	man=$(mandoc -Tascii "$MBX_SRCDIR/man/mbx.7" | col -b)
	for first in "# restic, every night" "# restic: the last night, restored" \
		"# borg, every night" "# borg: the last night, restored" \
		"# restic, once a week: a snapshot a day for a week, the rest dropped" \
		"# borg, once a week"; do
		while IFS= read -r line; do
			grep -qF -- "$(sed 's/^ *//' <<<"$line")" <<<"$man" ||
				fail "mbx(7) lacks: $line"
		done < <(recipe "$first" alice alice | grep -v '^#')
	done
}
