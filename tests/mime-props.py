#!/usr/bin/python3
"""mime-props.py: the MAPI properties of converted messages against what Python's email
package (policy default) reads in the messages they came from.

  mbx-mime --to-frames FILE... | mbx-frames --decode | mime-props.py

Each decoded frame names its source ("file"); each must have, by MS-OXCMAIL 2.2.3:
PidTagMessageClass IPM.Note; PidTagMessageFlags 1 (read), never 0x8 (unsent);
the Subject; the normalized subject without its prefix; Message-ID; From (first
mailbox) as SentRepresenting; To, Cc and Bcc recipients by type, each with name and
address (a mailbox without a name is named by its comment, "addr (Name)", or else by
its address); ClientSubmitTime = Date; the attachments (every part that is not the body:
see mime-norm.py) with their names, MIME types, Content-IDs and decoded sizes, message
parts as embedded messages (method 5). Prints each difference; exit 1 when any.
"""
import datetime
import email
import email.policy
import email.utils
import importlib.util
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("norm", os.path.join(HERE, "mime-norm.py"))
norm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(norm)
TYPES = {"to": 1, "cc": 2, "bcc": 3}


def iso(v):
    try:
        t = email.utils.parsedate_to_datetime(str(v))
    except (TypeError, ValueError, IndexError):
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def prefix_len(s):
    """MS-OXCMAIL 2.2.3.2.6.1: 1-3 characters, no digit or blank, then ':' and blanks."""
    k = s.find(":")
    if k < 1 or k > 3 or any(c.isdigit() or c in " \t" for c in s[:k]):
        return 0
    k += 1
    while k < len(s) and s[k] in " \t":
        k += 1
    return k


def comments(m, name):
    """The comments of a field: "addr (Name)" names a mailbox in the obsolete form that
    mail readers still show (RFC 5322 3.2.2 comments; Python gives no display name)."""
    raw = [v for k, v in m.raw_items() if k.lower() == name]
    return [c.strip() for v in raw for c in re.findall(r"\(([^()]*)\)", str(v))]


def mailboxes(m, name):
    """(name, address) pairs; a missing name is the address, or the comment."""
    out, cs = [], comments(m, name)
    for a in norm.addresses(m, name):
        addr = a[1] if a[1] not in ("<>", "") else None
        n = a[0] or next((c for c in cs if c), None) or addr
        if addr or n:
            out.append([n, addr])
    return out


def recipients(m):
    return [[t, n, a] for name, t in TYPES.items() for n, a in mailboxes(m, name) if a]


def attachments(m):
    body = norm.find_body(m)
    return norm.others(m, body, [])


def check_attachments(m, fx, bad):
    want = attachments(m)
    got = fx.get("attachments") or []
    if len(want) != len(got):
        bad("attachments: %d, want %d" % (len(got), len(want)))
        return
    for w, g in zip(want, got):
        if "message" in w:
            if g.get("method") != 5 or not g.get("embedded"):
                bad("attachment %s: not an embedded message" % g.get("number"))
            continue
        if g.get("method") != 1 or g.get("mimeTag") != w["type"]:
            bad("attachment %s: method %s type %s, want 1 %s" % (
                g.get("number"), g.get("method"), g.get("mimeTag"), w["type"]))
        if w["name"] is not None and g.get("name") != w["name"]:
            bad("attachment %s: name %r, want %r" % (g.get("number"), g.get("name"), w["name"]))
        if w["cid"] != g.get("contentId"):
            bad("attachment %s: contentId %r, want %r" % (g.get("number"), g.get("contentId"), w["cid"]))


def check(rec, m, bad):
    fx = rec["fx"]
    if fx.get("messageClass") != "IPM.Note":
        bad("class %r" % fx.get("messageClass"))
    if fx.get("messageFlags") != (1 if rec.get("isRead", True) else 0):
        bad("messageFlags %r" % fx.get("messageFlags"))
    subj = m.get("subject")
    subj = None if subj is None else str(subj)
    if fx.get("subject") != subj:
        bad("subject %r, want %r" % (fx.get("subject"), subj))
    if subj is not None and fx.get("normalizedSubject") != subj[prefix_len(subj):]:
        bad("normalizedSubject %r" % fx.get("normalizedSubject"))
    mid = m.get("message-id")
    mid = str(mid).strip() if mid is not None else None
    if mid and "<" in mid:
        mid = mid[mid.index("<"):mid.index(">") + 1]
    if fx.get("internetMessageId") != mid:
        bad("internetMessageId %r, want %r" % (fx.get("internetMessageId"), mid))
    frm = mailboxes(m, "from")[:1]
    got = fx.get("from") or {}
    if frm and [got.get("name"), got.get("address")] != frm[0]:
        bad("from %r, want %r" % (got, frm[0]))
    r = [[TYPES[x["type"]], x.get("displayName"), x.get("address")] for x in fx.get("recipients", [])]
    if r != recipients(m):
        bad("recipients %r, want %r" % (r, recipients(m)))
    if m.get("date") is not None and fx.get("submitTime") != iso(m.get("date")):
        bad("submitTime %r, want %r" % (fx.get("submitTime"), iso(m.get("date"))))
    check_attachments(m, fx, bad)


def main():
    n = failed = 0
    for line in sys.stdin:
        rec = json.loads(line)
        if rec.get("type") != "item":
            continue
        n += 1
        with open(rec["file"], "rb") as f:
            m = email.message_from_binary_file(f, policy=norm.POLICY)
        errs = []
        check(rec, m, errs.append)
        for e in errs:
            print("%s: %s" % (rec["file"], e))
        failed += bool(errs)
    print("%d messages, %d with differences" % (n, failed), file=sys.stderr)
    return 1 if failed or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
