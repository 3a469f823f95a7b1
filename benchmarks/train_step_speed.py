"""Training-step speed: fp32 against bf16 autocast, side by side in one run.

Builds the default model (bundled multilingual-e5-small, word embeddings frozen, attention
pooling) and times full optimiser steps (forward, backward, AdamW) on real batches of the
training corpus, 16 sentences each, in both precisions. Rounds alternate between the two so
that a machine slowing down or speeding up during the run affects both alike; the figure is
the median seconds per step over the timed rounds (the first round of each is a warm-up).

    python benchmarks/train_step_speed.py                 # 6 rounds x 5 steps each
    python benchmarks/train_step_speed.py --rounds 8 --json out.json

``training.precision: auto`` picks bf16 on CPUs with AMX (and on GPUs) because of this figure.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import torch


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
    parser.add_argument("--rounds", type=int, default=6, help="rounds per precision (first is warm-up)")
    parser.add_argument("--steps", type=int, default=5, help="optimiser steps per round")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    model, dataset, collate = build(args.max_length)
    # a fixed random sample of batches, the same for both precisions
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0)).tolist()
    n_batches = args.rounds * args.steps
    batches = [collate([dataset[order[(i * args.batch_size + k) % len(order)]] for k in range(args.batch_size)])
               for i in range(n_batches)]
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    model.train()

    def step(batch, bf16: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    timings: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for r in range(args.rounds):
        for name in ("fp32", "bf16"):
            started = time.perf_counter()
            for batch in batches[r * args.steps:(r + 1) * args.steps]:
                step(batch, name == "bf16")
            timings[name].append((time.perf_counter() - started) / args.steps)
    median = {name: statistics.median(values[1:] or values) for name, values in timings.items()}
    width = statistics.mean(b["input_ids"].shape[1] for b in batches)
    result = {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
              "amx": bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()),
              "batch_size": args.batch_size, "mean_padded_width": round(width, 1),
              "seconds_per_step": {k: round(v, 3) for k, v in median.items()},
              "per_round": {k: [round(v, 3) for v in vs] for k, vs in timings.items()},
              "bf16_speedup": round(median["fp32"] / median["bf16"], 2)}
    print(f"seconds per step (batch {args.batch_size}, mean width {width:.0f} tokens, {result['threads']} threads, "
          f"AMX {result['amx']}): fp32 {median['fp32']:.3f} | bf16 {median['bf16']:.3f} | "
          f"bf16 speed-up {result['bf16_speedup']:.2f}x")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
