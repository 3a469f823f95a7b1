"""``sucesos evaluate``: a report a researcher can cite.

Writes to ``--output-dir``: ``metrics.json`` (machine), ``report.md`` and a self-contained
``report.html`` (people; PNG figures embedded), figure PNGs, and ``predictions.jsonl`` (for
error analysis). Bootstrap intervals resample *articles*, since sentences of one article are
not independent.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
from pathlib import Path

import numpy as np
import yaml

from sucesos import __version__
from sucesos.errors import SucesosError
from sucesos.fileio import atomic_open, write_json_atomic, write_jsonl_atomic, write_text_atomic
from sucesos.labels.corpus import load_corpus
from sucesos.labels.schema import Schema
from sucesos.training import report_figures as figs
from sucesos.training.baseline import MajorityBaseline, TfidfLogReg
from sucesos.training.evaluation import evaluate_tagger, score_predictions
from sucesos.training.metrics.core import event_scores, span_scores


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def bootstrap(gold: list[dict], pred: list[dict], types, roles, reps: int = 1000, seed: int = 0) -> dict:
    """95% percentile intervals for event macro-F1 and actor span F1, resampling articles."""
    rng = np.random.default_rng(seed)
    by_article: dict[str, list[int]] = {}
    for i, g in enumerate(gold):
        by_article.setdefault(g["article_id"], []).append(i)
    groups = list(by_article.values())
    samples = {"event_macro_f1": [], "actor_strict_f1": [], "actor_overlap_f1": []}
    spans = lambda items: [(a["start"], a["end"], a["role"]) for a in items]
    for _ in range(reps):
        idx = [i for k in rng.integers(0, len(groups), len(groups)) for i in groups[k]]
        ev = event_scores([pred[i]["events"] for i in idx], [gold[i]["events"] for i in idx], types)
        sp = span_scores([spans(pred[i]["actors"]) for i in idx], [spans(gold[i]["actors"]) for i in idx], roles)
        samples["event_macro_f1"].append(ev["macro_f1"] or 0.0)
        samples["actor_strict_f1"].append(sp["strict"]["micro_f1"] or 0.0)
        samples["actor_overlap_f1"].append(sp["overlap"]["micro_f1"] or 0.0)
    return {k: {"low": float(np.percentile(v, 2.5)), "high": float(np.percentile(v, 97.5)), "reps": reps,
                "resampled_unit": "article"} for k, v in samples.items()}


def _mark(text: str, spans, open_, close) -> str:
    out, pos = [], 0
    for a in sorted(spans, key=lambda a: a["start"]):
        out += [text[pos:a["start"]], f"{open_}{text[a['start']:a['end']]}{close}{a['role'][:4]}"]
        pos = a["end"]
    return "".join(out + [text[pos:]])


def error_analysis(gold, pred, types, top: int = 5) -> dict:
    """Top false positives (highest score) and false negatives (lowest score) per type; span errors."""
    result = {"events": {}, "spans": []}
    for t in types:
        fp = [(p["scores"][t], g, p) for g, p in zip(gold, pred) if t in p["events"] and t not in g["events"]]
        fn = [(p["scores"][t], g, p) for g, p in zip(gold, pred) if t in g["events"] and t not in p["events"]]
        row = lambda s, g, p: {"id": g["id"], "text": g["text"], "gold": g["events"], "predicted": p["events"],
                               "score": s}
        result["events"][t] = {"false_positives": [row(*x) for x in sorted(fp, key=lambda x: -x[0])[:top]],
                               "false_negatives": [row(*x) for x in sorted(fn, key=lambda x: x[0])[:top]]}
    for g, p in zip(gold, pred):
        gs = {(a["start"], a["end"], a["role"]) for a in g["actors"]}
        ps = {(a["start"], a["end"], a["role"]) for a in p["actors"]}
        if gs != ps:
            result["spans"].append({"id": g["id"], "gold": _mark(g["text"], g["actors"], "[", "]"),
                                    "predicted": _mark(g["text"], p["actors"], "{", "}")})
    result["spans"] = result["spans"][:top * 6]
    return result


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def render_markdown(report: dict, figures: dict[str, str]) -> str:
    m, types = report["metrics"], report["event_types"]
    ev, ac = m["events"], m["actors"]
    ci = report["bootstrap"]
    lines = [f"# sucesos evaluation report", "",
             f"Model `{report['provenance']['model_dir']}` (base encoder `{report['provenance']['base_encoder']}`) on "
             f"{ev['n_sentences']} sentences from {report['n_articles']} articles.", "",
             "## Headline", "",
             "| metric | value | 95% CI (bootstrap over articles) |", "|---|---:|---|",
             f"| event macro-F1 | {_fmt(ev['macro_f1'])} | {_fmt(ci['event_macro_f1']['low'])} – {_fmt(ci['event_macro_f1']['high'])} |",
             f"| event micro-F1 | {_fmt(ev['micro_f1'])} | |",
             f"| exact-match ratio | {_fmt(ev['exact_match'])} | |",
             f"| actor F1 strict | {_fmt(ac['strict']['micro_f1'])} | {_fmt(ci['actor_strict_f1']['low'])} – {_fmt(ci['actor_strict_f1']['high'])} |",
             f"| actor F1 overlap | {_fmt(ac['overlap']['micro_f1'])} | {_fmt(ci['actor_overlap_f1']['low'])} – {_fmt(ci['actor_overlap_f1']['high'])} |",
             "", "## Event types", "", "| type | precision | recall | F1 | support | threshold |", "|---|---:|---:|---:|---:|---:|"]
    for t in types:
        v = ev["per_type"][t]
        lines.append(f"| {t} | {_fmt(v['precision'])} | {_fmt(v['recall'])} | {_fmt(v['f1'])} | {v['support']} | "
                     f"{report['thresholds'].get(t, 0.5):.2f} |")
    lines += ["", "## Actor roles", "", "| role | P strict | R strict | F1 strict | P overlap | R overlap | F1 overlap | support |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for role, v in ac["strict"]["per_role"].items():
        o = ac["overlap"]["per_role"][role]
        lines.append(f"| {role} | {_fmt(v['precision'])} | {_fmt(v['recall'])} | {_fmt(v['f1'])} | {_fmt(o['precision'])} | "
                     f"{_fmt(o['recall'])} | {_fmt(o['f1'])} | {v['support']} |")
    lines += ["", "## Per language", "", "| language | sentences | event macro-F1 | event micro-F1 | actor F1 strict | actor F1 overlap |",
              "|---|---:|---:|---:|---:|---:|"]
    for lang, lm in m["by_language"].items():
        lines.append(f"| {lang} | {lm['events']['n_sentences']} | {_fmt(lm['events']['macro_f1'])} | {_fmt(lm['events']['micro_f1'])} | "
                     f"{_fmt(lm['actors']['strict']['micro_f1'])} | {_fmt(lm['actors']['overlap']['micro_f1'])} |")
    lines += ["", "## Baselines (event types only; trained on the model's train split)", "",
              "| system | macro-F1 | micro-F1 |", "|---|---:|---:|",
              f"| this model | {_fmt(ev['macro_f1'])} | {_fmt(ev['micro_f1'])} |"]
    alone = m.get("events_sentence_alone")
    if alone:
        lines.append(f"| this model, each sentence alone (no article context) | {_fmt(alone['macro_f1'])} | "
                     f"{_fmt(alone['micro_f1'])} |")
    for name, b in report["baselines"].items():
        lines.append(f"| {name} | {_fmt(b['macro_f1'])} | {_fmt(b['micro_f1'])} |")
    ref = report.get("second_annotator")
    if ref:
        lines += ["", "## Second annotator (reference)", "",
                  "The same sentences labeled independently by a second annotator, scored against the gold "
                  "like a model: what two annotators of the spec agree on.", "",
                  "| labels | event macro-F1 | event micro-F1 | actor F1 strict | actor F1 overlap |", "|---|---:|---:|---:|---:|",
                  f"| this model | {_fmt(ev['macro_f1'])} | {_fmt(ev['micro_f1'])} | {_fmt(ac['strict']['micro_f1'])} | "
                  f"{_fmt(ac['overlap']['micro_f1'])} |",
                  f"| second annotator | {_fmt(ref['events']['macro_f1'])} | {_fmt(ref['events']['micro_f1'])} | "
                  f"{_fmt(ref['actors']['strict'])} | {_fmt(ref['actors']['overlap'])} |"]
    lines += ["", f"## Calibration", "", f"Expected calibration error over all (sentence, type) probabilities: "
              f"{report['ece']:.3f}.", ""]
    for name, title in (("confusion", "Confusion"), ("pr_curves", "Precision–recall per type"), ("reliability", "Reliability")):
        lines += [f"### {title}", "", f"![{title}]({figures[name]})", ""]
    lines += ["## Error analysis", ""]
    for t, e in report["errors"]["events"].items():
        if not e["false_positives"] and not e["false_negatives"]:
            continue
        lines += [f"### {t}", ""]
        for kind, label in (("false_positives", "False positive"), ("false_negatives", "False negative")):
            for x in e[kind]:
                lines.append(f"- {label} ({x['score']:.2f}): {x['text']} — gold {x['gold'] or ['none']}, predicted {x['predicted'] or ['none']}")
        lines.append("")
    lines += ["### Span errors (gold `[span]ROLE`, predicted `{span}ROLE`)", ""]
    for s in report["errors"]["spans"]:
        lines += [f"- gold: {s['gold']}", f"  predicted: {s['predicted']}"]
    p = report["provenance"]
    lines += ["", "## Provenance", "", f"- model dir: `{p['model_dir']}`", f"- base encoder: `{p['base_encoder']}`",
              f"- training config sha256: `{p['config_sha256']}`", f"- schema version: `{p['schema_version']}`",
              f"- sucesos version: `{p['sucesos_version']}`", f"- date: {p['date']}"]
    lines += [f"- data: `{d['path']}` sha256 `{d['sha256']}`" for d in p["data"]]
    return "\n".join(lines) + "\n"


def render_html(markdown_text: str, pngs: dict[str, bytes], figures: dict[str, str]) -> str:
    """A self-contained page: the Markdown shown as preformatted text with the figures inlined."""
    body = html.escape(markdown_text)
    for name, rel in figures.items():
        tag = f'<img alt="{name}" style="max-width:100%" src="data:image/png;base64,{base64.b64encode(pngs[name]).decode()}">'
        body = body.replace(html.escape(f"]({rel})"), "]" + "</pre>" + tag + "<pre>")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>sucesos evaluation report</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}pre{white-space:pre-wrap}</style>"
            f"</head><body><pre>{body}</pre></body></html>\n")


def model_schema(config) -> Schema:
    return Schema(config.schema_version or "?", list(config.event_types), list(config.roles))


def score_second_annotation(gold: list[dict], files: list[str], schema: Schema) -> dict:
    """A second annotator's labels of the same sentences, scored like a model against the gold.

    What two careful annotators reach is the reference a model's figures should be read against.
    """
    from sucesos.labels.agreement import pair_records

    second = load_corpus(files, schema)
    pairs = pair_records(gold, second, where_b=",".join(files))
    scores = score_predictions([b for _, b in pairs], [a for a, _ in pairs], schema.event_types, schema.roles)
    return {"files": [str(f) for f in files], "events": {k: scores["events"][k] for k in ("macro_f1", "micro_f1")},
            "actors": {m: scores["actors"][m]["micro_f1"] for m in ("strict", "overlap")}}


def run_report(model_dir: str, data_files: list[str], output_dir: str, train_file: str | None = None,
               bootstrap_reps: int = 1000, batch_size: int = 64, second_annotation: list[str] | None = None) -> dict:
    from sucesos.inference.tagger import EventTagger

    tagger = EventTagger.from_pretrained(model_dir, precision="fp32")  # exact: figures independent of the CPU
    cfg = tagger.model.config
    schema = model_schema(cfg)
    gold = load_corpus(data_files, schema)  # unknown labels / invalid lines stop here, with file:line
    if not gold:
        raise SucesosError("no sentences to evaluate", path=",".join(data_files))
    types, roles = schema.event_types, schema.roles
    metrics, pred = evaluate_tagger(tagger, gold, batch_size)  # each sentence in its article's context
    # the thresholds the events were decided with (a one-sentence article uses the sentence-alone set)
    thresholds = dict(tagger.context_thresholds if tagger.context_weights else tagger.thresholds)
    y_true = np.array([[t in g["events"] for t in types] for g in gold])
    y_pred = np.array([[t in p["events"] for t in types] for p in pred])
    probs = np.array([[p["scores"][t] for t in types] for p in pred])

    run_cfg_path = Path(model_dir) / "training_config.yaml"
    run_cfg = yaml.safe_load(run_cfg_path.read_text()) if run_cfg_path.exists() else {}
    train_file = train_file or (run_cfg.get("data", {}) or {}).get("train")
    baselines = {}
    if train_file and Path(train_file).exists():
        train = load_corpus([train_file], schema)
        texts = [g["text"] for g in gold]
        for name, model in (("majority class", MajorityBaseline(types)), ("TF-IDF + logistic regression", TfidfLogReg(types))):
            b = event_scores(model.fit(train).predict(texts), [g["events"] for g in gold], types)
            baselines[name] = {"macro_f1": b["macro_f1"], "micro_f1": b["micro_f1"], "per_type": b["per_type"]}

    reference = score_second_annotation(gold, second_annotation, schema) if second_annotation else None

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    pngs = {"confusion": figs.confusion_figure(y_true, y_pred, types),
            "pr_curves": figs.pr_curves_figure(y_true, probs, types, thresholds)}
    pngs["reliability"], ece = figs.reliability_figure(y_true, probs)
    figures = {name: f"{name}.png" for name in pngs}
    for name, data in pngs.items():
        with atomic_open(out / figures[name], "wb") as fh:
            fh.write(data)
    report = {
        "event_types": types, "roles": roles, "thresholds": thresholds, "metrics": metrics,
        "n_articles": len({g["article_id"] for g in gold}),
        "bootstrap": bootstrap(gold, pred, types, roles, reps=bootstrap_reps),
        "baselines": baselines, "second_annotator": reference, "ece": ece, "errors": error_analysis(gold, pred, types),
        "provenance": {
            "model_dir": str(model_dir), "base_encoder": cfg.base_encoder,
            "config_sha256": sha256(run_cfg_path) if run_cfg_path.exists() else None,
            "schema_version": cfg.schema_version, "sucesos_version": __version__,
            "model_sucesos_version": cfg.sucesos_version,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "data": [{"path": str(f), "sha256": sha256(f)} for f in data_files],
            "baseline_train_data": str(train_file) if baselines else None,
        },
    }
    write_jsonl_atomic(out / "predictions.jsonl", [{"id": g["id"], "language": g["language"], "text": g["text"],
                                                    "gold_events": g["events"], "gold_actors": g["actors"], **{
                                                        k: p[k] for k in ("events", "scores", "actors")}}
                                                   for g, p in zip(gold, pred)])
    md = render_markdown(report, figures)
    write_text_atomic(out / "report.md", md)
    write_text_atomic(out / "report.html", render_html(md, pngs, figures))
    write_json_atomic(out / "metrics.json", {k: v for k, v in report.items() if k != "errors"})
    return report
