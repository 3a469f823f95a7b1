"""Training-step speed: fp32 against bf16 autocast, and with the lowest layers frozen, side by side.

Builds the default model (bundled multilingual-e5-small, attention pooling) and times full
optimiser steps (forward, backward, AdamW) on real batches of the training corpus, 16 sentences
each, for seven systems: word embeddings frozen (the baseline, the default before
``model.freeze_layers``) in fp32 and in bf16 autocast, and embeddings + the 4 lowest layers
frozen (``model.freeze_layers: 4``) in fp32 and bf16, the last with its dropout masks drawn
by numpy (``training.fast_dropout``, training/fast_dropout.py), and that again starting each step
at layer 4 from the frozen layers' cached output (``training.cache_frozen_layers``,
training/frozen_cache.py; the one-off cost of the cache is printed apart), and the same with 6
layers frozen and cached (what two more frozen layers would save). Rounds alternate between the systems so
that a machine slowing down or speeding up during the run affects all alike; the figure is the
median seconds per step over the timed rounds (the first round of each is a warm-up).

Every system here steps torch's default CPU AdamW (the per-tensor loop), as the figures recorded
before ``training.fused_optimizer`` did; the default now uses the fused kernel, whose gain over the
loop is measured on whole training steps by ``benchmarks/epoch_speed.py``.

    python benchmarks/train_step_speed.py                 # 6 rounds x 5 steps each
    python benchmarks/train_step_speed.py --rounds 8 --json out.json

``training.precision: auto`` picks bf16 on CPUs with AMX (and on GPUs) because of these figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import time

import torch

from sucesos.training.fast_dropout import fast_cpu_dropout
from sucesos.training.frozen_cache import CachedStatesCollator, frozen_states


def build(max_length: int):
    from transformers import AutoTokenizer

    from sucesos.labels.corpus import load_corpus
    from sucesos.labels.schema import load_schema
    from sucesos.training.data import Collator, build_dataset
    from sucesos.training.encoders import resolve_encoder
    from sucesos.training.modeling import SucesosModel

    schema = load_schema(None)
    records = load_corpus(["labels/corpus/train.jsonl"], schema)
    path = resolve_encoder("bundled:multilingual-e5-small")
    tokenizer = AutoTokenizer.from_pretrained(path)
    torch.manual_seed(0)
    model = SucesosModel.from_encoder(path, schema.event_types, schema.roles, event_pooling="attention",
                                      max_seq_length=max_length)
    model.freeze_word_embeddings()
    dataset = build_dataset(records, tokenizer, model.config, max_length)
    return model, dataset, Collator(tokenizer.pad_token_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds per system (first is warm-up)")
    parser.add_argument("--steps", type=int, default=5, help="optimiser steps per round")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    model, dataset, collate = build(args.max_length)
    # a fixed random sample of batches, the same for every system
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0)).tolist()
    n_batches = args.rounds * args.steps
    picked = [[order[(i * args.batch_size + k) % len(order)] for k in range(args.batch_size)] for i in range(n_batches)]
    batches = [collate([dataset[j] for j in rows]) for rows in picked]
    # The same batches starting at layer 4 (the default) or 6 from cached states
    # (training.cache_frozen_layers): the cache is computed once per run, so its cost is reported
    # apart, for the default's 4 layers, spread over 6 epochs (the key in the JSON says so).
    used = sorted({j for rows in picked for j in rows})
    position = {j: k for k, j in enumerate(used)}
    cached_batches, cache_seconds = {}, {}
    for n_frozen in (4, 6):  # 6: how much faster steps get if two more layers stay frozen
        started = time.perf_counter()
        states = frozen_states(model.encoder, [dataset[j]["input_ids"] for j in used], n_frozen,
                               autocast_dtype=torch.bfloat16, pad_token_id=collate.pad_token_id)
        cache_seconds[n_frozen] = time.perf_counter() - started
        cached_collate = CachedStatesCollator(collate, states, n_frozen)
        cached_batches[n_frozen] = [cached_collate([{**dataset[j], "cache_index": position[j]} for j in rows])
                                    for rows in picked]
    cache_seconds_per_sentence = cache_seconds[4] / len(used)
    # (bf16 autocast, frozen layers, numpy dropout masks: training/fast_dropout.py, cached frozen layers)
    systems = {"fp32": (False, 0, False, False), "bf16": (True, 0, False, False),
               "fp32 freeze_layers=4": (False, 4, False, False), "bf16 freeze_layers=4": (True, 4, False, False),
               "bf16 freeze_layers=4 fast_dropout": (True, 4, True, False),
               "bf16 freeze_layers=4 fast_dropout cache_frozen_layers": (True, 4, True, True),
               "bf16 freeze_layers=6 fast_dropout cache_frozen_layers": (True, 6, True, True)}

    def set_frozen(n_layers: int) -> None:
        for param in model.encoder.parameters():
            param.requires_grad_(True)
        model.freeze_word_embeddings()
        if n_layers:
            model.freeze_lower_layers(n_layers)

    optimizers = {}
    for name, (_, n_layers, _, _) in systems.items():
        set_frozen(n_layers)
        optimizers[name] = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    model.train()

    timings: dict[str, list[float]] = {name: [] for name in systems}
    for r in range(args.rounds):
        for name, (bf16, n_layers, fast, cached) in systems.items():
            set_frozen(n_layers)
            optimizer = optimizers[name]
            with fast_cpu_dropout(model) if fast else contextlib.nullcontext():
                started = time.perf_counter()
                for batch in (cached_batches[n_layers] if cached else batches)[r * args.steps:(r + 1) * args.steps]:
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                        loss = model(**batch).loss
                    loss.backward()
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                timings[name].append((time.perf_counter() - started) / args.steps)
    median = {name: statistics.median(values[1:] or values) for name, values in timings.items()}
    width = statistics.mean(b["input_ids"].shape[1] for b in batches)
    result = {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
              "amx": bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()),
              "batch_size": args.batch_size, "mean_padded_width": round(width, 1),
              "seconds_per_step": {k: round(v, 3) for k, v in median.items()},
              "cache_seconds_per_step_over_6_epochs": round(cache_seconds_per_sentence * args.batch_size / 6, 4),
              "speedup_vs_fp32": {k: round(median["fp32"] / v, 2) for k, v in median.items()},
              "per_round": {k: [round(v, 3) for v in vs] for k, vs in timings.items()}}
    print(f"batch {args.batch_size}, mean width {width:.0f} tokens, {result['threads']} threads, AMX {result['amx']}; "
          f"median of rounds 2-{args.rounds}")
    print("| system | s/step | speed-up vs fp32 |\n|---|---:|---:|")
    for name, value in median.items():
        print(f"| {name} | {value:.3f} | {median['fp32'] / value:.2f}x |")
    print(f"building the cache: {cache_seconds_per_sentence * 1000:.1f} ms per sentence, once per run "
          f"(= {result['cache_seconds_per_step_over_6_epochs']:.4f} s per step over 6 epochs)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
