#!/usr/bin/python3
"""mailcheck.py: Python's email package (policy default) as the judge of mbx-mime's output.

  mailcheck.py mbox FILE       every message of an mboxrd file (split by mailbox.mbox,
                               its mboxrd quoting undone)
  mailcheck.py maildir DIR     every message of a Maildir (mailbox.Maildir)
  mailcheck.py eml FILE...     .eml files

Prints one JSON line per message: subject, from/to/cc/bcc (as parsed addresses), date,
message-id, content type, structure (the MIME tree as "type(children)"), the parts
with their content type, disposition, filename, content-id, charset, decoded size and
sha256, and defects (message, part and header defects). Exit 1 when any message has a
defect, so a test that only wants a clean parse can run it and check the status.
"""
import email
import email.policy
import hashlib
import json
import mailbox
import re
import sys


def tree(p):
    if p.is_multipart():
        return "%s(%s)" % (p.get_content_type(), ",".join(tree(c) for c in p.iter_parts()))
    if p.get_content_type() == "message/rfc822":
        return "message/rfc822(%s)" % tree(p.get_payload(0))
    return p.get_content_type()


def header_defects(p):
    out = []
    for k, v in p.items():
        for d in getattr(v, "defects", ()):
            out.append("%s: %s" % (k, d))
    return out


def parts(msg):
    out = []
    defects = []
    for p in msg.walk():
        defects += [repr(d) for d in p.defects] + header_defects(p)
        if p.is_multipart() or p.get_content_type() == "message/rfc822":
            continue
        data = p.get_payload(decode=True) or b""
        out.append({"type": p.get_content_type(), "disposition": p.get_content_disposition(),
                    "filename": p.get_filename(), "cid": p.get("content-id"),
                    "charset": p.get_content_charset(), "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "text": p.get_content() if p.get_content_maintype() == "text" else None})
    return out, defects


def addrs(msg, name):
    h = msg.get(name)
    if h is None:
        return None
    return [{"name": a.display_name, "addr": a.addr_spec} for a in h.addresses]


def describe(msg):
    ps, defects = parts(msg)
    return {"subject": msg.get("subject"), "from": addrs(msg, "from"), "to": addrs(msg, "to"),
            "cc": addrs(msg, "cc"), "bcc": addrs(msg, "bcc"), "date": msg.get("date"),
            "messageId": msg.get("message-id"), "folder": msg.get("x-mbx-folder"),
            "itemId": msg.get("x-mbx-item-id"), "class": msg.get("x-mbx-class"),
            "type": msg.get_content_type(), "tree": tree(msg), "parts": ps,
            "defects": defects}


def messages(kind, args):
    pol = email.policy.default
    if kind == "mbox":
        # mailbox.mbox splits the file; it leaves mboxrd quoting alone, undone here
        mb = mailbox.mbox(args[0])
        for key in mb.iterkeys():
            raw = re.sub(rb"(?m)^>(>*From )", rb"\1", mb.get_bytes(key))
            yield email.message_from_bytes(raw, policy=pol)
    elif kind == "maildir":
        md = mailbox.Maildir(args[0], factory=lambda f: email.message_from_binary_file(f, policy=pol))
        for key in sorted(md.keys()):
            yield md[key]
    else:
        for a in args:
            with open(a, "rb") as f:
                yield email.message_from_binary_file(f, policy=pol)


def main():
    bad = 0
    for m in messages(sys.argv[1], sys.argv[2:]):
        d = describe(m)
        bad |= bool(d["defects"])
        print(json.dumps(d, ensure_ascii=False))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
