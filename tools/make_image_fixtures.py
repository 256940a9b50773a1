#!/usr/bin/env python3
"""Writes the image decoding and resizing fixtures to Tests/FERTests/Fixtures/images/.

Run from the repository root:  python3 tools/make_image_fixtures.py
Needs numpy and Pillow. Everything is seeded, so a rerun with the same Pillow gives the same files.

Decode fixtures (expected pixels are what the PyTorch pipeline sees, PIL's `Image.open(f).convert("RGB")`,
stored in expected.json as flat RGB lists with a per-file tolerance):
  rgb.png, gray.png, gray_alpha.png, rgba.png (alpha 0..255 varied), palette.png (with tRNS),
  gamma.png (8-bit RGB with a gAMA 1.0 chunk, which PIL ignores),
  rgb16.png, rgb16_gamma.png (16-bit RGB, the second with gAMA 1/2.2), rgba16.png, gray_alpha16.png, gray16.png,
  rgb.jpg, gray.jpg (quality 95).
Most PNG pixel values also follow formulas repeated in ImageCodecTests.swift, so those tests do not
depend on this JSON alone. The 16-bit files are written by hand (PIL cannot write 16-bit RGB) and
their raw 16-bit samples are stored in expected.json ("samples16").
Tolerances: 0 everywhere except rgba16.png / gray_alpha16.png (1: libpng rounds v/257 where PIL keeps
v >> 8) and the JPEGs (1: libjpeg-turbo versions may round an IDCT/upsampling sample differently).
gray16.png: PIL opens it as "I;16" and clips every value > 255 to 255 on convert("RGB"); the decoder
keeps the high byte instead (deliberately), so its expectation is v >> 8, not PIL's output.

Bad inputs: truncated.png, truncated.jpg (cut in the middle of the image data), corrupt.png (IHDR CRC
broken), not_image.txt, empty.png (0 bytes), huge.png and huge.jpg (9000x10, over the 8192 limit),
cmyk.jpg (CMYK, unsupported).

Resize fixtures: resize_in_WxH.png inputs (seeded noise with many 0/255 samples so bicubic overshoot is
clamped) and resize_WxH_to_OWxOH_{bilinear,bicubic}.png outputs of PIL's
`Image.resize((OW, OH), Image.BILINEAR / Image.BICUBIC)`.
"""
import io
import json
import os
import struct
import zlib

import numpy as np
import PIL
from PIL import Image, PngImagePlugin

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "FERTests", "Fixtures", "images")
os.makedirs(OUT, exist_ok=True)
expected = {"_pil_version": PIL.__version__}


def path(name):
    return os.path.join(OUT, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


def record(name, tolerance=0, pixels=None, **extra):
    """Store PIL's RGB decode of `name` (or `pixels` when given) as the expectation."""
    if pixels is None:
        pixels = np.asarray(Image.open(path(name)).convert("RGB"))
    h, w = pixels.shape[:2]
    expected[name] = dict(width=w, height=h, tolerance=tolerance, pixels=pixels.reshape(-1).tolist(), **extra)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png16(samples, color_type, extra_chunks=b""):
    """A 16-bit PNG (filter 0 on every row) of an HxWxC uint16 array."""
    h, w = samples.shape[:2]
    raw = b"".join(b"\x00" + samples[y].astype(">u2").tobytes() for y in range(h))
    header = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra_chunks
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# --- 8-bit PNGs whose pixels follow formulas (mirrored in ImageCodecTests.swift) ---
W, H = 5, 4
ys, xs = np.mgrid[0:H, 0:W]
rgb = np.stack([40 * xs + 7, 60 * ys + 3, (xs * ys * 37 + 11) % 256], axis=-1).astype(np.uint8)
gray = ((xs * 50 + ys * 13) % 256).astype(np.uint8)
alpha = ((xs * 60 + ys * 5) % 256).astype(np.uint8)  # 0 at (0, 0), 255 at (4, 3)

Image.fromarray(rgb, "RGB").save(path("rgb.png"))
record("rgb.png")
Image.fromarray(gray, "L").save(path("gray.png"))
record("gray.png")
Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(path("rgba.png"))
record("rgba.png")
Image.fromarray(np.dstack([gray, alpha]), "LA").save(path("gray_alpha.png"))
record("gray_alpha.png")
info = PngImagePlugin.PngInfo()
info.add(b"gAMA", struct.pack(">I", 100000))  # gamma 1.0: libpng would convert, PIL ignores it
Image.fromarray(rgb, "RGB").save(path("gamma.png"), pnginfo=info)
record("gamma.png")

palette_colors = [(200, 10, 30), (0, 128, 255), (255, 255, 0), (17, 34, 51)]
pal = Image.fromarray(((xs + ys) % 4).astype(np.uint8), "P")
pal.putpalette([c for rgb_ in palette_colors for c in rgb_])
pal.save(path("palette.png"), transparency=0)  # index 0 fully transparent: colour must survive
record("palette.png")

# --- 16-bit PNGs (hand-written) ---
values = np.array([0, 255, 256, 0x01FF, 0x7FFF, 0x8000, 0x80FF, 0xFF00, 0xFFFF, 12345, 54321, 1000,
                   0x1280, 0xABCD, 0x00FF, 0xFEFF, 40000, 3, 65000, 0x4321], dtype=np.uint16)
rgb16 = values[:12].reshape(2, 2, 3)
write("rgb16.png", png16(rgb16, 2))
record("rgb16.png", samples16=rgb16.reshape(-1).tolist())
write("rgb16_gamma.png", png16(rgb16, 2, chunk(b"gAMA", struct.pack(">I", 45455))))
record("rgb16_gamma.png", samples16=rgb16.reshape(-1).tolist())
rgba16 = np.dstack([values[:12].reshape(2, 2, 3), np.array([[0, 1000], [40000, 65535]], dtype=np.uint16)])
write("rgba16.png", png16(rgba16, 6))
record("rgba16.png", tolerance=1, samples16=rgba16.reshape(-1).tolist())
ga16 = np.dstack([values[:8].reshape(2, 4), values[8:16].reshape(2, 4)])
write("gray_alpha16.png", png16(ga16, 4))
record("gray_alpha16.png", tolerance=1, samples16=ga16.reshape(-1).tolist())
gray16 = values.reshape(4, 5, 1)
write("gray16.png", png16(gray16, 0))
g8 = (gray16[..., 0] >> 8).astype(np.uint8)
record("gray16.png", pixels=np.dstack([g8, g8, g8]), samples16=gray16.reshape(-1).tolist(),
       note="PIL clips I;16 to 255 on convert('RGB'); expected is the high byte")

# --- JPEGs: smooth pattern plus noise, odd sizes so edge blocks and chroma upsampling are exercised ---
rng = np.random.default_rng(4)
jy, jx = np.mgrid[0:13, 0:19]
base = np.stack([jx * 13, jy * 19, (jx + jy) * 7], axis=-1) + rng.integers(-25, 26, (13, 19, 3))
jpg_rgb = np.clip(base, 0, 255).astype(np.uint8)
Image.fromarray(jpg_rgb, "RGB").save(path("rgb.jpg"), quality=95)
record("rgb.jpg", tolerance=1)
Image.fromarray(jpg_rgb[..., 0], "L").save(path("gray.jpg"), quality=95)
record("gray.jpg", tolerance=1)

# --- Bad inputs ---
noise = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
buf = io.BytesIO()
Image.fromarray(noise, "RGB").save(buf, "PNG")
write("truncated.png", buf.getvalue()[: len(buf.getvalue()) // 2])
buf = io.BytesIO()
Image.fromarray(noise, "RGB").save(buf, "JPEG", quality=90)
write("truncated.jpg", buf.getvalue()[: len(buf.getvalue()) // 2])
good = bytearray(open(path("rgb.png"), "rb").read())
good[16 + 3] ^= 0x01  # width's low byte inside IHDR: the chunk's CRC no longer matches
write("corrupt.png", bytes(good))
write("not_image.txt", b"hello, this is a text file and not an image\n")
write("empty.png", b"")
Image.new("L", (9000, 10), 128).save(path("huge.png"))
Image.new("L", (9000, 10), 128).save(path("huge.jpg"), quality=50)
Image.new("CMYK", (8, 8), (10, 20, 30, 40)).save(path("cmyk.jpg"), quality=90)

# --- Resize: inputs and PIL outputs ---
def noise_image(w, h, seed):
    r = np.random.default_rng(seed)
    img = r.integers(0, 256, (h, w, 3))
    extremes = r.random((h, w, 3))
    img[extremes < 0.15] = 0
    img[extremes > 0.85] = 255
    return Image.fromarray(img.astype(np.uint8), "RGB")


cases = [((37, 29), (112, 112), 1), ((150, 130), (112, 112), 2), ((20, 17), (112, 112), 3), ((37, 29), (80, 20), 1)]
resize_cases = []
for (w, h), (ow, oh), seed in cases:
    src_name = f"resize_in_{w}x{h}.png"
    src = noise_image(w, h, seed)
    src.save(path(src_name), optimize=True)
    for label, flt in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)):
        out_name = f"resize_{w}x{h}_to_{ow}x{oh}_{label}.png"
        src.resize((ow, oh), flt).save(path(out_name), optimize=True)
        resize_cases.append(dict(input=src_name, output=out_name, width=ow, height=oh, filter=label))
expected["_resize_cases"] = resize_cases

with open(path("expected.json"), "w") as f:
    json.dump(expected, f, separators=(",", ":"))
total = sum(os.path.getsize(path(n)) for n in os.listdir(OUT))
print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {os.path.normpath(OUT)}")
