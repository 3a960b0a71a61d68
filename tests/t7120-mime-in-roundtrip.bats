#!/usr/bin/env bats
# The round trip of issue 16 with independent oracles: mail goes mbx-mime --to-frames |
# mbx-import into the emulator, comes back mbx-export | mbx-mime, and what went in and
# what came out are the same messages as Python's email package reads them
# (tests/mime-norm.py: the headers that matter, the body, every other part decoded).

load helpers

PY=/usr/bin/python3
PYDATA=/usr/lib/python3.11/test/test_email/data

setup_file() {
	graphd_start --generate users=1,folders=1,items=1,seed=5
	$PY "$MBX_SRCDIR/tests/mime-gen.py" trees "$BATS_FILE_TMPDIR/trees"
}

teardown_file() {
	graphd_stop
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# trip FOLDER FILE...: FILE... into /FOLDER of user1, and that folder back as .eml files
# in out/ and as one mbox, out.mbox.
trip() {
	local f=$1
	shift
	mbx-mime --to-frames "$@" >in.frames
	mbx-import user1@contoso.com --folder "/$f" <in.frames >imported
	mbx-folders user1@contoso.com "/$f" | mbx-ls | mbx-export >back.frames
	mkdir -p out
	mbx-mime --eml out back.frames >written
	mbx-mime back.frames >out.mbox
}

@test "Python's email test data comes back as it went in, through the emulator" {
	[ -d "$PYDATA" ] || skip "Python's email test data is not installed (libpython3.11-testsuite)"
	n=$(ls "$PYDATA"/msg_*.txt | wc -l)
	trip Py "$PYDATA"/msg_*.txt
	assert_equal "$(jq -r '"\(.type) \(.status)"' imported | sort | uniq -c | awk '{print $1, $2, $3}')" "$n imported created"
	# message/delivery-status and message/external-body parts too: written 7bit or
	# 8bit as RFC 2045 6.4 wants of a "message" type, Python reads them back
	run --separate-stderr $PY "$MBX_SRCDIR/tests/mime-norm.py" compare \
		"$PYDATA"/msg_*.txt -- out/*.eml
	assert_success
	assert_output ""
	assert_equal "$stderr" "$n in, $n out, 0 unmatched"
	# the mbox the other way reads the same (Python's mailbox)
	run --separate-stderr $PY "$MBX_SRCDIR/tests/mime-norm.py" compare \
		"$PYDATA"/msg_*.txt -- out.mbox
	assert_success
	assert_equal "$stderr" "$n in, $n out, 0 unmatched"
}

@test "generated MIME trees (charsets, RFC 2231 names, inline images, nested messages) come back" {
	T=$BATS_FILE_TMPDIR/trees
	n=$(ls "$T"/*.eml | wc -l)
	trip Trees "$T"/*.eml
	run --separate-stderr $PY "$MBX_SRCDIR/tests/mime-norm.py" compare "$T"/*.eml -- out/*.eml
	assert_success
	assert_output ""
	assert_equal "$stderr" "$n in, $n out, 0 unmatched"
}

@test "the oracle sees a changed attachment byte and a lost message" {
	T=$BATS_FILE_TMPDIR/trees
	trip Neg "$T"/inline-images.eml "$T"/nested.eml
	f=$(grep -l 'report.pdf' out/*.eml)
	$PY -c '
import email, email.policy, sys
p = sys.argv[1]
m = email.message_from_binary_file(open(p, "rb"), policy=email.policy.default)
for x in m.walk():
    if x.get_filename() == "report.pdf":
        d = bytearray(x.get_payload(decode=True)); d[10] ^= 1
        x.set_content(bytes(d), maintype="application", subtype="pdf", filename="report.pdf")
open(p, "wb").write(m.as_bytes())' "$f"
	run --separate-stderr $PY "$MBX_SRCDIR/tests/mime-norm.py" compare "$T"/inline-images.eml "$T"/nested.eml -- out/*.eml
	assert_failure 1
	assert_line --partial "in only: $T/inline-images.eml"
	assert_equal "$stderr" "2 in, 2 out, 2 unmatched"
	run --separate-stderr $PY "$MBX_SRCDIR/tests/mime-norm.py" compare "$T"/inline-images.eml "$T"/nested.eml -- "$f"
	assert_failure 1
	assert_equal "$stderr" "2 in, 1 out, 3 unmatched"
}

@test "a 30 MB attachment comes back byte for byte" {
	$PY "$MBX_SRCDIR/tests/mime-gen.py" big big.eml 30
	trip Big big.eml
	run --separate-stderr mbx-frames --verify in.frames
	assert_success
	run --separate-stderr $PY "$MBX_SRCDIR/tests/mime-norm.py" compare big.eml -- out/*.eml
	assert_success
	assert_equal "$stderr" "1 in, 1 out, 0 unmatched"
	# and the bytes are those of the file (not only the same for both readers)
	run $PY -c '
import email, email.policy, glob, hashlib
m = email.message_from_binary_file(open(glob.glob("out/*.eml")[0], "rb"), policy=email.policy.default)
print(hashlib.sha256(next(m.iter_attachments()).get_payload(decode=True)).hexdigest())'
	assert_output "$(sha256sum <big.eml.bin | cut -d' ' -f1)"
}
