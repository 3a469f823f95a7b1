"""Sentences/s of EventTagger vs. a naive pipeline-style loop, same model, same sentences.

    python benchmarks/inference_speed.py --model models/sucesos-e5-small [--sentences 2000] [--output speed.json]

Sentences: the shipped corpus (all splits) repeated until --sentences, shuffled with a fixed seed
so lengths are mixed as in real articles. Each system runs in its own child process so peak RSS
(ru_maxrss) is measured per system. Two timings per system: scoring only (the model loaded: the
throughput that matters on thousands of articles) and end to end (imports + loading + scoring,
~6 s of fixed cost that weighs heavily on a 2,000-sentence run).

Systems: ``naive`` (fp32), ``fast`` (EventTagger, exact fp32), ``fast+bf16`` (EventTagger with bf16
autocast, what ``--precision auto`` picks on a GPU or an AMX CPU), ``fast+int8`` (optional).
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


def naive(tagger, sentences: list[str]):
    """Hugging Face pipeline-style: padded batches of 16 in input order, fp32, no other tricks."""
    import torch

    from sucesos.training.alignment import decode_spans, prefix_ids, split_words

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


def load(kind: str, model_dir: str):
    from sucesos.inference.tagger import EventTagger

    tagger = EventTagger.from_pretrained(model_dir, precision="bf16" if kind == "fast+bf16" else "fp32")
    if kind == "fast+int8":
        import torch

        # per-channel weight scales (more accurate than the per-tensor default: 66% vs 50% identical
        # labels on 600 corpus sentences); activations are still quantized with one scale per tensor
        qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
        tagger.model = torch.ao.quantization.quantize_dynamic(tagger.model, {torch.nn.Linear: qconfig}, dtype=torch.qint8)
    return tagger


def fast(tagger, sentences: list[str]):
    res = tagger.predict_sentences(sentences, batch_size=64)
    return [(r["events"], [(a["start"], a["end"], a["role"]) for a in r["actors"]]) for r in res]


def _child(kind, model_dir, sentences, queue):
    t0 = time.perf_counter()  # imports included: each system starts in a fresh process
    tagger = load(kind, model_dir)
    t1 = time.perf_counter()
    res = naive(tagger, sentences) if kind == "naive" else fast(tagger, sentences)
    t2 = time.perf_counter()
    queue.put((res, t1 - t0, t2 - t1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def machine() -> str:
    """CPU model, core count, torch version, and what ``--precision auto`` resolves to here."""
    import os
    import platform

    import torch

    from sucesos.inference.tagger import resolve_precision

    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            name = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{name}, {os.cpu_count()} cores, torch {torch.__version__}, "
            f"--precision auto = {resolve_precision('auto', torch.device('cpu'))} on CPU")


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
    parser.add_argument("--repeats", type=int, default=1, help="run the systems N times, interleaved, and report "
                        "each system's median (this shared 2-core machine drifts by 10-30%% within minutes)")
    parser.add_argument("--output")
    args = parser.parse_args()
    sentences = load_sentences(args.sentences)
    n = len(sentences)
    report = {"sentences": n, "mean_chars": sum(map(len, sentences)) / n, "machine": machine()}
    kinds = ["naive", "fast"] + (["fast+bf16"] if args.bf16 else []) + (["fast+int8"] if args.int8 else [])
    runs = {kind: [] for kind in kinds}
    for _ in range(args.repeats):  # interleaved, so a slow spell of the machine hits every system
        for kind in kinds:
            runs[kind].append(run(kind, args.model, sentences))
    median = lambda xs: sorted(xs)[len(xs) // 2]
    base = runs["naive"][0][0]
    for kind in kinds:
        res, mb = runs[kind][0][0], max(r[3] for r in runs[kind])
        load_s, score_s = median([r[1] for r in runs[kind]]), median([r[2] for r in runs[kind]])
        row = {"load_seconds": load_s, "score_seconds": score_s, "sent_per_s": n / score_s,
               "end_to_end_sent_per_s": n / (load_s + score_s), "peak_rss_mb": mb,
               "score_seconds_all_runs": [r[2] for r in runs[kind]]}
        if kind != "naive":
            naive_row = report["naive"]
            row["speedup"] = naive_row["score_seconds"] / score_s
            row["end_to_end_speedup"] = (naive_row["load_seconds"] + naive_row["score_seconds"]) / (load_s + score_s)
            row["agreement_events_and_spans"] = sum(1 for a, b in zip(res, base) if a == b) / n
            row["agreement_events"] = sum(1 for a, b in zip(res, base) if a[0] == b[0]) / n
        report[kind] = row
    print(f"{n} sentences, mean {report['mean_chars']:.0f} chars; {report['machine']}")
    print("sent/s and speed-up: scoring only (model loaded); end to end: imports + loading + scoring; "
          f"median of {args.repeats} interleaved run(s)")
    print(f"{'system':>10} | {'sent/s':>7} | {'speed-up':>8} | {'load s':>6} | {'end-to-end sent/s':>17} | "
          f"{'speed-up':>8} | {'peak RSS MB':>11} | identical labels")
    for kind in kinds:
        r = report[kind]
        agree = "-" if kind == "naive" else (f"{100 * r['agreement_events_and_spans']:.2f}% "
                                             f"(events {100 * r['agreement_events']:.2f}%)")
        print(f"{kind:>10} | {r['sent_per_s']:7.1f} | {r.get('speedup', 1.0):8.2f} | {r['load_seconds']:6.1f} | "
              f"{r['end_to_end_sent_per_s']:17.1f} | {r.get('end_to_end_speedup', 1.0):8.2f} | "
              f"{r['peak_rss_mb']:11.0f} | {agree}")
    if args.output:
        with open(args.output, "w") as fh:
            json.dump(report, fh, indent=2)


if __name__ == "__main__":
    main()
