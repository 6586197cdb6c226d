#!/usr/bin/python3
"""media_helper.py - test-data generator and independent decoder for tests/test_media.c.

Run with Debian's /usr/bin/python3 (python3-pil). Commands:
  pil_frame FILE N   write "W H\\n" then frame N of FILE as raw RGB (PIL: seek(N), convert('RGB'))
  pngs DIR           write PNG variants DIR/<name>.png plus the expected RGB DIR/<name>.rgb, computed
                     here with pngjs's rules (grey -> R=G=B, alpha dropped, 16 bit -> round(v*255/65535));
                     prints "<name> W H" per file. Encoded by hand (zlib), not by PIL.
  webp DIR           write DIR/anim.webp (3 lossless frames, 100/200/300 ms) and DIR/still.webp
                     (lossless) with PIL, plus the source frames DIR/anim_<i>.rgb and DIR/still.rgb
  gif_disposal DIR   write DIR/disposal.gif (PIL): transparency, disposal 1/2/3, sub-rectangles
  faststart IN OUT   rewrite an MP4 with its moov box before mdat (chunk offsets patched), so that
                     truncating it cuts into the media data rather than the index
Nothing is written outside the given paths.
"""
import os
import random
import struct
import sys
import zlib


def pil_frame(path, n):
    from PIL import Image
    im = Image.open(path)
    im.seek(n)
    rgb = im.convert('RGB')
    out = sys.stdout.buffer
    out.write(b'%d %d\n' % rgb.size)
    out.write(rgb.tobytes())
    out.flush()


# ---- PNG ---------------------------------------------------------------------

def chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)


def pack_row(samples, depth):
    """samples: list of ints (one per channel value) -> bytes, big-endian, MSB first."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b''.join(struct.pack('>H', s) for s in samples)
    out, acc, nbits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def make_png(w, h, color_type, depth, pixels, palette=None, trns=None, interlace=False):
    """pixels[y][x] = tuple of channel samples."""
    raw = bytearray()
    if not interlace:
        for y in range(h):
            raw += b'\0' + pack_row([s for px in pixels[y] for s in px], depth)
    else:
        for x0, y0, dx, dy in ADAM7:
            xs = list(range(x0, w, dx))
            if not xs:
                continue
            for y in range(y0, h, dy):
                raw += b'\0' + pack_row([s for x in xs for s in pixels[y][x]], depth)
    ihdr = struct.pack('>IIBBBBB', w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    data = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr)
    if palette is not None:
        data += chunk(b'PLTE', bytes(c for rgb in palette for c in rgb))
    if trns is not None:
        data += chunk(b'tRNS', trns)
    data += chunk(b'IDAT', zlib.compress(bytes(raw), 9)) + chunk(b'IEND', b'')
    return data


def to8(v, depth):
    return (v * 255 + (2 ** depth - 1) // 2) // (2 ** depth - 1) if depth != 8 else v


def pngs(outdir):
    rnd = random.Random(1234)
    cases = []
    w, h = 13, 7
    for depth in (1, 2, 4, 8, 16):  # grey
        px = [[(rnd.randrange(2 ** depth),) for _ in range(w)] for _ in range(h)]
        exp = [[(to8(p[0], depth),) * 3 for p in row] for row in px]
        cases.append(('grey%d' % depth, w, h, 0, depth, px, None, None, exp))
    for depth in (8, 16):
        px = [[tuple(rnd.randrange(2 ** depth) for _ in range(3)) for _ in range(w)] for _ in range(h)]
        exp = [[tuple(to8(c, depth) for c in p) for p in row] for row in px]
        cases.append(('rgb%d' % depth, w, h, 2, depth, px, None, None, exp))
        px = [[tuple(rnd.randrange(2 ** depth) for _ in range(4)) for _ in range(w)] for _ in range(h)]
        exp = [[tuple(to8(c, depth) for c in p[:3]) for p in row] for row in px]
        cases.append(('rgba%d' % depth, w, h, 6, depth, px, None, None, exp))
        px = [[tuple(rnd.randrange(2 ** depth) for _ in range(2)) for _ in range(w)] for _ in range(h)]
        exp = [[(to8(p[0], depth),) * 3 for p in row] for row in px]
        cases.append(('greyalpha%d' % depth, w, h, 4, depth, px, None, None, exp))
    for depth in (1, 2, 4, 8):  # palette, with a tRNS chunk (alpha is dropped, RGB kept)
        pal = [tuple(rnd.randrange(256) for _ in range(3)) for _ in range(2 ** depth)]
        px = [[(rnd.randrange(2 ** depth),) for _ in range(w)] for _ in range(h)]
        exp = [[pal[p[0]] for p in row] for row in px]
        trns = bytes(rnd.randrange(256) for _ in range(len(pal) // 2 or 1))
        cases.append(('palette%d' % depth, w, h, 3, depth, px, pal, trns, exp))
    px = [[tuple(rnd.randrange(256) for _ in range(3)) for _ in range(w)] for _ in range(h)]
    cases.append(('interlaced', w, h, 2, 8, px, None, 'adam7', px))
    cases.append(('onebyone', 1, 1, 2, 8, [[(10, 20, 30)]], None, None, [[(10, 20, 30)]]))
    for name, cw, ch, ct, depth, px, pal, extra, exp in cases:
        interlace = extra == 'adam7'
        trns = extra if isinstance(extra, bytes) else None
        with open(os.path.join(outdir, name + '.png'), 'wb') as f:
            f.write(make_png(cw, ch, ct, depth, px, pal, trns, interlace))
        with open(os.path.join(outdir, name + '.rgb'), 'wb') as f:
            f.write(bytes(c for row in exp for p in row for c in p))
        print(name, cw, ch)


# ---- WebP / GIF (PIL) ---------------------------------------------------------

def webp(outdir):
    from PIL import Image
    w, h = 64, 48
    frames = []
    for i in range(3):
        im = Image.new('RGB', (w, h), (40 * i, 200 - 50 * i, 90))
        for y in range(h):
            for x in range(w):
                if (x // 8 + y // 8 + i) % 3 == 0:
                    im.putpixel((x, y), ((x * 4) & 255, (y * 5) & 255, (60 * i) & 255))
        frames.append(im)
        with open(os.path.join(outdir, 'anim_%d.rgb' % i), 'wb') as f:
            f.write(im.tobytes())
    frames[0].save(os.path.join(outdir, 'anim.webp'), save_all=True, append_images=frames[1:],
                   duration=[100, 200, 300], loop=0, lossless=True)
    frames[1].save(os.path.join(outdir, 'still.webp'), lossless=True)
    with open(os.path.join(outdir, 'still.rgb'), 'wb') as f:
        f.write(frames[1].tobytes())


def gif_disposal(outdir):
    from PIL import Image
    w, h = 40, 30
    # Index 6 is transparent: where a later frame has it, the previous canvas shows through.
    # The RGB of a pixel left fully transparent (area restored to background by disposal 2, not
    # covered since) is not defined: FFmpeg writes white, PIL the transparent entry's RGB. The
    # entry is white here so that both agree and the test checks the geometry of the disposal.
    pal = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 0, 200, 200, 200, 255, 255, 255]
    pal += [0] * (256 * 3 - len(pal))
    frames = []
    for i in range(5):
        im = Image.new('P', (w, h), 5 if i == 0 else 6)
        im.putpalette(pal)
        for y in range(5 + 3 * i, 15 + 3 * i):
            for x in range(4 + 6 * i, 16 + 6 * i):
                im.putpixel((x, y), 1 + i % 4)
        frames.append(im)
    frames[0].save(os.path.join(outdir, 'disposal.gif'), save_all=True, append_images=frames[1:],
                   duration=[50, 80, 120, 200, 60], disposal=[1, 1, 2, 1, 3], transparency=6,
                   loop=0, optimize=False)


# ---- MP4 faststart -------------------------------------------------------------

CONTAINERS = {b'moov', b'trak', b'mdia', b'minf', b'stbl', b'edts', b'dinf', b'udta', b'mvex'}


def boxes(data, start, end):
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack('>I4s', data[i:i + 8])
        hdr = 8
        if size == 1:
            size = struct.unpack('>Q', data[i + 8:i + 16])[0]
            hdr = 16
        elif size == 0:
            size = end - i
        if size < hdr:
            break
        yield kind, i, hdr, size
        i += size


def patch_offsets(moov, start, end, delta):
    for kind, pos, hdr, size in boxes(moov, start, end):
        if kind in CONTAINERS:
            patch_offsets(moov, pos + hdr, pos + size, delta)
        elif kind in (b'stco', b'co64'):
            n = struct.unpack('>I', moov[pos + hdr + 4:pos + hdr + 8])[0]
            fmt, width = ('>I', 4) if kind == b'stco' else ('>Q', 8)
            for k in range(n):
                p = pos + hdr + 8 + k * width
                moov[p:p + width] = struct.pack(fmt, struct.unpack(fmt, moov[p:p + width])[0] + delta)


def faststart(src, dst):
    data = open(src, 'rb').read()
    top = list(boxes(data, 0, len(data)))
    moov = [b for b in top if b[0] == b'moov'][0]
    first_mdat = min(b[1] for b in top if b[0] == b'mdat')
    if moov[1] < first_mdat:
        open(dst, 'wb').write(data)
        return
    mbytes = bytearray(data[moov[1]:moov[1] + moov[3]])
    patch_offsets(mbytes, moov[2], len(mbytes), len(mbytes))
    out = bytearray()
    for kind, pos, hdr, size in top:
        if kind == b'mdat' and pos == first_mdat:
            out += mbytes
        if kind != b'moov':
            out += data[pos:pos + size]
    open(dst, 'wb').write(out)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'pil_frame':
        pil_frame(args[0], int(args[1]))
    elif cmd == 'pngs':
        pngs(args[0])
    elif cmd == 'webp':
        webp(args[0])
    elif cmd == 'gif_disposal':
        gif_disposal(args[0])
    elif cmd == 'faststart':
        faststart(args[0], args[1])
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
