#!/usr/bin/python3
"""Generates the hostile-media corpus (issue 6) from ../shared/data/media into OUTDIR.

    /usr/bin/python3 scripts/hostile_media.py OUTDIR [--shared DIR]

Deterministic (fixed seeds); nothing is written into the project tree unless OUTDIR is
there (use build/ or a temporary folder). Writes OUTDIR/INDEX.tsv: name, kind, note.

Kinds:
  trunc     every sample cut at 10 points (1%, 10%, 20%, ... 90% of its bytes)
  flip      every sample with 8 random bytes changed (3 variants each), header kept
  giant     a GIF whose screen and frame claim 65535x65535
  frames    a GIF of 100,000 1x1 frames
  bomb      a 20000x20000 PNG (1.2 GB of pixels) whose file is ~1.2 MB: a tiny file that
            decompresses to gigapixels; and a 100000x100000 PNG header over a cut IDAT
  mp4index  the samples' MP4s with the sample-table atoms (stco, stsz, stts, stsc)
            overwritten, and with the moov atom's size made wrong
  iccp      a PNG with a 32 MB iCCP chunk (a compressed profile of zeros) before a 2x2 image
  ext       samples under the wrong extension (a JPEG as .gif, a GIF as .mp4, ...)
  empty     zero bytes; and a directory named like a picture (dir.jpg/)
"""
import os
import random
import struct
import sys
import zlib


def png_chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)


def png(width, height, idat, extra=b''):
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)   # 8-bit RGB
    return (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', ihdr) + extra + png_chunk(b'IDAT', idat)
            + png_chunk(b'IEND', b''))


def zeros_deflated(n, chunk=1 << 20):
    """zlib stream of n zero bytes, built without holding n bytes."""
    z = zlib.compressobj(9)
    out, block = [], bytes(chunk)
    while n > 0:
        out.append(z.compress(block[:min(n, chunk)]))
        n -= chunk
    out.append(z.flush())
    return b''.join(out)


def gif_header(w, h):
    # GIF89a, global colour table of 2 entries
    return b'GIF89a' + struct.pack('<HHBBB', w, h, 0x80, 0, 0) + b'\x00\x00\x00\xff\xff\xff'


def gif_frame(x, y, w, h, lzw=b'\x02\x02\x44\x01\x00'):
    # graphic control extension (delay 1), image descriptor, a minimal LZW stream
    gce = b'\x21\xf9\x04\x00\x01\x00\x00\x00'
    return gce + b'\x2c' + struct.pack('<HHHHB', x, y, w, h, 0) + lzw


def mp4_atoms(data):
    """(offset, size, type) of every atom, walking into the containers."""
    out, stack = [], [(0, len(data))]
    containers = {b'moov', b'trak', b'mdia', b'minf', b'stbl', b'edts', b'dinf'}
    while stack:
        off, end = stack.pop()
        while off + 8 <= end:
            size, kind = struct.unpack('>I4s', data[off:off + 8])
            if size < 8 or off + size > end:
                break
            out.append((off, size, kind))
            if kind in containers:
                stack.append((off + 8, off + size))
            off += size
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    shared = sys.argv[sys.argv.index('--shared') + 1] if '--shared' in sys.argv else \
        os.environ.get('CELEB_SHARED', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared'))
    media = os.path.join(shared, 'data', 'media')
    os.makedirs(outdir, exist_ok=True)
    index = []

    def put(name, data, kind, note):
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(data)
        index.append((name, kind, note))

    samples = sorted(f for f in os.listdir(media) if os.path.isfile(os.path.join(media, f)))
    rng = random.Random(6)
    for s in samples:
        data = open(os.path.join(media, s), 'rb').read()
        base, ext = os.path.splitext(s)
        for pct in (1, 10, 20, 30, 40, 50, 60, 70, 80, 90):
            put('trunc-%02d-%s' % (pct, s), data[:len(data) * pct // 100], 'trunc', '%s cut at %d%%' % (s, pct))
        for v in range(3):
            b = bytearray(data)
            for _ in range(8):
                i = rng.randrange(min(16, len(b) - 1), len(b))
                b[i] ^= 1 << rng.randrange(8)
            put('flip-%d-%s' % (v, s), bytes(b), 'flip', '%s with 8 bit flips' % s)
        if ext == '.mp4':
            atoms = mp4_atoms(data)
            for kind in (b'stco', b'stsz', b'stts', b'stsc'):
                b = bytearray(data)
                for off, size, k in atoms:
                    if k == kind:
                        body = off + 16   # past size, type, version+flags, entry count
                        for i in range(body, min(off + size, body + 4096)):
                            b[i] = 0xff
                put('mp4index-%s-%s' % (kind.decode(), s), bytes(b), 'mp4index', '%s with %s overwritten' % (s, kind.decode()))
            b = bytearray(data)
            for off, size, k in atoms:
                if k == b'moov':
                    b[off:off + 4] = struct.pack('>I', 0x7fffffff)
            put('mp4index-moovsize-%s' % s, bytes(b), 'mp4index', '%s with a moov size past the end' % s)

    # wrong extensions
    by_ext = {os.path.splitext(s)[1]: s for s in samples}
    for src, fake in (('.jpg', '.gif'), ('.gif', '.mp4'), ('.png', '.jpg'), ('.mp4', '.png'), ('.webm', '.jpg')):
        if src in by_ext:
            s = by_ext[src]
            put('ext-%s%s' % (os.path.splitext(s)[0], fake), open(os.path.join(media, s), 'rb').read(), 'ext',
                '%s named %s' % (s, fake))

    # giant GIF, 100,000 frames of 1x1
    put('giant-65535.gif', gif_header(65535, 65535) + gif_frame(0, 0, 65535, 65535) + b'\x3b', 'giant',
        'GIF screen and frame 65535x65535')
    put('frames-100000.gif', gif_header(1, 1) + gif_frame(0, 0, 1, 1) * 100000 + b'\x3b', 'frames',
        'GIF of 100,000 1x1 frames')

    # decompression bombs
    w = h = 20000
    raw_rows = zeros_deflated((w * 3 + 1) * h)
    put('bomb-20000x20000.png', png(w, h, raw_rows), 'bomb', 'PNG 20000x20000 (1.2 GB of pixels) in %d bytes' % len(raw_rows))
    put('bomb-100000x100000.png', png(100000, 100000, zeros_deflated(1 << 20)), 'bomb',
        'PNG header 100000x100000 over 1 MB of zeros')

    # huge iCCP chunk
    prof = zeros_deflated(32 << 20)
    iccp = png_chunk(b'iCCP', b'huge\x00\x00' + prof)
    put('iccp-32mb.png', png(2, 2, zlib.compress(b'\x00' + bytes(6) + b'\x00' + bytes(6)), iccp), 'iccp',
        'PNG 2x2 with a 32 MB iCCP profile (%d bytes compressed)' % len(prof))

    # empty file, directory with a picture's name
    put('empty.gif', b'', 'empty', 'zero bytes')
    os.makedirs(os.path.join(outdir, 'dir.jpg'), exist_ok=True)
    index.append(('dir.jpg', 'empty', 'a directory named like a picture'))

    with open(os.path.join(outdir, 'INDEX.tsv'), 'w') as f:
        f.write('name\tkind\tnote\n')
        for row in index:
            f.write('\t'.join(row) + '\n')
    print('hostile_media: %d items in %s' % (len(index), outdir))


if __name__ == '__main__':
    main()
