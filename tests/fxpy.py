#!/usr/bin/python3
"""fxpy.py: FastTransfer items for the MIME tests, written and read without lib/fx, so
that the tests of mbx-mime do not judge our converter by our own codec.

  fxpy.py frames SPEC.json        frames (mbx-frames(5)) of the items in SPEC on stdout
  fxpy.py attachments FRAMES DIR  each attachment's data of each item as DIR/N/NAME,
                                  and "N NAME SIZE MIMETAG" lines on stdout
  fxpy.py lzfu FILE               FILE compressed as LZFu (MS-OXRTFCP 2.1.3.1) on stdout
  fxpy.py texts FRAMES            {"id", "subject", "body"} of each item (PidTagSubject,
                                  PidTagBody as UTF-8) as JSON lines

SPEC is a JSON list of items: {"header": {...record members...}, "msg": MSG}; MSG is
{"props": [PROP...], "recipients": [[PROP...]...], "attachments": [ATT...]} and ATT is
{"props": [PROP...], "embedded": MSG}. A PROP is [TAG, TYPE, VALUE] with TAG "0x0037"
(or [SET, LID or NAME] for a named property) and TYPE one of
  str (0x84B0, UTF-16 as Exchange exports write it)  str1f (0x001F)  str8 (0x001E cp1252)
  int (0x0003)  bool (0x000B)  i64 (0x0014)  time (0x0040, ISO 8601 UTC)  mvstr (0x101F)
  bin (0x0102): VALUE {"text": s} | {"hex": h} | {"file": path} | {"pattern": n}
                | {"cp": codec, "text": s} | {"lzfu": rtf} | {"mela": rtf} | {"raw": latin1}
Layout as docs/fasttransfer.md 12: framing, FXDelProps, Rowid and AttachNumber first.
"""
import hashlib
import json
import struct
import sys

PREFIX = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
          b"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
          b"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")
TYPES = {"str": 0x84B0, "str1f": 0x001F, "str8": 0x001E, "int": 0x0003, "bool": 0x000B,
         "i64": 0x0014, "time": 0x0040, "bin": 0x0102, "mvstr": 0x101F}
SETS = {"common": "00062008-0000-0000-C000-000000000046",
        "public": "00020329-0000-0000-C000-000000000046",
        "appointment": "00062002-0000-0000-C000-000000000046",
        "task": "00062003-0000-0000-C000-000000000046",
        "internet": "00020386-0000-0000-C000-000000000046"}


def crc32(data):
    """MS-OXRTFCP 2.1.3.2: reflected 0xEDB88320, initial 0, no final inversion."""
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xEDB88320 if crc & 1 else crc >> 1
    return crc


def lzfu(raw):
    """A greedy LZFu compressor (longest match of 2..17 bytes in the 4096-byte ring)."""
    ring = bytearray(4096)
    ring[:len(PREFIX)] = PREFIX
    pos = len(PREFIX)
    out = bytearray()
    i = 0
    done = False
    while not done:
        ctl_at = len(out)
        out.append(0)
        ctl = 0
        for bit in range(8):
            if i >= len(raw):
                out += struct.pack(">H", pos << 4)       # the end marker
                ctl |= 1 << bit
                done = True
                break
            best, best_off = 0, 0
            for off in range(4096):
                if off == pos:
                    continue
                k = 0
                while k < 17 and i + k < len(raw) and ring[(off + k) % 4096] == raw[i + k] \
                        and (off + k) % 4096 != pos:
                    k += 1
                if k > best:
                    best, best_off = k, off
            if best >= 2:
                out += struct.pack(">H", best_off << 4 | (best - 2))
                ctl |= 1 << bit
                for k in range(best):
                    ring[pos] = ring[(best_off + k) % 4096]
                    pos = (pos + 1) % 4096
                i += best
            else:
                out.append(raw[i])
                ring[pos] = raw[i]
                pos = (pos + 1) % 4096
                i += 1
        out[ctl_at] = ctl
    return struct.pack("<IIII", len(out) + 12, len(raw), 0x75465A4C, crc32(out)) + bytes(out)


def mela(raw):
    return struct.pack("<IIII", len(raw) + 12, len(raw), 0x414C454D, 0) + raw


def guid_wire(g):
    h = g.replace("-", "")
    return struct.pack("<IHH", int(h[0:8], 16), int(h[8:12], 16), int(h[12:16], 16)) + \
        bytes.fromhex(h[16:])


def binary(v):
    if "text" in v and "cp" in v:
        return v["text"].encode(v["cp"])
    if "text" in v:
        return v["text"].encode("utf-8")
    if "hex" in v:
        return bytes.fromhex(v["hex"])
    if "file" in v:
        with open(v["file"], "rb") as f:
            return f.read()
    if "pattern" in v:
        n = v["pattern"]
        block = hashlib.sha256(b"mbx").digest() * 2048             # 64 KiB
        return (block * (n // len(block) + 1))[:n]
    if "lzfu" in v:
        return lzfu(v["lzfu"].encode("latin-1"))
    if "mela" in v:
        return mela(v["mela"].encode("latin-1"))
    if "raw" in v:
        return v["raw"].encode("latin-1")
    raise ValueError("bad binary value %r" % (v,))


def value(t, v):
    if t in ("str", "str1f"):
        return _var(v.encode("utf-16-le") + b"\0\0")
    if t == "str8":
        return _var(v.encode("cp1252") + b"\0")
    if t == "int":
        return struct.pack("<i", v) if v < 2 ** 31 else struct.pack("<I", v)
    if t == "bool":
        return struct.pack("<H", 1 if v else 0)
    if t == "i64":
        return struct.pack("<q", v)
    if t == "time":
        import datetime
        d = datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ")
        secs = (d - datetime.datetime(1970, 1, 1)).total_seconds()
        return struct.pack("<Q", int(secs) * 10000000 + 116444736000000000)
    if t == "bin":
        return _var(binary(v))
    if t == "mvstr":
        return struct.pack("<I", len(v)) + b"".join(_var(s.encode("utf-16-le") + b"\0\0") for s in v)
    raise ValueError("bad type %r" % t)


def _var(b):
    return struct.pack("<I", len(b)) + b


class Named:
    def __init__(self):
        self.ids = {}


def prop(p, named):
    tag, t, v = p
    ty = TYPES[t]
    if isinstance(tag, list):
        key = (tag[0], tag[1])
        if key not in named.ids:
            named.ids[key] = 0x8000 + len(named.ids)
        head = struct.pack("<I", named.ids[key] << 16 | ty) + guid_wire(SETS.get(tag[0], tag[0]))
        if isinstance(tag[1], int):
            head += b"\0" + struct.pack("<I", tag[1])
        else:
            head += b"\1" + tag[1].encode("utf-16-le") + b"\0\0"
        return head + value(t, v)
    return struct.pack("<I", int(tag, 16) << 16 | ty) + value(t, v)


def message(m, named, top=True):
    s = b"".join(prop(p, named) for p in m.get("props", []))
    if top or m.get("recipients"):
        s += struct.pack("<II", 0x40160003, 0x0E12000D) if top else b""
    for i, r in enumerate(m.get("recipients", [])):
        s += struct.pack("<I", 0x40030003) + struct.pack("<Ii", 0x30000003, i)
        s += b"".join(prop(p, named) for p in r) + struct.pack("<I", 0x40040003)
    if top:
        s += struct.pack("<II", 0x40160003, 0x0E13000D)
    for i, a in enumerate(m.get("attachments", [])):
        s += struct.pack("<I", 0x40000003) + struct.pack("<Ii", 0x0E210003, i)
        s += b"".join(prop(p, named) for p in a.get("props", []))
        if "embedded" in a:
            s += struct.pack("<I", 0x40010003) + message(a["embedded"], named, False)
            s += struct.pack("<I", 0x40020003)
        s += struct.pack("<I", 0x400E0003)
    return s


HEADER = bytes.fromhex(
    "0100000008000000" "0000000001000000"                             # Config {0, 1}
    "030000001800000001000000"
    "0703020000000000c000000000000046" "00240080"                     # IsInterfaceOk
    "0400000006000000" "140fd6918617")                                # TellPartnerVersion


def framed(stream):
    b = [HEADER]
    for i in range(0, max(len(stream), 1), 31680):
        chunk = stream[i:i + 31680]
        b += [struct.pack("<II", 2, len(chunk)), chunk]
    return b"".join(b)


def cmd_frames(spec_path):
    with open(spec_path) as f:
        items = json.load(f)
    out = sys.stdout.buffer
    for n, it in enumerate(items):
        payload = framed(message(it["msg"], Named()))
        hdr = {"type": "item", "mailbox": "MBX:test@contoso.com", "id": "item%d" % (n + 1)}
        hdr.update(it.get("header", {}))
        hdr.update({"v": 1, "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()})
        out.write(json.dumps(hdr, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")
        out.write(payload + b"\n")


# ------------------------------------------------------------------ reading

FIXED = {0x0002: 2, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8, 0x000A: 4,
         0x000B: 2, 0x0014: 8, 0x0040: 8, 0x0048: 16}
MARKERS = {0x40000003, 0x40010003, 0x40020003, 0x40030003, 0x40040003, 0x40090003,
           0x400A0003, 0x400B0003, 0x400C0003, 0x400D0003, 0x400E0003, 0x40100003}


def stream_of(blob):
    if blob[:8] != bytes.fromhex("0100000008000000"):
        return blob
    s, i = b"", 0
    while i + 8 <= len(blob):
        op, n = struct.unpack_from("<II", blob, i)
        if op == 2:
            s += blob[i + 8:i + 8 + n]
        i += 8 + n
    return s


def attachments(blob, top=None):
    """The top-level attachments: [props{id: value}], values raw bytes; the message's own
    properties go into top (a dict) when given."""
    s = stream_of(blob)
    i, depth, out, cur, recip = 0, 0, [], None, False
    while i + 4 <= len(s):
        tag = struct.unpack_from("<I", s, i)[0]
        i += 4
        if tag in MARKERS:
            if tag == 0x40000003 and depth == 0:
                cur = {}
                out.append(cur)
            elif tag == 0x40010003:
                depth += 1
            elif tag == 0x40020003:
                depth -= 1
            elif tag == 0x400E0003 and depth == 0:
                cur = None
            elif tag == 0x40030003:
                recip = True
            elif tag == 0x40040003:
                recip = False
            continue
        pid, ty = tag >> 16, tag & 0xFFFF
        if pid >= 0x8000:
            kind = s[i + 16]
            i += 17
            if kind == 0:
                i += 4
            else:
                while s[i:i + 2] != b"\0\0":
                    i += 2
                i += 2
        if tag == 0x40170003 or ty in (0x001E, 0x001F, 0x0102, 0x000D, 0x00FB) or \
                (ty & 0x8000 and ty & 0x9000 != 0x9000):
            n = struct.unpack_from("<I", s, i)[0]
            v = s[i + 4:i + 4 + n]
            i += 4 + n
        elif ty in FIXED:
            v = s[i:i + FIXED[ty]]
            i += FIXED[ty]
        else:                                        # multi-valued
            count = struct.unpack_from("<I", s, i)[0]
            i += 4
            base = ty & 0x0FFF
            if base in FIXED and ty & 0x9000 != 0x9000:
                i += count * FIXED[base]
            else:
                for _ in range(count):
                    i += 4 + struct.unpack_from("<I", s, i)[0]
            v = None
        if cur is not None and depth == 0:
            cur.setdefault(pid, v)
        elif cur is None and depth == 0 and not recip and top is not None:
            top.setdefault(pid, v)
    return out


def text(v):
    if v is None:
        return None
    return v.decode("utf-16-le").rstrip("\0")


def frames(path):
    """(header, payload) of each frame with a payload (the frame form only)."""
    with open(path, "rb") as f:
        data = f.read()
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        hdr = json.loads(data[i:nl])
        i = nl + 1
        if "size" not in hdr:
            continue
        yield hdr, data[i:i + hdr["size"]]
        i += hdr["size"] + 1


def cmd_attachments(frames_path, outdir):
    import os
    for n, (hdr, blob) in enumerate(frames(frames_path), 1):
        for a in attachments(blob):
            if 0x3701 not in a:
                continue
            name = text(a.get(0x3707)) or text(a.get(0x3704)) or "attachment"
            mime = text(a.get(0x370E)) or "-"
            d = os.path.join(outdir, str(n))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, name), "wb") as f:
                f.write(a[0x3701])
            print(n, name, len(a[0x3701]), mime)


def cmd_texts(frames_path):
    for hdr, blob in frames(frames_path):
        top = {}
        attachments(blob, top)
        print(json.dumps({"id": hdr.get("id"), "subject": text(top.get(0x0037)),
                          "body": text(top.get(0x1000))}, ensure_ascii=False))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "frames":
        cmd_frames(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "attachments":
        cmd_attachments(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "texts":
        cmd_texts(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "lzfu":
        with open(sys.argv[2], "rb") as f:
            sys.stdout.buffer.write(lzfu(f.read()))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
