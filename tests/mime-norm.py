#!/usr/bin/python3
"""mime-norm.py: the round-trip oracle of the t71xx tests: messages as Python's email
package (policy default) reads them, reduced to what a MIME -> MAPI -> MIME trip must
keep, so that what went in and what came out can be compared.

  mime-norm.py compare [--skip-type T]... IN... -- OUT...
                                         exit 0 when the two sides hold the same messages
                                         (as multisets); else the differences, exit 1;
                                         parts of type T are left out on both sides
  mime-norm.py show FILE...              the reduced form, one JSON line per message

IN and OUT are .eml files, mbox files (first line "From "), or Maildir directories.

What is kept of a message:
  - the headers that matter: From, Sender, To, Cc, Bcc (as display name and address
    pairs), Subject, Date (as a UTC time), Message-ID, In-Reply-To, References;
  - the body as MS-OXCMAIL 2.2.3.3.2 chooses it (the spec the converter follows; Python
    decodes it): its HTML, and its plain text when the input has plain text (a writer
    may derive plain text from HTML);
  - every other part, in order: type, file name, Content-ID, and its content (text
    decoded by its charset, other bytes by SHA-256); message/rfc822 parts reduced the
    same way, recursively.
Text is compared with line ends made LF and trailing blanks dropped; HTML also with its
META charset declarations dropped (a converter rewrites them when it re-encodes). What
a writer must add is allowed: a Date where there was none (RFC 5322 3.6), a file name
for a part that had none.
"""
import email
import email.policy
import email.utils
import hashlib
import json
import mailbox
import os
import re
import sys

POLICY = email.policy.default
SKIP = set()                           # part types left out (--skip-type)
ADDR = ("from", "sender", "to", "cc", "bcc")
PLAIN = ("subject", "message-id", "in-reply-to", "references")


def text(s):
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    lines = [ln.rstrip() for ln in s.split("\n")]
    return "\n".join(lines).strip("\n")


def html(s):
    s = re.sub(r"(?is)<meta[^>]*charset[^>]*>", "", s)
    return re.sub(r"\s+", " ", text(s)).strip()


def content(p):
    if not p.is_multipart() and p.get_content_type().startswith("multipart/"):
        return p.get_payload()
    try:
        return p.get_content()
    except (LookupError, KeyError, ValueError):
        raw = p.get_payload(decode=True) or b""
        return raw.decode("utf-8", "replace")


def addresses(m, name):
    out = []
    for v in m.get_all(name, []):
        try:
            out += [[a.display_name, a.addr_spec] for a in v.addresses]
        except (AttributeError, ValueError, IndexError):
            out.append(["", re.sub(r"\s+", " ", str(v)).strip()])
    return out


def date(m):
    v = m.get("date")
    if v is None:
        return None
    try:
        return int(email.utils.parsedate_to_datetime(str(v)).timestamp())
    except (TypeError, ValueError, IndexError):
        return re.sub(r"\s+", " ", str(v)).strip()


def headers(m):
    h = {n: addresses(m, n) for n in ADDR}
    for n in PLAIN:
        v = m.get(n)
        h[n] = None if v is None else re.sub(r"\s+", " ", str(v)).strip()
    h["date"] = date(m)
    return h


def ctype(p):
    """A multipart that Python could not split (no boundary, or a boundary that never
    occurs: it records a defect) is its text, as mail readers show it."""
    ct = p.get_content_type()
    return "text/plain" if ct.startswith("multipart/") and not p.is_multipart() else ct


def find_body(p):
    """MS-OXCMAIL 2.2.3.3.2: a text part, an alternative holding one (HTML first), the
    root of a related, the first part of another multipart; never an attachment."""
    if p.get_content_disposition() == "attachment":
        return {}
    ct = ctype(p)
    if ct == "text/html":
        return {"html": p}
    if ct in ("text/plain", "text/enriched"):
        return {"plain": p}
    if not p.is_multipart():
        return {}
    parts = p.get_payload()
    if ct == "multipart/alternative":
        best = {}
        for c in parts:
            b = find_body(c)
            if "html" in b and "html" not in best:
                best["html"] = b["html"]
            if "plain" in b and "html" not in b and "plain" not in best:
                best["plain"] = b["plain"]
        return best
    if ct == "multipart/related":
        start = p.get_param("start")
        root = next((c for c in parts if start and c.get("content-id") == start), None)
        root = root or (parts[0] if parts else None)
        return find_body(root) if root is not None else {}
    if ct.startswith("multipart/") and parts:
        return find_body(parts[0])
    return {}


def leaf(p):
    ct = ctype(p)
    cid = p.get("content-id")
    out = {"type": ct, "name": p.get_filename(),
           "cid": cid.strip().strip("<>") if cid else None}
    if ct in ("message/rfc822", "message/global") and p.is_multipart():
        out["message"] = norm(p.get_payload(0))
    elif p.is_multipart():        # message/delivery-status and the like: header blocks,
        # unfolded (RFC 5322 2.2.3: folding is not content; RFC 3464 2.1 uses its syntax)
        out["text"] = "\n\n".join("\n".join("%s: %s" % (k, re.sub(r"\s+", " ", str(v)).strip())
                                             for k, v in x.items()) for x in p.get_payload())
    elif ct.startswith("text/"):
        out["text"] = text(content(p))
    else:
        out["sha256"] = hashlib.sha256(p.get_payload(decode=True) or b"").hexdigest()
    return out


def others(p, body, out):
    if any(p is b for b in body.values()):
        return out
    ct = ctype(p)
    if ct.startswith("multipart/"):
        for c in p.get_payload():
            others(c, body, out)
    elif ct not in SKIP:
        out.append(leaf(p))
    return out


def norm(m):
    body = find_body(m)
    b = {}
    if "html" in body:
        b["html"] = html(content(body["html"]))
    if "plain" in body:
        b["plain"] = text(content(body["plain"]))
    return {"headers": headers(m), "body": b, "parts": others(m, body, [])}


def messages(path):
    if os.path.isdir(path):
        for key, msg in sorted(mailbox.Maildir(path, factory=None, create=False).items()):
            yield "%s/%s" % (path, key), email.message_from_bytes(msg.as_bytes(), policy=POLICY)
        return
    with open(path, "rb") as f:
        first = f.readline()
    if first.startswith(b"From "):
        for i, msg in enumerate(mailbox.mbox(path, create=False)):
            yield "%s#%d" % (path, i + 1), email.message_from_bytes(msg.as_bytes(), policy=POLICY)
        return
    with open(path, "rb") as f:
        yield path, email.message_from_binary_file(f, policy=POLICY)


def same_headers(a, b):
    """A writer must give a message a Date (RFC 5322 3.6) when it has none."""
    return all(a[k] == b[k] for k in a if not (k == "date" and a[k] is None))


def same_part(x, y):
    """A writer may name a part that had no name (MUAs show one)."""
    return all(x[k] == y.get(k) for k in x if k != "message" and not (k == "name" and x[k] is None))


def same(a, b):
    """b (what came out) against a (what went in): plain text only where a has it."""
    if not same_headers(a["headers"], b["headers"]) or len(a["parts"]) != len(b["parts"]):
        return False
    if a["body"].get("html") != b["body"].get("html"):
        return False
    if "plain" in a["body"] and a["body"]["plain"] != b["body"].get("plain"):
        return False
    if "plain" not in a["body"] and "html" not in a["body"] and b["body"].get("plain"):
        return False
    for x, y in zip(a["parts"], b["parts"]):
        if not same_part(x, y) or ("message" in x) != ("message" in y):
            return False
        if "message" in x and not same(x["message"], y["message"]):
            return False
    return True


def compare(ins, outs):
    left = [(n, norm(m)) for p in ins for n, m in messages(p)]
    right = [(n, norm(m)) for p in outs for n, m in messages(p)]
    unmatched = []
    for name, a in left:
        k = next((i for i, (_, b) in enumerate(right) if same(a, b)), None)
        if k is None:
            unmatched.append((name, a))
        else:
            del right[k]
    for name, a in unmatched:
        print("in only: %s: %s" % (name, json.dumps(a, sort_keys=True)))
    for name, b in right:
        print("out only: %s: %s" % (name, json.dumps(b, sort_keys=True)))
    print("%d in, %d out, %d unmatched" % (len(left), len(left) - len(unmatched) + len(right),
                                          len(unmatched) + len(right)), file=sys.stderr)
    return 1 if unmatched or right else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "show":
        for p in argv[2:]:
            for n, m in messages(p):
                print(json.dumps({"file": n, **norm(m)}, sort_keys=True))
        return 0
    if len(argv) >= 4 and argv[1] == "compare" and "--" in argv:
        a = argv[2:]
        while len(a) >= 2 and a[0] == "--skip-type":
            SKIP.add(a[1])
            a = a[2:]
        k = a.index("--")
        return compare(a[:k], a[k + 1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
