#!/usr/bin/env python3
"""Golden fixtures for swift-fer, made with a PyTorch reference of the MEK model.

Run by hand from the repository root (never by the tests):

    python3 tools/make_golden.py            # writes into Tests/FERTests/Fixtures/
    python3 tools/make_golden.py --out DIR  # writes somewhere else

Needs: pip install torch timm safetensors numpy
(timm is used only for its CosineLRScheduler and for a cross-check of the backbone.)

The model is written here from /work/shared/MEK.md (original Microsoft Swin layout: patch merging
`downsample` at the END of stages 0..L-2, plus the MEK head) in the tiny `swin-micro` config:
image 112, patch 2, embed 32, depths [1,1,2,1], heads [1,2,4,8], window 7, 7 classes.
Weights are seeded (torch.manual_seed(0)), perturbed away from their default init, and rounded to
float16 so the float16 model file is exact. Everything is computed in float32 on the CPU with
drop-path OFF (model.eval(); no dropout anywhere), so the outputs are deterministic.

Files written:
  golden_micro_model.safetensors  the full state_dict as a PyTorch user saves it: parameters,
      the persistent buffers `...attn.relative_position_index` (int64) and `...attn_mask`
      (only on shifted blocks), and the unused backbone norm `encoder.norm.*`. Every floating
      tensor stored as float16 (exact); int64 buffers keep their dtype. No metadata.
  golden_micro_io.safetensors  (float32)
      input [2,3,112,112] (already normalized, uniform in [-1,1]); labels [2] (class index as
      float); class_weights [7] (w_c = N/(10 n_c) from the RAF-DB training counts);
      logits [2,7], cam [2,7,7,7] (hm of input, [b][class][row][col]); logits_flip, cam_flip (of
      the horizontally flipped input, cam NOT flipped back); targets [2,7] (re-balanced smooth
      labels, e=0.3); loss_cls [1], loss_att [1], loss [1] (= loss_cls + 0.1 loss_att);
      grad.<key> for every parameter the model uses (all parameters except encoder.norm.*, which
      gets no gradient), raw (before clipping), one backward through both forward passes.
  golden_micro_adamw.safetensors  (float32)
      total_norm [1] (pre-clip total L2 norm from clip_grad_norm_(params, 5.0)), clip_coef [1]
      (min(1, 5/(total_norm+1e-6)), the factor the gradients were multiplied by);
      after.<key>: the weights after one AdamW step (lr 1e-3, betas 0.9/0.999, eps 1e-8,
      weight_decay 0.05 on every parameter) on the clipped gradients; after2.<key>: after a
      second optimizer.step() with the same clipped gradients still in .grad (exercises bias
      correction at step 2). Keys: see ADAMW_KEYS.
  schedule_timm.json  learning rates from timm's CosineLRScheduler (warmup_prefix=False,
      t_in_epochs=False, cycle_limit=1) after step_update(num_updates=t), for two configs.
      {"configs": [{"base", "warmup_lr", "min_lr", "warmup", "total", "steps", "lr"}, ...]}.
      Note: timm returns min_lr for every t >= total (cycle_limit=1), and there is a jump at
      t == warmup because the cosine is measured from t = 0 (warmup is not a prefix).

Checks run before anything is written: the CAM-pooling identity (mean of hm + head bias ==
logits), the float32 loss against a float64 recomputation, finite differences against autograd
for a few scalar parameters (float64), that the attention loss sends no gradient into head.weight,
and the backbone against timm's SwinTransformer loaded with the same weights.
"""

import argparse
import copy
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

# ----------------------------------------------------------------------------------------------
# Constants from MEK.md

RAF_TRAIN_COUNTS = [1290, 281, 717, 4772, 1982, 705, 2524]  # Surprise..Neutral
RAF_REFERENCE_WEIGHTS = [0.95124031, 4.36690391, 1.71143654, 0.25714585, 0.6191221, 1.74056738,
                         0.48617274]
SMOOTHING = 0.3
ATT_WEIGHT = 0.1
LN_EPS = 1e-5

MICRO = dict(img_size=112, patch_size=2, embed_dim=32, depths=(1, 1, 2, 1), num_heads=(1, 2, 4, 8),
             window_size=7, num_classes=7, mlp_ratio=4.0, drop_path_rate=0.1)

ADAMW_KEYS = [
    "encoder.patch_embed.proj.weight",
    "encoder.layers.0.blocks.0.attn.qkv.weight",
    "encoder.layers.0.blocks.0.attn.relative_position_bias_table",
    "encoder.layers.2.blocks.1.mlp.fc2.bias",
    "encoder.layers.1.downsample.reduction.weight",
    "norm.weight",
    "head.weight",
    "head.bias",
]

# ----------------------------------------------------------------------------------------------
# Model


class DropPath(nn.Module):
    """Stochastic depth per sample (identity in eval mode or at rate 0)."""

    def __init__(self, rate):
        super().__init__()
        self.rate = float(rate)

    def forward(self, x):
        if self.rate == 0.0 or not self.training:
            return x
        keep = 1.0 - self.rate
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        mask = x.new_empty(shape).bernoulli_(keep)
        return x * mask / keep


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU(approximate="none")
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def to_windows(x, w):
    """[B, H, W, C] -> [B * nW, w*w, C], windows in row-major order."""
    b, h, wd, c = x.shape
    x = x.view(b, h // w, w, wd // w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, w * w, c)


def from_windows(win, w, h, wd):
    """Inverse of to_windows: [B * nW, w*w, C] -> [B, H, W, C]."""
    c = win.shape[-1]
    b = win.shape[0] // ((h // w) * (wd // w))
    x = win.view(b, h // w, wd // w, w, w, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, wd, c)


def make_relative_position_index(w):
    coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij"))  # [2,w,w]
    flat = coords.flatten(1)  # [2, w*w]
    rel = flat[:, :, None] - flat[:, None, :]  # [2, N, N]
    rel = rel.permute(1, 2, 0).contiguous()  # [N, N, 2]
    rel[:, :, 0] += w - 1
    rel[:, :, 1] += w - 1
    rel[:, :, 0] *= 2 * w - 1
    return rel.sum(-1)  # [N, N] int64


def make_shift_mask(res, w, s):
    """[nW, N, N] with 0 inside a region and -100 between different regions."""
    img = torch.zeros(1, res, res, 1)
    region = 0
    bands = (slice(0, -w), slice(-w, -s), slice(-s, None))
    for hs in bands:
        for ws in bands:
            img[:, hs, ws, :] = region
            region += 1
    mw = to_windows(img, w).view(-1, w * w)  # [nW, N]
    diff = mw[:, None, :] - mw[:, :, None]
    return diff.masked_fill(diff != 0, -100.0).masked_fill(diff == 0, 0.0)


class WindowAttention(nn.Module):
    def __init__(self, dim, window, heads):
        super().__init__()
        self.dim, self.window, self.heads = dim, window, heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        self.register_buffer("relative_position_index", make_relative_position_index(window))
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x, mask=None):
        bw, n, c = x.shape
        # the 3C outputs of qkv are laid out [3 (q,k,v)][heads][head_dim]
        qkv = self.qkv(x).reshape(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [bw, heads, n, hd]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
        bias = bias.view(n, n, self.heads).permute(2, 0, 1)  # [heads, n, n]
        attn = attn + bias.unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.view(bw // nw, nw, self.heads, n, n) + mask[None, :, None, :, :]
            attn = attn.view(bw, self.heads, n, n)
        attn = attn.softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(bw, n, c)
        return self.proj(out)


class SwinBlock(nn.Module):
    def __init__(self, dim, res, heads, window, shift, drop_path, mlp_ratio):
        super().__init__()
        if res <= window:  # a single window covers the map: no shift
            window, shift = res, 0
        self.dim, self.res, self.window, self.shift = dim, res, window, shift
        self.norm1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.attn = WindowAttention(dim, window, heads)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.register_buffer("attn_mask", make_shift_mask(res, window, shift) if shift > 0 else None)

    def forward(self, x):
        b, l, c = x.shape
        h = wd = self.res
        y = self.norm1(x).view(b, h, wd, c)
        if self.shift > 0:
            y = torch.roll(y, shifts=(-self.shift, -self.shift), dims=(1, 2))
        y = self.attn(to_windows(y, self.window), self.attn_mask)
        y = from_windows(y, self.window, h, wd)
        if self.shift > 0:
            y = torch.roll(y, shifts=(self.shift, self.shift), dims=(1, 2))
        x = x + self.drop_path(y.reshape(b, l, c))
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x


class PatchMerging(nn.Module):
    def __init__(self, res, dim):
        super().__init__()
        self.res = res
        self.norm = nn.LayerNorm(4 * dim, eps=LN_EPS)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x):
        b, l, c = x.shape
        x = x.view(b, self.res, self.res, c)  # [B, row, col, C]
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
        x = x.view(b, -1, 4 * c)
        return self.reduction(self.norm(x))


class Stage(nn.Module):
    def __init__(self, dim, res, depth, heads, window, drop_paths, mlp_ratio, downsample):
        super().__init__()
        self.blocks = nn.ModuleList([
            SwinBlock(dim, res, heads, window, 0 if i % 2 == 0 else window // 2, drop_paths[i],
                      mlp_ratio)
            for i in range(depth)])
        self.downsample = PatchMerging(res, dim) if downsample else None

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        if self.downsample is not None:
            x = self.downsample(x)
        return x


class PatchEmbed(nn.Module):
    def __init__(self, patch, embed):
        super().__init__()
        self.proj = nn.Conv2d(3, embed, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(embed, eps=LN_EPS)

    def forward(self, x):
        x = self.proj(x).flatten(2).transpose(1, 2)  # [B, H*W, E], token = row*W + col
        return self.norm(x)


class SwinEncoder(nn.Module):
    def __init__(self, img_size, patch_size, embed_dim, depths, num_heads, window_size, mlp_ratio,
                 drop_path_rate, **_):
        super().__init__()
        self.patch_embed = PatchEmbed(patch_size, embed_dim)
        n = len(depths)
        dpr = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        res = img_size // patch_size
        self.layers = nn.ModuleList()
        for s in range(n):
            first = sum(depths[:s])
            self.layers.append(Stage(embed_dim * 2 ** s, res // 2 ** s, depths[s], num_heads[s],
                                     window_size, dpr[first:first + depths[s]], mlp_ratio,
                                     downsample=s < n - 1))
        self.num_features = embed_dim * 2 ** (n - 1)
        self.final_res = res // 2 ** (n - 1)
        self.norm = nn.LayerNorm(self.num_features, eps=LN_EPS)  # present in files, unused

    def forward(self, x):
        x = self.patch_embed(x)
        for layer in self.layers:
            x = layer(x)
        return x  # [B, final_res^2, num_features]; encoder.norm is NOT applied


class MEKModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = SwinEncoder(**cfg)
        c = self.encoder.num_features
        self.norm = nn.LayerNorm(c, eps=LN_EPS)
        self.head = nn.Linear(c, cfg["num_classes"])

    def forward(self, x):
        t = self.norm(self.encoder(x))  # [B, L, C]
        b, l, _ = t.shape
        side = self.encoder.final_res
        hm = torch.einsum("blc,kc->bkl", t, self.head.weight.detach()).reshape(b, -1, side, side)
        logits = self.head(t.mean(dim=1))
        return logits, hm


# ----------------------------------------------------------------------------------------------
# Loss


def class_weights(counts, dtype=torch.float32):
    c = torch.tensor(counts, dtype=torch.float64)
    return (c.sum() / (10.0 * c)).to(dtype)


def smooth_targets(labels, w, e=SMOOTHING):
    k = w.numel()
    onehot = F.one_hot(labels, k).to(w.dtype)
    others = (w[None, :] * (1 - onehot)).sum(1, keepdim=True)  # sum_{j != y} w_j
    t = e * w[None, :] / others
    return t * (1 - onehot) + (1 - e) * onehot


def mek_loss(logits, hm, hm_flip, labels, w):
    t = smooth_targets(labels, w)
    l_cls = -(t * F.log_softmax(logits, dim=1)).sum(1).mean()
    d = ((hm - torch.flip(hm_flip, dims=[3])) ** 2).mean(dim=(2, 3))  # [B, K]
    l_att = (d * w[None, :]).sum(1).mean()
    return l_cls + ATT_WEIGHT * l_att, l_cls, l_att, t


def run_step(model, x, labels, w):
    logits, hm = model(x)
    logits_f, hm_f = model(torch.flip(x, dims=[3]))
    loss, l_cls, l_att, t = mek_loss(logits, hm, hm_f, labels, w)
    return dict(loss=loss, loss_cls=l_cls, loss_att=l_att, targets=t, logits=logits, cam=hm,
                logits_flip=logits_f, cam_flip=hm_f)


# ----------------------------------------------------------------------------------------------
# Weights


def perturb_(model, gen):
    """Move every parameter away from its default init, then round to float16."""
    with torch.no_grad():
        for mod_name, mod in model.named_modules():
            for pname, p in mod.named_parameters(recurse=False):
                shape = p.shape
                if pname == "relative_position_bias_table":
                    v = 0.5 * torch.randn(shape, generator=gen)
                elif isinstance(mod, nn.LayerNorm):
                    v = (1.0 + 0.1 * torch.randn(shape, generator=gen)) if pname == "weight" \
                        else 0.05 * torch.randn(shape, generator=gen)
                elif isinstance(mod, (nn.Linear, nn.Conv2d)):
                    if pname == "weight":
                        fan_in = p[0].numel()
                        v = torch.randn(shape, generator=gen) / math.sqrt(fan_in)
                    else:
                        v = 0.05 * torch.randn(shape, generator=gen)
                else:
                    raise RuntimeError(f"unhandled parameter {mod_name}.{pname}")
                p.copy_(v.half().float())


# ----------------------------------------------------------------------------------------------
# Checks


def finite_difference_check(model64, x64, labels, w64, names, h=1e-6):
    params = dict(model64.named_parameters())
    model64.zero_grad()
    run_step(model64, x64, labels, w64)["loss"].backward()
    worst = 0.0
    for name, idx in names:
        p = params[name]
        analytic = p.grad[idx].item()
        with torch.no_grad():
            orig = p[idx].item()
            p[idx] = orig + h
            lp = run_step(model64, x64, labels, w64)["loss"].item()
            p[idx] = orig - h
            lm = run_step(model64, x64, labels, w64)["loss"].item()
            p[idx] = orig
        numeric = (lp - lm) / (2 * h)
        rel = abs(numeric - analytic) / max(abs(analytic), 1e-8)
        worst = max(worst, rel)
        print(f"  fd {name}{list(idx)}: autograd {analytic:.10e} numeric {numeric:.10e} rel {rel:.2e}")
        assert rel < 1e-5 or abs(numeric - analytic) < 1e-9, "finite difference mismatch"
    model64.zero_grad()
    return worst


def timm_check(model, x):
    """Load the backbone into timm's SwinTransformer and compare last-stage tokens."""
    from timm.models.swin_transformer import SwinTransformer, checkpoint_filter_fn
    cfg = MICRO
    tm = SwinTransformer(img_size=cfg["img_size"], patch_size=cfg["patch_size"], in_chans=3,
                         num_classes=0, embed_dim=cfg["embed_dim"], depths=cfg["depths"],
                         num_heads=cfg["num_heads"], window_size=cfg["window_size"],
                         mlp_ratio=cfg["mlp_ratio"], qkv_bias=True, drop_path_rate=0.0).eval()
    enc = {k[len("encoder."):]: v for k, v in model.state_dict().items() if k.startswith("encoder.")}
    missing, unexpected = tm.load_state_dict(checkpoint_filter_fn(enc, tm), strict=False)
    missing = [k for k in missing if not k.endswith(("relative_position_index", "attn_mask"))]
    assert not missing and not unexpected, (missing, unexpected)
    with torch.no_grad():
        ref = tm.layers(tm.patch_embed(x))  # [B, 7, 7, C] NHWC, before timm's final norm
        ours = model.encoder(x).view_as(ref)
        diff = (ref - ours).abs().max().item()
        ndiff = (tm.norm(ref) - model.encoder.norm(ours)).abs().max().item()
    print(f"  timm SwinTransformer vs ours, last-stage tokens: max |diff| {diff:.3e} "
          f"(after encoder.norm {ndiff:.3e}, token scale {ref.abs().max().item():.3f})")
    assert diff < 1e-4 * max(1.0, ref.abs().max().item()), "backbone disagrees with timm"


# ----------------------------------------------------------------------------------------------
# Schedule


def timm_schedule(base, warmup_lr, min_lr, warmup, total, steps):
    from timm.scheduler import CosineLRScheduler
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=base)
    sched = CosineLRScheduler(opt, t_initial=total, lr_min=min_lr, warmup_t=warmup,
                              warmup_lr_init=warmup_lr, warmup_prefix=False, t_in_epochs=False,
                              cycle_limit=1)
    lrs = []
    for t in steps:
        sched.step_update(num_updates=t)
        lrs.append(float(opt.param_groups[0]["lr"]))
    return dict(base=base, warmup_lr=warmup_lr, min_lr=min_lr, warmup=warmup, total=total,
                steps=list(steps), lr=lrs)


# ----------------------------------------------------------------------------------------------


def f32(t):
    return t.detach().to(torch.float32).contiguous().clone()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "Tests", "FERTests", "Fixtures"))
    args = ap.parse_args()
    out = os.path.normpath(args.out)
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)

    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = MEKModel(MICRO)
    perturb_(model, gen)
    model.eval()  # drop-path off: deterministic

    # the state_dict as a PyTorch user saves it, floats as float16 (exact after the rounding)
    sd = {}
    for k, v in model.state_dict().items():
        v = v.detach().clone().contiguous()
        if v.is_floating_point():
            h = v.half()
            assert torch.equal(h.float(), v), f"{k} not exact in float16"
            v = h
        sd[k] = v

    params = {n: p for n, p in model.named_parameters() if not n.startswith("encoder.norm.")}
    n_params = sum(p.numel() for p in params.values())

    x = (torch.rand(2, 3, MICRO["img_size"], MICRO["img_size"], generator=gen) * 2 - 1)
    labels = torch.tensor([1, 4])
    w = class_weights(RAF_TRAIN_COUNTS)
    assert np.allclose(w.numpy(), RAF_REFERENCE_WEIGHTS, atol=1e-7), w

    # ---- forward + backward in float32
    res = run_step(model, x, labels, w)
    model.zero_grad()
    res["loss"].backward()
    grads = {}
    for n, p in params.items():
        assert p.grad is not None, f"no gradient for {n}"
        grads[n] = f32(p.grad)
    assert model.encoder.norm.weight.grad is None

    # ---- checks
    print("checks:")
    logits, cam = res["logits"].detach(), res["cam"].detach()
    pooled = cam.mean(dim=(2, 3)) + model.head.bias.detach()[None, :]
    err = (pooled - logits).abs().max().item()
    print(f"  CAM pooling identity: max |mean(hm)+b - logits| = {err:.3e}")
    assert err < 1e-5
    pooled_f = res["cam_flip"].detach().mean(dim=(2, 3)) + model.head.bias.detach()[None, :]
    assert (pooled_f - res["logits_flip"].detach()).abs().max().item() < 1e-5
    t = res["targets"].detach()
    assert torch.allclose(t.sum(1), torch.ones(2), atol=1e-6)
    assert all(abs(t[b, labels[b]].item() - (1 - SMOOTHING)) < 1e-7 for b in range(2))

    # the attention loss must not reach head.weight (CAM uses detached head weights)
    model.zero_grad()
    run_step(model, x, labels, w)["loss_cls"].backward()
    gdiff = (model.head.weight.grad - grads["head.weight"]).abs().max().item()
    print(f"  head.weight grad from loss_cls alone vs full loss: max |diff| = {gdiff:.3e}")
    assert gdiff == 0.0
    model.zero_grad()

    model64 = copy.deepcopy(model).double()
    x64, w64 = x.double(), class_weights(RAF_TRAIN_COUNTS, torch.float64)
    r64 = run_step(model64, x64, labels, w64)
    for k in ("loss", "loss_cls", "loss_att"):
        a, b = res[k].item(), r64[k].item()
        rel = abs(a - b) / abs(b)
        print(f"  {k}: float32 {a:.9g} float64 {b:.12g} rel {rel:.2e}")
        assert rel < 1e-6, k
    for k in ("logits", "cam", "logits_flip", "cam_flip"):
        d = (res[k].detach().double() - r64[k].detach()).abs().max().item()
        print(f"  {k}: max |float32 - float64| = {d:.3e}")
    finite_difference_check(model64, x64, labels, w64, [
        ("head.bias", (2,)),
        ("norm.weight", (5,)),
        ("encoder.layers.2.blocks.1.attn.relative_position_bias_table", (40, 3)),
        ("encoder.layers.0.blocks.0.attn.qkv.weight", (3, 7)),
        ("encoder.patch_embed.proj.weight", (4, 1, 0, 1)),
    ])
    del model64
    timm_check(model, x)

    # ---- optimizer: clip + two AdamW steps on the same clipped gradients
    for n, p in params.items():
        p.grad = grads[n].clone()
    plist = list(params.values())
    total_norm = torch.nn.utils.clip_grad_norm_(plist, 5.0)
    clip_coef = torch.clamp(5.0 / (total_norm + 1e-6), max=1.0)
    for n, p in params.items():  # clip_grad_norm_ multiplies by exactly this coefficient
        assert torch.equal(p.grad, grads[n] * clip_coef), n
    opt = torch.optim.AdamW(plist, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05,
                            foreach=False)
    before = {k: f32(params[k]) for k in ADAMW_KEYS}
    opt.step()
    after = {k: f32(params[k]) for k in ADAMW_KEYS}
    opt.step()
    after2 = {k: f32(params[k]) for k in ADAMW_KEYS}
    for k in ADAMW_KEYS:
        assert not torch.equal(before[k], after[k]) and not torch.equal(after[k], after2[k]), k
    del opt

    # ---- write
    p_model = os.path.join(out, "golden_micro_model.safetensors")
    save_file(sd, p_model)

    io = {
        "input": f32(x),
        "labels": f32(labels),
        "class_weights": f32(w),
        "logits": f32(res["logits"]),
        "cam": f32(res["cam"]),
        "logits_flip": f32(res["logits_flip"]),
        "cam_flip": f32(res["cam_flip"]),
        "loss_cls": f32(res["loss_cls"]).reshape(1),
        "loss_att": f32(res["loss_att"]).reshape(1),
        "loss": f32(res["loss"]).reshape(1),
        "targets": f32(res["targets"]),
    }
    for n in params:
        io["grad." + n] = grads[n]
    p_io = os.path.join(out, "golden_micro_io.safetensors")
    save_file(io, p_io)

    adam = {"total_norm": f32(total_norm).reshape(1), "clip_coef": f32(clip_coef).reshape(1)}
    for k in ADAMW_KEYS:
        adam["after." + k] = after[k]
        adam["after2." + k] = after2[k]
    p_adam = os.path.join(out, "golden_micro_adamw.safetensors")
    save_file(adam, p_adam)

    sched = {"configs": [
        timm_schedule(3.125e-5, 3.125e-8, 3.125e-7, 2000, 20000,
                      [0, 1, 2, 999, 1999, 2000, 2001, 5000, 10000, 15000, 19999, 20000]),
        timm_schedule(1e-3, 1e-6, 1e-5, 10, 100, [0, 1, 5, 9, 10, 11, 50, 99, 100]),
    ]}
    p_sched = os.path.join(out, "schedule_timm.json")
    with open(p_sched, "w") as f:
        json.dump(sched, f, indent=1)
        f.write("\n")

    # ---- summary
    print("summary:")
    print(f"  parameters (used by the model, excl. encoder.norm): {n_params}")
    print(f"  state_dict tensors: {len(sd)}")
    print(f"  loss {res['loss'].item()!r}  loss_cls {res['loss_cls'].item()!r}  "
          f"loss_att {res['loss_att'].item()!r}")
    print(f"  logits {res['logits'].detach().tolist()!r}")
    print(f"  logits_flip {res['logits_flip'].detach().tolist()!r}")
    print(f"  total_norm {total_norm.item()!r}  clip_coef {clip_coef.item()!r}")
    for c in sched["configs"]:
        print(f"  schedule base {c['base']}: " + ", ".join(f"{s}:{lr!r}" for s, lr in
                                                          zip(c["steps"], c["lr"])))
    for p in (p_model, p_io, p_adam, p_sched):
        os.chmod(p, 0o644)  # safetensors creates its files owner-only
        print(f"  wrote {p} ({os.path.getsize(p)} bytes)")


if __name__ == "__main__":
    main()
