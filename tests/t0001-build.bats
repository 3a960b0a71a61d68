#!/usr/bin/env bats
# Every program: --help, --version, usage errors.

load helpers

programs="mbx-ls mbx-folders mbx-graphd mbx-export"

@test "--help prints usage on stdout and exits 0" {
	for p in $programs; do
		run --separate-stderr "$p" --help
		assert_success
		assert_regex "$output" "^usage: $p"
		assert_equal "$stderr" ""
	done
}

@test "--version names the program and the package version" {
	for p in $programs; do
		run --separate-stderr "$p" --version
		assert_success
		assert_regex "$output" "^$p \(mbx\) [0-9]+\.[0-9]+\.[0-9]+$"
		assert_equal "$stderr" ""
	done
}

@test "an unknown option is a usage error: exit 2, usage on stderr, nothing on stdout" {
	for p in $programs; do
		run --separate-stderr "$p" --no-such-option
		assert_equal "$status" 2
		assert_equal "$output" ""
		assert_regex "$stderr" "usage: $p"
	done
}

@test "bad values of common options are usage errors naming the value" {
	run --separate-stderr mbx-ls --jobs 0 -M someone
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-ls: invalid --jobs '0': expected 1..64"
	run --separate-stderr mbx-folders --retry-max-time soon x
	assert_equal "$status" 2
	assert_equal "$stderr" "mbx-folders: invalid --retry-max-time 'soon': expected seconds"
	run --separate-stderr mbx-ls --page-size 5000 x
	assert_equal "$status" 2
	assert_equal "$stderr" "mbx-ls: invalid --page-size '5000': expected 1..1000"
}

@test "mbx-ls -M without users is a usage error" {
	run --separate-stderr mbx-ls -M
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "mbx-ls: -M needs at least one user"
}

@test "mbx-folders takes at most a mailbox and a path" {
	run --separate-stderr mbx-folders a b c
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_regex "$stderr" "^usage: mbx-folders"
}
