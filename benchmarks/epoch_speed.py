"""Whole training steps as ``sucesos train`` runs them: the default config against variants, side by side.

``train_step_speed.py`` times forward + backward + AdamW on fixed batches in one process; it
overstated what ``model.freeze_layers: 6`` saves per epoch (1.54x per step, 1.14x per epoch),
because a real epoch also pays for collation, length-grouped batches of every size, gradient
clipping, the learning-rate schedule and logging. This script runs the real command, each run in
its own process, for ``--steps`` optimiser steps of the default config (the shipped corpus), and
reads the Trainer's own ``train_runtime``; rounds alternate between the systems so that a host
slowing down affects all alike, and the median over rounds is reported with the final logged
training loss (the systems here should train the same model, so their losses should agree).

    python benchmarks/epoch_speed.py                         # fused AdamW (default) against the per-tensor loop
    python benchmarks/epoch_speed.py --steps 150 --rounds 2 --json reports/epoch_speed.json
    python benchmarks/epoch_speed.py --compare dropout       # numpy-written masks against the torch-built ones
    python benchmarks/epoch_speed.py --compare encoder_dropout  # the encoder's dropout on, attention's off, both off
    python benchmarks/epoch_speed.py --compare freeze_layers  # what one more trainable layer costs
    python benchmarks/epoch_speed.py --compare torch_masks_no_attention_dropout  # sdpa_cpu_math vs the fused kernel

A baseline that is no longer in the product (``--compare dropout``: the masks before
``dropout_mask`` wrote them in numpy; ``--compare torch_masks_no_attention_dropout``: torch's fused
CPU sdpa kernel before ``sdpa_cpu_math``) is kept here, and its runs patch it in before the command
starts (``--child-patch``), so both systems still run the same ``sucesos train``.
"""

from __future__ import annotations

import argparse
import ast
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

# system name -> (config overrides, patch applied in the child process or None)
COMPARISONS = {
    "optimizer": {
        "per-tensor AdamW (before training.fused_optimizer)": (["training.fused_optimizer=false"], None),
        "fused AdamW (default)": ([], None),
    },
    "dropout": {
        "masks built by torch from int16 draws (before)": ([], "torch_built_masks"),
        "masks written by numpy (default)": ([], None),
    },
    "freeze_layers": {
        "4 lowest layers frozen (default)": ([], None),
        "3 lowest layers frozen (model.freeze_layers=3)": (["model.freeze_layers=3"], None),
    },
    "encoder_dropout": {
        "encoder dropout as e5 has it: 0.1 hidden, 0.1 attention (default)": ([], None),
        "attention dropout off (model.attention_dropout=0.0)": (["model.attention_dropout=0.0"], None),
        "encoder dropout off (model.encoder_dropout=0.0, model.attention_dropout=0.0)":
            (["model.encoder_dropout=0.0", "model.attention_dropout=0.0"], None),
    },
    "torch_masks_no_attention_dropout": {
        "torch's masks, no attention dropout: torch's fused CPU sdpa kernel (before)":
            (["training.fast_dropout=false", "model.attention_dropout=0.0"], "fused_cpu_sdpa"),
        "torch's masks, no attention dropout: sdpa_cpu_math's math path (now)":
            (["training.fast_dropout=false", "model.attention_dropout=0.0"], None),
    },
}


def fused_cpu_sdpa() -> None:
    """Attention as before ``sdpa_cpu_math``: torch's sdpa for every call, so that training without
    attention dropout takes its fused CPU kernel."""
    from sucesos.training import fast_dropout

    def sdpa_cpu_math(module, query, key, value, attention_mask, dropout=0.0, scaling=None, **kwargs):
        return fast_dropout._sdpa(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs)

    fast_dropout.sdpa_cpu_math = sdpa_cpu_math


def torch_built_masks() -> None:
    """The dropout masks of ``training.fast_dropout`` before numpy wrote their float bits: uniform
    16-bit draws (``Generator.integers``), compared, converted and scaled in torch."""
    import numpy as np
    import torch

    from sucesos.training import fast_dropout

    def dropout_mask(shape, p, dtype):
        seed = int(torch.randint(0, 2**62, (1,)).item())
        draws = np.random.Generator(np.random.PCG64(seed)).integers(0, 65536, size=tuple(shape), dtype=np.uint16)
        keep = torch.from_numpy(draws.view(np.int16)) >= round(p * 65536) - 32768
        return keep.to(dtype) * (1.0 / (1.0 - p))

    fast_dropout.dropout_mask = dropout_mask


PATCHES = {"torch_built_masks": torch_built_masks, "fused_cpu_sdpa": fused_cpu_sdpa}
LOG_LINE = re.compile(r"^\{'(?:loss|train_runtime)'.*\}$", re.MULTILINE)


def run(overrides: list[str], patch: str | None, steps: int, workdir: str) -> dict:
    """One ``sucesos train`` process; returns the Trainer's runtime and the last logged loss."""
    start = ["-m", "sucesos.cli"] if patch is None else [__file__, "--child-patch", patch, "--"]
    command = [sys.executable, *start, "train", "--config", "training/configs/default.yaml",
               f"training.max_steps={steps}", "training.early_stopping_patience=0", "model.lexical_weight=0.0",
               f"output.dir={workdir}/model", "--overwrite", *overrides]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    logs = [ast.literal_eval(m) for m in LOG_LINE.findall(done.stdout + "\n" + done.stderr)]
    runtime = next(float(entry["train_runtime"]) for entry in logs if "train_runtime" in entry)
    losses = [float(entry["loss"]) for entry in logs if "loss" in entry]
    return {"train_runtime": runtime, "seconds_per_step": runtime / steps, "last_loss": losses[-1],
            "wall": time.perf_counter() - started}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150, help="optimiser steps per run (543 make an epoch)")
    parser.add_argument("--rounds", type=int, default=2, help="runs per system, alternating")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--compare", choices=sorted(COMPARISONS), default="optimizer", help="which pair of systems")
    parser.add_argument("--child-patch", choices=sorted(PATCHES), help=argparse.SUPPRESS)
    parser.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_patch:  # a baseline's run: patch, then the real command line
        PATCHES[args.child_patch]()
        from sucesos.cli import main as sucesos_main
        return sucesos_main([a for a in args.command if a != "--"])
    systems = COMPARISONS[args.compare]
    results: dict[str, list[dict]] = {name: [] for name in systems}
    with tempfile.TemporaryDirectory(prefix="sucesos-epoch-speed-") as workdir:
        for r in range(args.rounds):
            for name, (overrides, patch) in systems.items():
                results[name].append(run(overrides, patch, args.steps, workdir))
                print(f"round {r} {name}: {results[name][-1]}", flush=True)
    baseline = statistics.median(x["seconds_per_step"] for x in next(iter(results.values())))
    print(f"\n{args.steps} steps per run, {args.rounds} rounds, {platform.processor() or platform.machine()}")
    print("system | s/step (median) | speed-up | last logged loss per round")
    summary = {}
    for name, runs in results.items():
        per_step = statistics.median(x["seconds_per_step"] for x in runs)
        summary[name] = {"seconds_per_step": per_step, "speedup": baseline / per_step, "runs": runs}
        print(f"{name} | {per_step:.3f} | {baseline / per_step:.2f}x | {' '.join(str(x['last_loss']) for x in runs)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"compare": args.compare, "steps": args.steps, "rounds": args.rounds, "systems": summary}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
