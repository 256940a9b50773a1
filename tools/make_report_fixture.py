#!/usr/bin/env python3
"""The small run folder RunReportTests reads: Tests/FERTests/Fixtures/report_run/
(config.json, metrics.jsonl, eval.jsonl in the formats RunFolder writes; no weights, and a data
folder that does not exist, so the report's CAM section is skipped with a note).

    python3 tools/make_report_fixture.py [--out DIR]

40 steps of a 3-class MEK run with smooth, made-up curves, evaluations at steps 20 and 40. The
final numbers the test looks for: step 40 loss 0.4321, loss_cls 0.4012, loss_att 0.3090,
lr 3.125e-07; last evaluation overall 80.00%, mean class 76.67%, macro F1 0.7654; best mean class
accuracy at step 40.
"""
import argparse
import json
import math
import os

CLASSES = ["Happiness", "Sadness", "Neutral"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/FERTests/Fixtures/report_run")
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    steps, warmup, base, warm, low = 40, 4, 3.125e-05, 3.125e-08, 3.125e-07
    lines = []
    for t in range(1, steps + 1):
        if t < warmup:
            lr = warm + t * (base - warm) / warmup
        else:
            lr = low + 0.5 * (base - low) * (1 + math.cos(math.pi * t / steps))
        cls = 0.4012 + 0.7 * math.exp(-t / 10) + 0.02 * math.sin(t)
        att = 0.309 + 0.2 * math.exp(-t / 15)
        if t == steps:
            cls, att, lr = 0.4012, 0.309, 3.125e-07
        lines.append({"epoch": (t - 1) // 20, "grad_norm": round(2 + math.cos(t), 4), "loss": round(cls + 0.1 * att, 6),
                      "loss_att": round(att, 6), "loss_cls": round(cls, 6), "lr": lr,
                      "samples_per_second": 100.0 + t, "step": t})
    with open(os.path.join(out, "metrics.jsonl"), "w") as f:
        for o in lines:
            f.write(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n")

    def evaluation(step, confusion, f1):
        per = {c: row[i] / sum(row) for i, (c, row) in enumerate(zip(CLASSES, confusion))}
        total = sum(map(sum, confusion))
        return {"classes": CLASSES, "confusion_matrix": confusion, "count": total, "macro_f1": f1,
                "mean_class_accuracy": sum(per.values()) / len(per),
                "overall_accuracy": sum(confusion[i][i] for i in range(3)) / total,
                "per_class_accuracy": per, "step": step}

    evals = [evaluation(20, [[30, 4, 6], [6, 8, 6], [10, 5, 20]], 0.6012),
             evaluation(40, [[36, 1, 3], [4, 12, 4], [3, 4, 28]], 0.7654)]
    with open(os.path.join(out, "eval.jsonl"), "w") as f:
        for o in evals:
            f.write(json.dumps(o, sort_keys=True, separators=(",", ":")) + "\n")

    config = {
        "attentionWeight": 0.1, "augment": "reference", "backend": "cpu", "batch": 32, "classNames": CLASSES,
        "classWeighting": "inverse", "classWeights": [0.5, 1.25, 0.625], "clipNorm": 5,
        "data": "/nonexistent/swift-fer-report-fixture-data", "epsilon": 0.3, "evalBatch": 64, "evalEvery": 20,
        "format": "folder", "lr": 0.0005, "method": "mek",
        "model": {"depths": [1, 1], "dropPathRate": 0.1, "embedDim": 8, "heads": [1, 2], "imageSize": 56, "inChannels": 3,
                  "layerNormEps": 1e-05, "mlpRatio": 4, "numClasses": 3, "patchSize": 2, "window": 7},
        "modelName": "swin-micro", "saveEvery": 500,
        "schedule": {"baseLR": base, "minLR": low, "totalSteps": steps, "warmupLR": warm, "warmupSteps": warmup},
        "seed": 0, "smoothing": "rebalanced", "steps": steps, "threads": 2, "trainCounts": [80, 32, 64],
        "warmup": warmup, "weightDecay": 0.05,
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
