"""PNG checks for test_tiles.sh and test_jobs.sh, with the standard library
only (zlib): read the 8-bit RGB/RGBA non-interlaced PNGs Cairo and dline
write, stitch tiles, compare pixels, write a PNG. Run as a script:

  tiles_png.py size FILE...              print "W H" of each PNG (from IHDR)
  tiles_png.py stitch OUT COLS ROWS FILE...  row-major mosaic of equal tiles
  tiles_png.py diff A B TOL              pixels where a channel differs by more
                                         than TOL: prints "N differ of M"
  tiles_png.py ink FILE X0 Y0 X1 Y1 RGB TOL  pixels within TOL of colour RGB
                                         (e.g. 1f2a36) in the box
"""
import struct
import sys
import zlib


def size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(path + ": not a PNG")
    return struct.unpack(">II", head[16:24])


def read(path):
    """(width, height, rows): rows of RGBA bytes."""
    with open(path, "rb") as f:
        return decode(f.read(), path)


def decode(data, path="PNG"):
    """(width, height, rows) of PNG bytes: rows of RGBA bytes (filters 0-4
    undone; RGB gets an opaque alpha). Also used by tests/python."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(path + ": not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(path + ": not 8-bit RGB(A), or interlaced")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
            elif ftype != 0:
                raise ValueError("%s: bad filter type %d in row %d" % (path, ftype, y))
        prev = line
        if bpp == 3:
            rgba = bytearray(w * 4)
            rgba[0::4], rgba[1::4], rgba[2::4] = line[0::3], line[1::3], line[2::3]
            rgba[3::4] = b"\xff" * w
            line = rgba
        rows.append(bytes(line))
    return w, h, rows


def write(path, w, h, rows):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    raw = b"".join(b"\x00" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def stitch(out, cols, nrows, files):
    tiles = [read(p) for p in files]
    tw, th = tiles[0][0], tiles[0][1]
    rows = []
    for r in range(nrows):
        for y in range(th):
            rows.append(b"".join(tiles[r * cols + c][2][y] for c in range(cols)))
    write(out, tw * cols, th * nrows, rows)


def diff(a, b, tol):
    wa, ha, ra = read(a)
    wb, hb, rb = read(b)
    if (wa, ha) != (wb, hb):
        raise ValueError("sizes differ: %dx%d and %dx%d" % (wa, ha, wb, hb))
    bad = 0
    for y in range(ha):
        if ra[y] == rb[y]:
            continue
        for x in range(wa):
            pa, pb = ra[y][4 * x:4 * x + 4], rb[y][4 * x:4 * x + 4]
            if any(abs(pa[i] - pb[i]) > tol for i in range(4)):
                bad += 1
    return bad, wa * ha


def ink(path, x0, y0, x1, y1, rgb, tol):
    w, h, rows = read(path)
    want = bytes.fromhex(rgb)
    n = 0
    for y in range(y0, y1):
        for x in range(x0, x1):
            p = rows[y][4 * x:4 * x + 3]
            if all(abs(p[i] - want[i]) <= tol for i in range(3)):
                n += 1
    return n


def main(argv):
    cmd = argv[1]
    if cmd == "size":
        for p in argv[2:]:
            print("%d %d" % size(p))
    elif cmd == "stitch":
        stitch(argv[2], int(argv[3]), int(argv[4]), argv[5:])
    elif cmd == "diff":
        bad, total = diff(argv[2], argv[3], int(argv[4]))
        print("%d differ of %d" % (bad, total))
    elif cmd == "ink":
        x0, y0, x1, y1 = (int(v) for v in argv[3:7])
        print(ink(argv[2], x0, y0, x1, y1, argv[7], int(argv[8])))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
