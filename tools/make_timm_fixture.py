#!/usr/bin/env python3
"""Fixtures for `fer convert --from timm-swin` (TimmConversionTests), made with timm's own
SwinTransformer. Run by hand from the repository root (never by the tests):

    python3 tools/make_timm_fixture.py            # writes Tests/FERTests/Fixtures/timm/
    python3 tools/make_timm_fixture.py --out DIR

Needs: pip install torch timm safetensors numpy (made with timm 1.0.31, torch 2.x; CPU, float32,
deterministic: rerunning gives identical bytes).

Two tiny timm models, both embed 8, depths (2, 2, 1), heads (1, 2, 4), window 7, MLP ratio 4, drop
path 0, with seeded weights perturbed away from their init (so that every tensor matters) and
rounded to float16 (so the float16 files are exact):
  A: img_size 56, patch 2, 7 classes   -> 28x28, 14x14, 7x7 token grids, like ours at 112/2 halved
  B: img_size 112, patch 4, 10 classes -> the same grids from 4x4 patches (timm's ImageNet Swin-T
     uses 4x4 patches at 224; ours 2x2 at 112)

Files written:
  timm_swin_new.safetensors   A's state_dict as timm >= 0.9 names it (layers.{s+1}.downsample
      starts stage s+1; head.fc.*), float32.
  timm_swin_old.safetensors   the same weights in the older layout (the Swin authors' and timm <
      0.9: layers.{s}.downsample ends stage s; head.*), float16, plus the int64 buffer
      `relative_position_index` of block 0 of every stage, as those checkpoints carry it. Checked
      here: timm's own checkpoint_filter_fn turns it back into A's state_dict.
  timm_swin_patch4.safetensors  B's state_dict (timm >= 0.9 layout), float16.
  timm_features.safetensors   float32:
      input [2,3,56,56]    uniform in [-1, 1] (a normalized image batch for A and for ours)
      tokens [2,49,32]     A: the last stage's tokens before the final norm (patch_embed, layers)
      features [2,49,32]   A: forward_features (after the final norm), token = row*7 + column
      logits [2,7]         A: the full forward
      patch4_tokens, patch4_features [2,49,32]  B on input upsampled 2x by pixel replication
          (each pixel a 2x2 block: 112x112). A 4x4 patch of that image is a 2x2 patch of `input`
          with every pixel repeated, so B's kernel summed over 2x2 blocks, applied to `input` with
          2x2 patches, gives B's response exactly: the documented property of the resampling.
      rpb_src7 [169,2] -> rpb_7to12 [529,2]; rpb_src12 [529,2] -> rpb_12to7 [169,2]: relative
          position tables resized between windows 7 and 12 with
          F.interpolate(mode="bicubic", align_corners=False), as timm does it.
"""

import argparse
import os
import re

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from timm.models.swin_transformer import SwinTransformer, checkpoint_filter_fn

CONFIG = dict(embed_dim=8, depths=(2, 2, 1), num_heads=(1, 2, 4), window_size=7, drop_path_rate=0.0)


def perturb_(model, gen):
    """Every parameter moved away from its init, then rounded to float16."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            shape = p.shape
            if name.endswith("relative_position_bias_table"):
                v = 0.5 * torch.randn(shape, generator=gen)
            elif p.ndim >= 2:
                fan_in = int(np.prod(shape[1:]))
                v = torch.randn(shape, generator=gen) / fan_in ** 0.5
            elif name.endswith("weight"):  # LayerNorm scale
                v = 1 + 0.3 * torch.randn(shape, generator=gen)
            else:
                v = 0.1 * torch.randn(shape, generator=gen)
            p.copy_(v.half().float())


def run(model, x):
    with torch.no_grad():
        tokens = model.layers(model.patch_embed(x))
        features = model.norm(tokens)
        assert torch.equal(features, model.forward_features(x))
        logits = model(x)
    b = x.shape[0]
    return tokens.reshape(b, -1, tokens.shape[-1]), features.reshape(b, -1, features.shape[-1]), logits


def old_layout(state):
    out = {}
    for k, v in state.items():
        k = re.sub(r"layers\.(\d+)\.downsample", lambda m: f"layers.{int(m.group(1)) - 1}.downsample", k)
        k = k.replace("head.fc.", "head.")
        out[k] = v
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/FERTests/Fixtures/timm")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)

    a = SwinTransformer(img_size=56, patch_size=2, num_classes=7, **CONFIG).eval()
    perturb_(a, gen)
    b = SwinTransformer(img_size=112, patch_size=4, num_classes=10, **CONFIG).eval()
    perturb_(b, gen)

    x = (torch.rand(2, 3, 56, 56, generator=gen) * 2 - 1).contiguous()
    tokens, features, logits = run(a, x)
    x2 = x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    p4_tokens, p4_features, _ = run(b, x2)

    state_a = {k: v.contiguous() for k, v in a.state_dict().items()}
    old = {k: v.half() for k, v in old_layout(state_a).items()}
    for s, stage in enumerate(a.layers):
        old[f"layers.{s}.blocks.0.attn.relative_position_index"] = stage.blocks[0].attn.relative_position_index.clone().long()
    # timm reads the old layout back into the new one (buffers dropped).
    back = checkpoint_filter_fn({k: v.float() for k, v in old.items()}, a)
    assert set(back) == set(state_a), set(back) ^ set(state_a)
    for k in state_a:
        assert torch.equal(back[k], state_a[k]), k
    a2 = SwinTransformer(img_size=56, patch_size=2, num_classes=7, **CONFIG).eval()
    a2.load_state_dict(back)
    assert torch.equal(run(a2, x)[1], features)

    gen_t = torch.Generator().manual_seed(99)
    src7 = torch.randn(169, 2, generator=gen_t)
    src12 = torch.randn(529, 2, generator=gen_t)

    def resize(table, src, dst):
        return F.interpolate(table.t().reshape(1, -1, src, src), size=(dst, dst), mode="bicubic",
                             align_corners=False).reshape(-1, dst * dst).t().contiguous()

    save_file(state_a, os.path.join(args.out, "timm_swin_new.safetensors"))
    save_file(old, os.path.join(args.out, "timm_swin_old.safetensors"))
    save_file({k: v.half().contiguous() for k, v in b.state_dict().items()}, os.path.join(args.out, "timm_swin_patch4.safetensors"))
    save_file({
        "input": x, "tokens": tokens.contiguous(), "features": features.contiguous(), "logits": logits.contiguous(),
        "patch4_tokens": p4_tokens.contiguous(), "patch4_features": p4_features.contiguous(),
        "rpb_src7": src7, "rpb_7to12": resize(src7, 13, 23), "rpb_src12": src12, "rpb_12to7": resize(src12, 23, 13),
    }, os.path.join(args.out, "timm_features.safetensors"))
    for f in sorted(os.listdir(args.out)):
        print(f, os.path.getsize(os.path.join(args.out, f)))


if __name__ == "__main__":
    main()
