"""Why the event head normalises the pooled vector: a probe on frozen encoder features.

Mean-pooled states of the bundled encoder share one dominant direction, so a linear head trained
with AdamW at the head learning rate barely separates the types within a training run's budget
of steps. This trains the same head on the same frozen features (train split, dev/test scored)
with and without a LayerNorm in front, side by side, and prints dev/test event macro-F1 at 0.5
and at thresholds tuned on dev.

    python benchmarks/pooled_norm_probe.py [--steps 470] [--lr 1.0e-3]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from sucesos.labels.corpus import load_corpus
from sucesos.labels.paths import split_files
from sucesos.labels.schema import load_schema
from sucesos.training.encoders import resolve_encoder
from sucesos.training.evaluation import tune_thresholds
from sucesos.training.metrics.core import event_scores


@torch.inference_mode()
def mean_pooled(model, tokenizer, texts, batch_size=64):
    out = []
    for i in range(0, len(texts), batch_size):
        batch = tokenizer(texts[i:i + batch_size], padding=True, truncation=True, max_length=128, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        out.append((hidden * mask).sum(1) / mask.sum(1))
    return torch.cat(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--encoder", default="bundled:multilingual-e5-small")
    parser.add_argument("--steps", type=int, default=470)  # ~10 epochs of the shipped train split at batch 16
    parser.add_argument("--lr", type=float, default=1.0e-3)
    args = parser.parse_args()
    from transformers import AutoModel, AutoTokenizer

    path = resolve_encoder(args.encoder)
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    schema = load_schema()
    types = schema.event_types
    splits = {p.stem: load_corpus([p], schema) for p in split_files()}
    x = {s: mean_pooled(model, tokenizer, [r["text"] for r in rs]) for s, rs in splits.items()}
    y = {s: torch.tensor([[t in r["events"] for t in types] for r in rs]).float() for s, rs in splits.items()}
    common = x["train"].mean(0).norm() / x["train"].norm(dim=1).mean()
    print(f"pooled vectors: shared mean direction carries {common:.0%} of the norm; "
          f"per-dimension std {x['train'].std(0).mean():.3f}")
    rate = y["train"].mean(0)
    pos_weight = ((1 - rate) / rate).sqrt()
    print(f"{'head':>20} | dev F1@0.5 | dev F1 tuned | test F1@0.5 | test F1 tuned")
    for name in ("linear", "LayerNorm + linear"):
        torch.manual_seed(0)
        head = torch.nn.Linear(x["train"].shape[1], len(types))
        torch.nn.init.normal_(head.weight, std=0.02)
        torch.nn.init.zeros_(head.bias)
        norm = torch.nn.LayerNorm(x["train"].shape[1]) if name != "linear" else torch.nn.Identity()
        forward = lambda v: head(norm(v))  # noqa: E731
        opt = torch.optim.AdamW(list(head.parameters()) + list(norm.parameters()), lr=args.lr, weight_decay=0.0)
        for _ in range(args.steps):
            idx = torch.randint(0, len(x["train"]), (16,))
            logits = forward(torch.nn.functional.dropout(x["train"][idx], 0.1))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y["train"][idx], pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            probs = {s: torch.sigmoid(forward(x[s])).numpy() for s in ("dev", "test")}
        tuned = tune_thresholds(probs["dev"], splits["dev"], types)
        cells = []
        for s in ("dev", "test"):
            gold = [r["events"] for r in splits[s]]
            for th in ({t: 0.5 for t in types}, tuned):
                pred = [[t for j, t in enumerate(types) if row[j] >= th[t]] for row in probs[s]]
                cells.append(f"{event_scores(pred, gold, types)['macro_f1']:.3f}")
        print(f"{name:>20} | " + " | ".join(f"{c:>10}" for c in cells))


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
