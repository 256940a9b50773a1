#!/usr/bin/env python3
"""Side-by-side speed of `fer bench` and the same step in PyTorch, alternating in one invocation.

The PyTorch side is the reference MEK model of tools/make_golden.py (original Swin layout, the MEK
head with CAM maps) and the reference step of shared/MEK.md: the batch and its horizontal flip
through the model, re-balanced smooth-label cross-entropy + 0.1 x attention consistency, backward,
clip to norm 5, AdamW. Inference is a forward pass in eval mode under torch.no_grad().

Needs: torch (pip). Run from the repository root after `swift build -c release`:
  python3 bench/compare_pytorch.py --model swin-t --batch 8 --mode train --threads 2 --rounds 3
Prints each round's samples/s for both and the median ratio (fer / PyTorch), plus peak RSS.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))

CONFIGS = {
    "swin-t": dict(img_size=112, patch_size=2, embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24]),
    "swin-micro": dict(img_size=112, patch_size=2, embed_dim=32, depths=[1, 1, 2, 1], num_heads=[1, 2, 4, 8]),
}


def pytorch_worker(args):
    """Runs in a child process so its peak RSS is its own."""
    import torch
    import make_golden as ref

    torch.set_num_threads(args.threads)
    cfg = dict(make_golden_defaults(ref))
    cfg.update(CONFIGS[args.model])
    model = ref.MEKModel(cfg)
    batch = args.batch
    x = torch.rand(batch, 3, 112, 112) * 2 - 1
    labels = torch.arange(batch) % 7
    w = ref.class_weights([10] * 7)
    times = []
    if args.mode == "train":
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)
        for i in range(args.warmup + args.steps):
            t0 = time.perf_counter()
            logits, hm = model(x)
            logits_f, hm_f = model(torch.flip(x, dims=[3]))
            loss = ref.mek_loss(logits, hm, hm_f, labels, w)[0]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
    else:
        model.eval()
        with torch.no_grad():
            for i in range(args.warmup + args.steps):
                t0 = time.perf_counter()
                model(x)
                if i >= args.warmup:
                    times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"samples_per_second": batch / med, "step_seconds": {"median": med, "min": min(times), "max": max(times)},
                      "peak_rss_bytes": rss, "torch": torch.__version__}))


def make_golden_defaults(ref):
    # the reference model's remaining constructor arguments (window, mlp ratio, classes, drop-path)
    return {k: v for k, v in ref.MICRO.items() if k not in CONFIGS["swin-micro"]}


def main():
    ap = argparse.ArgumentParser(description="fer bench vs PyTorch, side by side")
    ap.add_argument("--model", default="swin-micro", choices=sorted(CONFIGS))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--mode", default="train", choices=["train", "infer"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fer", default=os.path.join(HERE, "..", ".build", "release", "fer"))
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        pytorch_worker(args)
        return
    common = ["--model", args.model, "--batch", str(args.batch), "--mode", args.mode, "--steps", str(args.steps),
              "--warmup", str(args.warmup)]
    fer_cmd = [args.fer, "bench", *common, "--threads", str(args.threads), "--backend", "cpu", "--json"]
    py_cmd = [sys.executable, os.path.abspath(__file__), *common, "--threads", str(args.threads), "--worker"]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    fer_runs, py_runs = [], []
    for r in range(args.rounds):
        fer = json.loads(subprocess.run(fer_cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        py = json.loads(subprocess.run(py_cmd, check=True, capture_output=True, text=True, env=env).stdout.strip().splitlines()[-1])
        fer_runs.append(fer)
        py_runs.append(py)
        print(f"round {r + 1}: fer {fer['samples_per_second']:.2f} samples/s (RSS {fer['peak_rss_bytes'] / 1e9:.2f} GB)   "
              f"PyTorch {py['samples_per_second']:.2f} samples/s (RSS {py['peak_rss_bytes'] / 1e9:.2f} GB)")
    f = statistics.median(x["samples_per_second"] for x in fer_runs)
    p = statistics.median(x["samples_per_second"] for x in py_runs)
    print(f"{args.model} {args.mode} batch {args.batch}, {args.threads} threads: fer {f:.2f}, PyTorch {p:.2f} "
          f"(torch {py_runs[0]['torch']}) samples/s; ratio {f / p:.2f}x")
    gemm = fer_runs[-1].get("gemm_gflops_per_second")
    print(f"fer effective {fer_runs[-1]['gflops_per_second']:.1f} GFLOP/s, gemm {gemm:.1f} GFLOP/s; "
          f"breakdown: " + ", ".join(f"{k} {v['share'] * 100:.0f}%" for k, v in fer_runs[-1]["breakdown"].items() if v["share"] > 0.005))


if __name__ == "__main__":
    main()
