"""Sentences/s of EventTagger vs. a naive pipeline-style loop, same model, same sentences.

    python benchmarks/inference_speed.py --model models/sucesos-e5-small [--sentences 2000] [--output speed.json]

Sentences: the shipped corpus (all splits) repeated until --sentences, shuffled with a fixed seed
so lengths are mixed as in real articles. Each system runs in its own child process so peak RSS
(ru_maxrss) is measured per system.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import resource
import time


def load_sentences(n: int) -> list[str]:
    from sucesos.labels.paths import split_files

    texts = [json.loads(line)["text"] for f in split_files() for line in open(f, encoding="utf-8") if line.strip()]
    out = []
    while len(out) < n:
        out += texts
    out = out[:n]
    random.Random(0).shuffle(out)
    return out


def naive(model_dir: str, sentences: list[str]):
    """Hugging Face pipeline-style: padded batches of 16 in input order, no other tricks."""
    import torch

    from sucesos.inference.tagger import EventTagger
    from sucesos.training.alignment import decode_spans, prefix_ids, split_words

    tagger = EventTagger.from_pretrained(model_dir)
    model, tok = tagger.model, tagger.tokenizer
    extra = prefix_ids(tok, getattr(model.config, "input_prefix", "") or "")
    results = []
    with torch.no_grad():
        for b in range(0, len(sentences), 16):
            batch = sentences[b:b + 16]
            words = [split_words(s) for s in batch]
            enc = tok([[w for w, _, _ in ws] for ws in words], is_split_into_words=True, truncation=True,
                      max_length=tagger.max_length, padding=True, return_tensors="pt")
            ids, mask = enc["input_ids"], enc["attention_mask"]
            if extra:  # the model's input prefix ("query: "), right after <s>, as in training
                n = ids.shape[0]
                ids = torch.cat([ids[:, :1], torch.tensor(extra).expand(n, -1), ids[:, 1:]], dim=1)
                mask = torch.cat([mask[:, :1], torch.ones(n, len(extra), dtype=mask.dtype), mask[:, 1:]], dim=1)
            out = model(input_ids=ids, attention_mask=mask)
            probs = torch.sigmoid(out.event_logits).numpy()
            # drop the prefix columns so that positions line up with enc.word_ids() again
            # (column 0 is then a prefix token, but word_ids()[0] is <s>: never read)
            tags = out.span_logits.argmax(-1).numpy()[:, len(extra):]
            for i, ws in enumerate(words):
                word_tags, seen = ["O"] * len(ws), set()
                for pos, w in enumerate(enc.word_ids(i)):
                    if w is not None and w not in seen:
                        seen.add(w)
                        word_tags[w] = tagger.span_labels[tags[i, pos]]
                events = [t for j, t in enumerate(tagger.event_types) if probs[i, j] >= tagger.thresholds[t]]
                results.append((events, decode_spans(ws, word_tags)))
    return results


def fast(model_dir: str, sentences: list[str], quantize: bool = False, precision: str = "fp32"):
    import torch

    from sucesos.inference.tagger import EventTagger

    tagger = EventTagger.from_pretrained(model_dir, precision=precision)
    if quantize:
        # per-channel weight scales (more accurate than the per-tensor default: 66% vs 50% identical
        # labels on 600 corpus sentences); activations are still quantized with one scale per tensor
        qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
        tagger.model = torch.ao.quantization.quantize_dynamic(tagger.model, {torch.nn.Linear: qconfig}, dtype=torch.qint8)
    res = tagger.predict_sentences(sentences, batch_size=64)
    return [(r["events"], [(a["start"], a["end"], a["role"]) for a in r["actors"]]) for r in res]


def _child(kind, model_dir, sentences, queue):
    t0 = time.perf_counter()
    if kind == "naive":
        res = naive(model_dir, sentences)
    else:
        res = fast(model_dir, sentences, quantize=kind == "fast+int8", precision="bf16" if kind == "fast+bf16" else "fp32")
    seconds = time.perf_counter() - t0
    queue.put((res, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def run(kind, model_dir, sentences):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(kind, model_dir, sentences, queue))
    proc.start()
    res = queue.get()
    proc.join()
    return res


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="models/sucesos-e5-small")
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--int8", action="store_true", help="also measure int8 dynamic quantization")
    parser.add_argument("--bf16", action="store_true", help="also measure bf16 autocast (--precision bf16)")
    parser.add_argument("--output")
    args = parser.parse_args()
    sentences = load_sentences(args.sentences)
    report = {"sentences": len(sentences), "mean_chars": sum(map(len, sentences)) / len(sentences)}
    base, base_s, base_mb = run("naive", args.model, sentences)
    report["naive"] = {"seconds": base_s, "sent_per_s": len(sentences) / base_s, "peak_rss_mb": base_mb}
    kinds = ["fast"] + (["fast+bf16"] if args.bf16 else []) + (["fast+int8"] if args.int8 else [])
    for kind in kinds:
        res, s, mb = run(kind, args.model, sentences)
        same = sum(1 for a, b in zip(res, base) if a == b) / len(base)
        same_events = sum(1 for a, b in zip(res, base) if a[0] == b[0]) / len(base)
        report[kind] = {"seconds": s, "sent_per_s": len(sentences) / s, "peak_rss_mb": mb, "speedup": base_s / s,
                        "agreement_events_and_spans": same, "agreement_events": same_events}
    print(f"{len(sentences)} sentences, mean {report['mean_chars']:.0f} chars")
    print(f"{'system':>12} | {'sent/s':>8} | {'seconds':>8} | {'peak RSS MB':>11} | {'speedup':>7} | agreement")
    print(f"{'naive':>12} | {report['naive']['sent_per_s']:8.1f} | {base_s:8.1f} | {base_mb:11.0f} | {1:7.2f} | -")
    for kind in kinds:
        r = report[kind]
        print(f"{kind:>12} | {r['sent_per_s']:8.1f} | {r['seconds']:8.1f} | {r['peak_rss_mb']:11.0f} | "
              f"{r['speedup']:7.2f} | {100 * r['agreement_events_and_spans']:.2f}% (events {100 * r['agreement_events']:.2f}%)")
    if args.output:
        with open(args.output, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
