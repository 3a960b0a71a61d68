#!/usr/bin/env bats
# mbx-tenant(7)'s GNU parallel recipes, run as written: the tenant's users, one backup
# job per mailbox with one job killed by SIGKILL and finished by --resume-failed, the
# tenant summary from the stats files, and the same backup over two ssh "machines".

load helpers

setup_file() {
	command -v parallel >/dev/null || skip "GNU parallel not installed"
	graphd_start --generate users=12,folders=3,items=12,size=2k,seed=23
}

teardown_file() {
	local f
	for f in "$BATS_FILE_TMPDIR"/ssh/sshd*.pid; do
		[ ! -s "$f" ] || kill "$(cat "$f")" 2>/dev/null || true
	done
	graphd_stop
}

# recipe NAME: the literal block after '.\" recipe NAME' in man/mbx-tenant.7
recipe() {
	awk -v n="$1" '$0 == ".\\\" recipe " n { f = 1; next } f && /^\.Bd/ { next }
		f && /^\.Ed/ { exit } f' "$MBX_SRCDIR/man/mbx-tenant.7" | sed 's/\\e/\\/g'
}

# check_backups: every user's NAME.mbx holds each of its mailbox's items once, byte for
# byte (the emulator's sha256), and no .part is left
check_backups() {
	local u id
	for u in $(seq 1 12); do
		u=user$u@contoso.com
		[ -s "$u.mbx" ] || fail "no $u.mbx"
		[ ! -e "$u.mbx.part" ] || fail "$u.mbx.part left"
		id=$(mailbox_id "$u")
		diff <(mbx-frames -t <"$u.mbx" | jq -r 'select(.type == "item") | "\(.id) \(.sha256)"' | sort) \
			<(admin GET "/mailboxes/$(jq -rn --arg s "$id" '$s|@uri')" | jq -r '.items[] | "\(.id) \(.sha256)"' | sort) ||
			fail "$u.mbx differs from the mailbox"
	done
}

# a wrapper for mbx-export that, for the mailbox in KILL_ONE and once, kills its whole
# job (the shell parallel started, itself and the real exporter) with SIGKILL as soon
# as the job's .part holds its first bytes
make_killer() {
	mkdir -p "$BATS_TEST_TMPDIR/wrap"
	cat >"$BATS_TEST_TMPDIR/wrap/mbx-export" <<-EOF
	#!/bin/bash
	if [[ "\$*" == *"\$KILL_ONE.stats.json"* ]] && [ ! -e "\$KILL_MARK" ]; then
		: >"\$KILL_MARK"
		"$MBX_BUILDDIR/bin/mbx-export" "\$@" <&0 &
		while [ "\$(stat -L -c %s /proc/\$\$/fd/1)" -eq 0 ] && kill -0 \$! 2>/dev/null; do
			sleep 0.01
		done
		kill -KILL \$PPID \$! \$\$
	fi
	exec "$MBX_BUILDDIR/bin/mbx-export" "\$@"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/wrap/mbx-export"
	export KILL_ONE=user5@contoso.com KILL_MARK=$BATS_TEST_TMPDIR/killed
}

@test "mbx-tenant(7): the users of the tenant, one a line" {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr bash -c "$(recipe users)"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(cat users.txt)" "$(seq 1 12 | sed 's/.*/user&@contoso.com/')"
}

@test "mbx-tenant(7): 12 mailboxes, -j4, one job killed by SIGKILL, --resume-failed finishes it" {
	cd "$BATS_TEST_TMPDIR"
	# README shows the same two lines
	grep -qxF "$(recipe users)" "$MBX_SRCDIR/README.md"
	grep -qxF "$(recipe backup)" "$MBX_SRCDIR/README.md"
	bash -c "$(recipe users)"
	make_killer
	# slow exports, so that the job is killed with items still to come
	admin POST /faults --data-binary "match=/exportItems,latency=200,count=0" >/dev/null
	run --separate-stderr env PATH="$BATS_TEST_TMPDIR/wrap:$PATH" bash -c "$(recipe backup)"
	assert_failure 1            # parallel: the number of jobs that failed
	[ -e "$KILL_MARK" ]
	# the job log: 12 jobs, the killed one with signal 9, the others exit 0
	assert_equal "$(awk -F'\t' 'NR > 1 && $8 == 9' jobs.log | wc -l)" 1
	assert_equal "$(awk -F'\t' 'NR > 1 && $7 == 0 && $8 == 0' jobs.log | wc -l)" 11
	[ -s user5@contoso.com.mbx.part ] && [ ! -e user5@contoso.com.mbx ]
	admin DELETE /faults >/dev/null
	run --separate-stderr env PATH="$BATS_TEST_TMPDIR/wrap:$PATH" bash -c "$(recipe backup)"
	assert_success
	assert_equal "$output" ""
	# only the killed job ran again
	assert_equal "$(awk -F'\t' 'NR > 1' jobs.log | wc -l)" 13
	assert_equal "$(awk -F'\t' 'NR > 1 && $7 == 0 && $8 == 0 { print $NF }' jobs.log | grep -c user5@)" 1
	check_backups
	# the summary: the items of every mailbox, from the stats files
	run --separate-stderr bash -c "$(recipe summary)"
	assert_success
	assert_equal "$(jq -c '[.mailboxes, .failed, .failures]' <<<"$output")" '[12,0,[]]'
	assert_equal "$(jq .items <<<"$output")" \
		"$(for u in $(seq 1 12); do admin GET "/mailboxes/$(jq -rn --arg s "$(mailbox_id user$u@contoso.com)" '$s|@uri')" | jq '.items | length'; done | jq -s add)"
}

# sshd_start N ADDR: an sshd on ADDR:port for the test's user key, host "mN" in ssh/config
sshd_start() {
	local d=$BATS_FILE_TMPDIR/ssh n=$1 addr=$2 port i
	port=$((20000 + RANDOM % 20000))
	cat >"$d/sshd$n.conf" <<-EOF
	ListenAddress $addr:$port
	HostKey $d/host_key
	AuthorizedKeysFile $d/authorized_keys
	PidFile $d/sshd$n.pid
	StrictModes no
	UsePAM no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin prohibit-password
	EOF
	printf 'Host m%s\n  HostName %s\n  Port %s\n' "$n" "$addr" "$port" >>"$d/config"
	/usr/sbin/sshd -f "$d/sshd$n.conf" -D -e 2>"$d/sshd$n.log" &
	for i in $(seq 1 50); do
		ssh -F "$d/config" "m$n" true 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

@test "mbx-tenant(7): the backup over two ssh machines, the secret from a file --env names" {
	command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || skip "openssh-server not installed"
	# sshd needs its privilege separation directory, which only root may create
	[ -d /run/sshd ] || [ "$(id -u)" = 0 ] || skip "no /run/sshd and not root: sshd cannot start"
	mkdir -p /run/sshd
	d=$BATS_FILE_TMPDIR/ssh
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$d/user_key"
	cp "$d/user_key.pub" "$d/authorized_keys"
	printf 'Host *\n  User %s\n  IdentityFile %s\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  BatchMode yes\n  LogLevel ERROR\n' \
		"$(id -un)" "$d/user_key" >"$d/config"
	sshd_start 1 127.0.0.2 || skip "sshd did not start: $(head -c 300 "$d/sshd1.log")"
	sshd_start 2 127.0.0.3 || skip "sshd did not start: $(head -c 300 "$d/sshd2.log")"
	mkdir "$BATS_TEST_TMPDIR/w" && cd "$BATS_TEST_TMPDIR/w"
	bash -c "$(recipe users)"
	printf '2/m1\n2/m2\n' >machines.txt
	# the credentials file each machine holds (here: one file, both machines are this one)
	printf '%s\n' "AZURE_TENANT_ID=$AZURE_TENANT_ID" "AZURE_CLIENT_ID=$AZURE_CLIENT_ID" \
		"AZURE_CLIENT_SECRET=$AZURE_CLIENT_SECRET" "MBX_GRAPH_URL=$MBX_GRAPH_URL" \
		"AZURE_AUTHORITY_HOST=$AZURE_AUTHORITY_HOST" "MBX_CACERT=$MBX_CACERT" \
		"XDG_CACHE_HOME=$XDG_CACHE_HOME" >"$BATS_TEST_TMPDIR/tenant.env"
	chmod 600 "$BATS_TEST_TMPDIR/tenant.env"
	secret=$AZURE_CLIENT_SECRET
	unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET MBX_GRAPH_URL AZURE_AUTHORITY_HOST
	# PATH: the build tree's programs on the "remote" machines; PARALLEL_SSH: the test's keys
	TENANT_ENV=$BATS_TEST_TMPDIR/tenant.env PARALLEL_SSH="ssh -F $d/config" PARALLEL="--env PATH" \
		run --separate-stderr bash -c "$(recipe machines)"
	assert_success
	assert_equal "$output" ""
	check_backups
	# both machines ran jobs
	assert_equal "$(awk -F'\t' 'NR > 1 { print $2 }' jobs.log | sort -u | tr '\n' ' ')" "m1 m2 "
	# the secret was read from the file: it is nowhere in the job log's commands
	! grep -qF "$secret" jobs.log
}
