"""Which layers break label agreement when quantized: each group of Linear layers quantized alone
(int8 dynamic, per-channel weight scales), and all but that group, against the fp32 model.

    python benchmarks/int8_sensitivity.py --model models/sucesos-e5-small [--sentences 600]

Agreement = same event types and same actor spans as fp32 on a sentence (what the speed target
counts). Also the all-bf16 model (weights and activations cast, unlike --precision bf16, which
autocasts matmuls only). Agreement only: speed is measured by inference_speed.py.
"""

from __future__ import annotations

import argparse
import warnings

import torch

from inference_speed import load_sentences

GROUPS = {
    "attention q/k/v": lambda n: n.endswith(("query", "key", "value")),
    "attention output": lambda n: n.endswith("attention.output.dense"),
    "feed-forward in": lambda n: n.endswith("intermediate.dense"),
    "feed-forward out": lambda n: n.endswith("output.dense") and "attention" not in n,
    "heads": lambda n: "head" in n,
}


def labels(tagger, sentences):
    res = tagger.predict_sentences(sentences, batch_size=64)
    return [(r["events"], [(a["start"], a["end"], a["role"]) for a in r["actors"]]) for r in res]


def agreement(a, b) -> tuple[float, float]:
    return (sum(x == y for x, y in zip(a, b)) / len(a), sum(x[0] == y[0] for x, y in zip(a, b)) / len(a))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="models/sucesos-e5-small")
    parser.add_argument("--sentences", type=int, default=600)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    from sucesos.inference.tagger import EventTagger

    sentences = load_sentences(args.sentences)
    tagger = EventTagger.from_pretrained(args.model)
    fp32 = tagger.model
    reference = labels(tagger, sentences)
    linear = [n for n, m in fp32.named_modules() if isinstance(m, torch.nn.Linear)]
    qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
    rows = [("all Linear layers", linear)]
    for name, match in GROUPS.items():
        rows.append((f"only {name}", [n for n in linear if match(n)]))
        rows.append((f"all but {name}", [n for n in linear if not match(n)]))
    print(f"{len(sentences)} sentences; agreement with fp32 (events and spans | events only)")
    for name, selected in rows:
        tagger.model = torch.ao.quantization.quantize_dynamic(fp32, {n: qconfig for n in selected}, dtype=torch.qint8)
        both, events = agreement(labels(tagger, sentences), reference)
        print(f"int8 {name:28s} ({len(selected):2d} layers) | {100 * both:6.2f}% | {100 * events:6.2f}%", flush=True)
    tagger.model = fp32
    tagger.precision = "bf16"
    both, events = agreement(labels(tagger, sentences), reference)
    print(f"{'bf16 autocast (--precision bf16)':38s} | {100 * both:6.2f}% | {100 * events:6.2f}%")
    tagger.precision = "fp32"
    tagger.model = fp32.to(torch.bfloat16)
    both, events = agreement(labels(tagger, sentences), reference)
    print(f"{'bf16 everywhere (model.to(bfloat16))':38s} | {100 * both:6.2f}% | {100 * events:6.2f}%")


if __name__ == "__main__":
    main()
