#!/usr/bin/python3
"""mime-gen.py: mail for the t71xx tests, written by Python's email package (an
independent MIME writer), the same every run.

  mime-gen.py trees DIR      MIME trees as .eml files: charsets, RFC 2047 words, RFC 2231
                             file names, alternatives, inline images, nested messages
  mime-gen.py gmail FILE     a Gmail Takeout-style mbox: X-Gmail-Labels, nested labels,
                             Unread and Starred, a message without Message-ID
  mime-gen.py big FILE MB    one message with an MB-megabyte attachment (its bytes also
                             in FILE.bin)
  mime-gen.py many FILE N KB an mbox of N messages of about KB kilobytes each
"""
import email.message
import email.policy
import email.utils
import mailbox
import os
import random
import sys
import time

POLICY = email.policy.default
BASE = 1704067200                      # 2024-01-01T00:00:00Z


def pseudo(rng, n):
    return rng.randbytes(n)


def png(rng, n=300):
    """A PNG signature and bytes: a viewer need not open it, a diff must see it."""
    return b"\x89PNG\r\n\x1a\n" + pseudo(rng, n)


def msg(i, subject, **kw):
    m = email.message.EmailMessage(policy=POLICY)
    m["From"] = kw.get("frm", "Ann Example <ann@example.com>")
    m["To"] = kw.get("to", "Bob <bob@example.org>, carol@example.net")
    if "cc" in kw:
        m["Cc"] = kw["cc"]
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate(BASE + 3600 * i, localtime=False)
    m["Message-ID"] = "<gen-%d@example.com>" % i
    return m


TEXTS = {
    "utf-8": "Grüße aus Köln – “quotes”, 日本語, emoji 😀",
    "iso-8859-1": "Café crème, déjà vu, naïve façade",
    "iso-8859-15": "Prix : 100 € - œuvre, Šžš",
    "windows-1252": "Smart “quotes” and – dashes … ok",
    "koi8-r": "Привет, мир! Съешь же ещё этих мягких булок",
    "shift_jis": "こんにちは、世界。日本語のメールです。",
    "iso-2022-jp": "日本語の件名とメール本文です",
    "euc-kr": "안녕하세요 세계",
    "gb2312": "你好，世界。中文邮件。",
    "big5": "你好，世界。繁體中文。",
}


def charsets(out):
    for k, (cs, t) in enumerate(TEXTS.items()):
        m = msg(100 + k, "%s: %s" % (cs, t[:12].strip()),
                frm="%s <sender%d@example.com>" % (t[:6].strip(), k))
        cte = ["quoted-printable", "base64", "8bit"][k % 3]
        if cs == "iso-2022-jp":
            cte = "7bit"
        m.set_content(t + "\n\nSecond line.\n", charset=cs, cte=cte)
        out.append(("charset-%s" % cs, m))
    m = msg(120, "HTML only, iso-8859-15")
    m.set_content("<html><head><meta charset=\"iso-8859-15\"></head><body><p>%s</p></body></html>"
                  % TEXTS["iso-8859-15"], subtype="html", charset="iso-8859-15", cte="quoted-printable")
    out.append(("html-only", m))


def structures(rng, out):
    m = msg(200, "Alternative: plain and HTML", cc="Dave <dave@example.com>")
    m["Reply-To"] = "Replies <replies@example.com>"
    m["In-Reply-To"] = "<earlier@example.com>"
    m["References"] = "<first@example.com> <earlier@example.com>"
    m["Importance"] = "high"
    m["Sensitivity"] = "Private"
    m.set_content("Plain text of the message.\n")
    m.add_alternative("<html><body><p>HTML of the <b>message</b>.</p></body></html>\n",
                      subtype="html")
    out.append(("alternative", m))

    m = msg(201, "Inline images and an attachment")
    m.set_content("See the pictures.\n")
    m.add_alternative('<html><body><p>Logo: <img src="cid:logo@example.com"></p>'
                      '<p>Chart: <img src="cid:chart@example.com"></p></body></html>\n',
                      subtype="html")
    html = m.get_payload()[1]
    html.add_related(png(rng), "image", "png", cid="<logo@example.com>", filename="logo.png")
    html.add_related(png(rng, 700), "image", "png", cid="<chart@example.com>")
    m.add_attachment(pseudo(rng, 5000), maintype="application", subtype="pdf",
                     filename="report.pdf")
    out.append(("inline-images", m))

    m = msg(202, "RFC 2231 names")
    m.set_content("Files with names that need RFC 2231.\n")
    for name in ("résumé 2024 – final.pdf", "日本語のファイル名.txt",
                 "a (b) 'c' \"d\" ; e = f.bin",
                 "a very long file name that goes on and on beyond one header line, "
                 "with ümlauts, to need continuations.dat"):
        if name.endswith(".txt"):
            m.add_attachment("テキスト\n", subtype="plain", charset="utf-8", filename=name)
        else:
            m.add_attachment(pseudo(rng, 257), maintype="application",
                             subtype="octet-stream", filename=name)
    out.append(("rfc2231", m))

    m = msg(203, "Text attachments in their charsets")
    m.set_content("Two text attachments.\n")
    m.add_attachment(TEXTS["iso-8859-1"] + "\n", subtype="plain", charset="iso-8859-1",
                     filename="latin1.txt")
    m.add_attachment("a;b;c\n1;2;3\n", subtype="csv", filename="table.csv")
    out.append(("text-attachments", m))


def nested(rng, out):
    inner2 = msg(301, "Innermost", frm="Eve <eve@example.com>", to="ann@example.com")
    inner2.set_content("The innermost message.\n")
    inner2.add_attachment(pseudo(rng, 999), maintype="application", subtype="zip",
                          filename="deep.zip")
    inner = msg(302, "Fwd: Innermost", frm="Dan <dan@example.com>")
    inner.set_content("Forwarding the message below.\n")
    inner.add_attachment(inner2)
    m = msg(303, "Fwd: Fwd: nested messages")
    m.set_content("Two levels of forwarded messages.\n")
    m.add_attachment(inner)
    m.add_attachment(pseudo(rng, 100), maintype="image", subtype="gif", filename="x.gif")
    out.append(("nested", m))


def odd(rng, out):
    m = msg(400, "No body, one attachment")
    m.make_mixed()
    m.add_attachment(pseudo(rng, 64), maintype="application", subtype="octet-stream",
                     filename="only.bin")
    out.append(("attachment-only", m))
    m = msg(401, "Empty body")
    m.set_content("")
    out.append(("empty-body", m))
    m = msg(402, "Re: Grüße", frm="=?utf-8?q?J=C3=BCrgen?= <j@example.com>")
    m["X-Priority"] = "5"
    m.set_content("Encoded display name, low priority.\n")
    out.append(("encoded-name", m))


def trees(d):
    rng = random.Random(7)
    out = []
    charsets(out)
    structures(rng, out)
    nested(rng, out)
    odd(rng, out)
    os.makedirs(d, exist_ok=True)
    for name, m in out:
        with open(os.path.join(d, name + ".eml"), "wb") as f:
            f.write(m.as_bytes())
    # one with CRLF line ends, as an .eml saved by a Windows client
    name, m = out[len(TEXTS) + 2]
    with open(os.path.join(d, name + "-crlf.eml"), "wb") as f:
        f.write(m.as_bytes(policy=POLICY.clone(linesep="\r\n")))


def gmail(path):
    """Takeout writes one mbox; X-Gmail-Labels names the labels of each message."""
    rng = random.Random(11)
    if os.path.exists(path):
        os.unlink(path)
    box = mailbox.mbox(path)
    labels = ["Inbox,Important,Opened", "Work/Projects,Inbox,Opened", "Work,Unread",
              "Sent,Opened", "Archived,Starred,Opened,Category Personal",
              "Work/Projects,Receipts,Opened", "=?UTF-8?Q?Fam=C3=ADlia?=,Opened",
              "Spam,Unread", "Trash,Opened", "\"Travel, 2024\",Opened"]
    for i, lab in enumerate(labels):
        m = msg(500 + i, "Gmail message %d" % i)
        m["X-Gmail-Labels"] = lab
        m["X-GM-THRID"] = str(1700000000000000000 + i)
        body = "Message %d.\n\nFrom here the text goes on.\n" % i
        m.set_content(body)
        if i % 3 == 0:
            m.add_attachment(pseudo(rng, 2000 + i), maintype="application",
                             subtype="octet-stream", filename="file%d.bin" % i)
        if i == 4:
            del m["Message-ID"]
        mm = mailbox.mboxMessage(m.as_bytes())
        mm.set_from("ann@example.com", time.gmtime(BASE + 3600 * i))
        box.add(mm)
    box.flush()
    box.close()


def big(path, mb):
    m = msg(600, "A large attachment")
    m.set_content("The attachment is %d MB.\n" % mb)
    data = bytes(range(256)) * (mb * 4096)
    m.add_attachment(data, maintype="application", subtype="octet-stream", filename="big.bin")
    with open(path, "wb") as f:
        f.write(m.as_bytes())
    with open(path + ".bin", "wb") as f:
        f.write(data)


def many(path, n, kb):
    rng = random.Random(13)
    with open(path, "wb") as f:
        for i in range(n):
            m = msg(1000 + i, "Message %d of %d" % (i, n))
            m.set_content(("Line of text %d. " % i) * 8 + "\n")
            m.add_attachment(pseudo(rng, kb * 700), maintype="application",
                             subtype="octet-stream", filename="a%d.bin" % i)
            f.write(b"From ann@example.com Mon Jan  1 00:00:00 2024\n")
            f.write(m.as_bytes().replace(b"\nFrom ", b"\n>From "))
            f.write(b"\n")


def main(argv):
    if len(argv) == 3 and argv[1] == "trees":
        trees(argv[2])
    elif len(argv) == 3 and argv[1] == "gmail":
        gmail(argv[2])
    elif len(argv) == 4 and argv[1] == "big":
        big(argv[2], int(argv[3]))
    elif len(argv) == 5 and argv[1] == "many":
        many(argv[2], int(argv[3]), int(argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
