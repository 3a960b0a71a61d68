#!/usr/bin/env bats
# The error sweep (issue 11 item 4): every program's normal run with its k-th request
# failed, for every k of the run and each of 400, 403, 404, 409, 500 past the retry
# budget, a 200 with malformed JSON, a 200 cut short and a connection reset (the
# emulator's fault rules, mbx-graphd(1) FAULTS). tests/sweep.sh says what is checked.

load helpers
source "$BATS_TEST_DIRNAME/sweep.sh"

setup_file() {
	graphd_start --generate users=2,folders=2,items=3,size=1k,seed=52
	export U1=user1@contoso.com U2=user2@contoso.com MBX2=$(mailbox_id user2@contoso.com)
	export D=$BATS_FILE_TMPDIR R='--retry-max-time 1'
	mbx-folders "$U1" >"$D/folders.in"
	mbx-ls <"$D/folders.in" >"$D/items.in"
	mbx-export <"$D/items.in" >"$D/frames.in"
	# mbx-import and mbx-rm take one item: their runs are the longest (K)
	jq -c 'select(.type == "item")' "$D/items.in" | head -n 1 | mbx-export >"$D/frame1.in"
}

teardown_file() {
	graphd_stop
}

setup() {
	admin DELETE /faults >/dev/null
}

# "PATH" of every folder and "PATH SHA256" of every item of user2 under PREFIX, PREFIX cut
under() {
	admin GET "/mailboxes/$MBX2" | jq -r --arg p "$1" '(.folders | map({key: .id, value: .path}) | from_entries) as $f
		| (.folders[] | select(.path | startswith($p + "/")) | .path | ltrimstr($p)),
		  (.items[] | select($f[.folderId] | startswith($p + "/")) | "\($f[.folderId] | ltrimstr($p)) \(.sha256)")' | sort
}

prep_lsM() { :; }
run_lsM() { mbx-ls $R -M "$U1"; }
state_lsM() { sort "$SWEEP_OUT"; }

prep_folders() { :; }
run_folders() { mbx-folders $R "$U1"; }
state_folders() { sort "$SWEEP_OUT"; }

prep_ls() { :; }
run_ls() { mbx-ls $R <"$D/folders.in"; }
state_ls() { sort "$SWEEP_OUT"; }

prep_export() { :; }
run_export() { mbx-export $R <"$D/items.in"; }
state_export() { mbx-frames -t "$SWEEP_OUT" | sort; }

prep_import() { rm -f "$D/j-$1"; }
run_import() { mbx-import $R --under "/I-$1" --journal "$D/j-$1" "$U2" <"$D/frame1.in"; }
state_import() { under "/I-$1"; }

prep_mkfolder() { :; }
run_mkfolder() { mbx-mkfolder $R "$U2" "/M-$1/a/b"; }
state_mkfolder() { under "/M-$1"; }

prep_mvfolder() { mbx-mkfolder "$U2" "/V-$1/old/kid" >/dev/null; }
run_mvfolder() { mbx-mvfolder $R "$U2" "/V-$1/old" new; }
state_mvfolder() { under "/V-$1"; }

prep_rmfolder() { mbx-mkfolder "$U2" "/R-$1/x/kid" >/dev/null; }
run_rmfolder() { mbx-rmfolder $R "$U2" "/R-$1/x"; }
state_rmfolder() { under "/R-$1"; }

prep_rm() {
	mbx-import --under "/D-$1" "$U2" <"$D/frame1.in" >/dev/null
	mbx-folders "$U2" "/D-$1" | mbx-ls >"$D/rm-$1.in"
}
run_rm() { mbx-rm $R <"$D/rm-$1.in"; }
state_rm() { under "/D-$1"; }

check() {
	run --separate-stderr sweep "$1"
	assert_success
	printf '# %s\n' "${lines[-1]}" >&3
	printf '%s\n' "$output" | grep '^FAIL' | head -n 40 >&3 || true
	assert_equal "$(printf '%s\n' "$output" | grep -c '^FAIL')" 0
	assert_regex "${lines[-1]}" "^$1: [1-9][0-9]* requests, 8 kinds, [1-9][0-9]* cases$"
}

@test "sweep: mbx-ls -M" { check lsM; }
@test "sweep: mbx-folders" { check folders; }
@test "sweep: mbx-ls" { check ls; }
@test "sweep: mbx-export" { check export; }
@test "sweep: mbx-import --journal" { check import; }
@test "sweep: mbx-mkfolder" { check mkfolder; }
@test "sweep: mbx-mvfolder" { check mvfolder; }
@test "sweep: mbx-rmfolder" { check rmfolder; }
@test "sweep: mbx-rm" { check rm; }
