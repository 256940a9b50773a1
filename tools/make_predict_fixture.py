#!/usr/bin/env python3
"""Makes the `fer predict` fixture: two 112x112 PNG faces-sized images and the logits,
probabilities and CAM maps that the PyTorch reference model (the golden swin-micro weights of
make_golden.py) gives for them after the evaluation preprocessing (pixel/255, mean 0.5, std 0.5).

Run after make_golden.py:  python3 tools/make_predict_fixture.py
Writes Tests/FERTests/Fixtures/predict_{a,b}.png and predict_expected.json.
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_golden  # noqa: E402  (the reference model definition)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.normpath(os.path.join(here, "..", "Tests", "FERTests", "Fixtures"))
    torch.set_num_threads(1)
    model = make_golden.MEKModel(make_golden.MICRO)
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(os.path.join(out, "golden_micro_model.safetensors")).items()}
    model.load_state_dict(state, strict=True)
    model.eval()
    rng = np.random.default_rng(11)
    yy, xx = np.mgrid[0:112, 0:112]
    names, batch = [], []
    for i, name in enumerate(["predict_a.png", "predict_b.png"]):
        base = np.stack([(xx * (2 + i)) % 256, (yy * 3 + i * 40) % 256, ((xx + yy) * (1 + i)) % 256], axis=-1)
        pixels = np.clip(base + rng.integers(-30, 30, size=base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(os.path.join(out, name))
        decoded = np.asarray(Image.open(os.path.join(out, name)).convert("RGB"), dtype=np.float32)
        batch.append(torch.from_numpy(((decoded / 255.0 - 0.5) / 0.5).transpose(2, 0, 1).copy()))
        names.append(name)
    with torch.no_grad():
        logits, hm = model(torch.stack(batch))
        probs = torch.softmax(logits, dim=1)
    expected = {"images": names, "logits": logits.tolist(), "probabilities": probs.tolist(), "cam": hm.tolist()}
    with open(os.path.join(out, "predict_expected.json"), "w") as f:
        json.dump(expected, f)
    print("logits", logits.tolist())


if __name__ == "__main__":
    main()
