#!/usr/bin/env python3
"""RandAugment fixtures for swift-fer, made with timm's own operation functions.

Run by hand from the repository root (never by the tests):

    python3 tools/make_augment_fixtures.py            # writes Tests/FERTests/Fixtures/augment/
    python3 tools/make_augment_fixtures.py --out DIR  # writes somewhere else

Needs: pip install timm pillow numpy  (made with timm 1.0.x and Pillow 13).

The reference recipe is timm's create_transform(112, is_training=True,
auto_augment='rand-m9-mstd0.5-inc1', interpolation='bicubic', mean=0.5, std=0.5): its geometric
operations resample with BICUBIC and fill with img_mean = round(255 * 0.5) = (128, 128, 128).

Two small deterministic RGB images are written (small.png 12x10, geo.png 32x24). Every operation
of timm's increasing set (_RAND_INCREASING_TRANSFORMS) is applied to both with timm's functions
at magnitude 9 with NO magnitude noise: once with the "+" sign (the level function's random
negation forced off) and, for the operations whose argument has a sign, once more with "-".
Each output is saved as PNG (8-bit RGB): <image>_<Op>_pos.png / <image>_<Op>_neg.png.

augment.json records the fill, the resampling, and for every output the operation, the sign,
the PIL-level argument handed to timm's function (degrees, bits, threshold, add, factor, shear
factor or translate fraction; null for none) and the file names. It also records a table of
timm's magnitude -> argument mapping ("mapping") at several magnitudes, both signs, including
magnitudes that fall on truncation edges.
"""
import argparse
import json
import os

import numpy as np
from PIL import Image

import timm
import timm.data.auto_augment as aa

OPS = list(aa._RAND_INCREASING_TRANSFORMS)
SIGNED = {
    'Rotate', 'ColorIncreasing', 'ContrastIncreasing', 'BrightnessIncreasing',
    'SharpnessIncreasing', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel',
}
FILL = (128, 128, 128)
RESAMPLE = Image.Resampling.BICUBIC
MAGNITUDE = 9


def make_images():
    """Deterministic test images with varied content (gradients, stripes, flat patches, edges)."""
    # 12x10: channels span different partial ranges so AutoContrast and Equalize do real work.
    w, h = 12, 10
    small = np.zeros((h, w, 3), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            r = 30 + 15 * x + 3 * y                     # 30..228
            g = 60 + 12 * y + (17 * x * y) % 40         # 60..~207
            b = 90 if (x // 3 + y // 2) % 2 == 0 else 170 - 4 * x  # two-level checker + ramp
            small[y, x] = (min(r, 255), min(g, 255), b)
    small[4, 5] = (250, 5, 128)                          # an outlier pixel
    small[7, 2] = (0, 255, 40)

    # 32x24: a smooth field with a bright disc and a dark bar, for the geometric operations.
    w, h = 32, 24
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 40 + 5.5 * xx + 40 * np.sin(yy / 3.0)
    g = 200 - 6 * yy + 25 * np.cos(xx / 4.0)
    b = 120 + 80 * np.sin((xx + yy) / 5.0)
    disc = (xx - 20) ** 2 + (yy - 9) ** 2 < 30
    r[disc], g[disc], b[disc] = 250, 240, 30
    bar = (xx >= 5) & (xx < 9) & (yy >= 12) & (yy < 22)
    r[bar], g[bar], b[bar] = 10, 20, 60
    geo = np.clip(np.stack([r, g, b], -1).round(), 0, 255).astype(np.uint8)
    return {'small': small, 'geo': geo}


def level_args(name, magnitude, negate):
    """timm's level function for `name` with its random negation forced to `negate`."""
    level_fn = aa.LEVEL_TO_ARG[name]
    if level_fn is None:
        return ()
    saved = aa._randomly_negate
    aa._randomly_negate = (lambda v: -v) if negate else (lambda v: v)
    try:
        hparams = dict(translate_const=int(112 * 0.45), img_mean=FILL, interpolation=RESAMPLE)
        return level_fn(magnitude, hparams)
    finally:
        aa._randomly_negate = saved


def apply_op(name, img, args):
    fn = aa.NAME_TO_OP[name]
    return fn(img, *args, fillcolor=FILL, resample=RESAMPLE)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join('Tests', 'FERTests', 'Fixtures', 'augment'))
    opts = parser.parse_args()
    os.makedirs(opts.out, exist_ok=True)

    record = {
        'timm': timm.__version__,
        'pillow': Image.__version__,
        'fill': list(FILL),
        'resample': 'bicubic',
        'magnitude': MAGNITUDE,
        'images': {},
        'outputs': [],
        'mapping': [],
    }
    for key, arr in make_images().items():
        fname = f'{key}.png'
        Image.fromarray(arr, 'RGB').save(os.path.join(opts.out, fname), optimize=True)
        record['images'][key] = {'file': fname, 'width': arr.shape[1], 'height': arr.shape[0]}
        img = Image.open(os.path.join(opts.out, fname)).convert('RGB')
        for name in OPS:
            for negate in ([False, True] if name in SIGNED else [False]):
                args = level_args(name, MAGNITUDE, negate)
                out = apply_op(name, img, args)
                assert out.mode == 'RGB' and out.size == img.size
                oname = f'{key}_{name}_{"neg" if negate else "pos"}.png'
                out.save(os.path.join(opts.out, oname), optimize=True)
                record['outputs'].append({
                    'image': key, 'op': name, 'sign': '-' if negate else '+',
                    'argument': float(args[0]) if args else None,
                    'file': oname,
                })

    for name in OPS:
        for m in [0.0, 0.5, 2.5, 5.0, 7.5, 8.3, 9.0, 9.37, 9.99, 10.0]:
            for negate in ([False, True] if name in SIGNED else [False]):
                args = level_args(name, m, negate)
                record['mapping'].append({
                    'op': name, 'magnitude': m, 'sign': '-' if negate else '+',
                    'argument': float(args[0]) if args else None,
                })

    with open(os.path.join(opts.out, 'augment.json'), 'w') as f:
        json.dump(record, f, indent=1)
    total = sum(os.path.getsize(os.path.join(opts.out, n)) for n in os.listdir(opts.out))
    print(f'wrote {len(record["outputs"])} outputs to {opts.out} ({total} bytes)')


if __name__ == '__main__':
    main()
