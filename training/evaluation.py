"""Score a tagger against labeled sentences: event and actor metrics, overall and per language.

>>> gold = [{"language": "en", "events": ["ambush"], "actors": []}]
>>> pred = [{"events": ["ambush"], "actors": [], "scores": {"ambush": 0.9}}]
>>> score_predictions(pred, gold, ["ambush"], ["VICTIM"])["events"]["macro_f1"]
1.0
"""

from __future__ import annotations

import numpy as np

from sucesos.training.metrics.core import event_scores, span_scores


def _spans(items) -> list[tuple[int, int, str]]:
    return [(a["start"], a["end"], a["role"]) for a in items]


def score_predictions(predictions: list[dict], gold: list[dict], event_types, roles) -> dict:
    """Metrics of sentence-level predictions against gold records, with a per-language breakdown."""

    def block(idx):
        return {
            "events": event_scores([predictions[i]["events"] for i in idx], [gold[i]["events"] for i in idx],
                                   list(event_types)),
            "actors": span_scores([_spans(predictions[i]["actors"]) for i in idx],
                                  [_spans(gold[i]["actors"]) for i in idx], list(roles)),
        }

    result = block(range(len(gold)))
    result["by_language"] = {lang: block([i for i, g in enumerate(gold) if g["language"] == lang])
                             for lang in sorted({g["language"] for g in gold})}
    return result


def tune_thresholds(probabilities: np.ndarray, gold: list[dict], event_types, default: float = 0.5,
                    shrinkage: float = 0.0) -> dict:
    """Per type, the threshold maximising F1 on these (dev) sentences, moved ``shrinkage`` of the
    way back towards ``default``.

    Types without a positive dev sentence keep ``default``; ties go to the threshold nearest 0.5.
    Why shrink: with 10-25 positives per type in dev, the F1-optimal threshold is itself noisy
    (0.05 or 0.9 happen) and does not carry over to new text; halfway back to 0.5 scored better
    on held-out dev articles (benchmarks/README.md, "Threshold shrinkage").

    >>> probs = np.array([[0.9], [0.2], [0.1]])
    >>> gold = [{"events": ["a"]}, {"events": ["a"]}, {"events": []}]
    >>> tune_thresholds(probs, gold, ["a"]), tune_thresholds(probs, gold, ["a"], shrinkage=0.5)
    ({'a': 0.2}, {'a': 0.35})
    """
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    thresholds = {}
    for j, t in enumerate(event_types):
        y = np.array([t in g["events"] for g in gold])
        if not y.any():
            thresholds[t] = default
            continue
        best, best_f1 = default, -1.0
        for th in sorted(grid, key=lambda v: abs(v - 0.5)):
            pred = probabilities[:, j] >= th
            tp = int((pred & y).sum())
            f1 = 2 * tp / (int(pred.sum()) + int(y.sum())) if (pred.sum() + y.sum()) else 0.0
            if f1 > best_f1 + 1e-9:
                best, best_f1 = float(th), f1
        thresholds[t] = round(float((1 - shrinkage) * best + shrinkage * default), 4)
    return thresholds


def evaluate_tagger(tagger, records: list[dict], batch_size: int = 64, scored: list[dict] | None = None
                    ) -> tuple[dict, list[dict]]:
    """Run ``tagger`` on the records' sentences, each in its article's context (records of one
    ``article_id``, in file order); return (metrics, predictions).

    With a context model, ``metrics["events_sentence_alone"]`` also scores the events each
    sentence gets on its own, and every prediction keeps those scores as ``sentence_scores``.
    ``scored``: this tagger's sentence-alone predictions of these records, if already computed
    (only the events are decided again, with the tagger's current thresholds).
    """
    if scored is None:
        alone = tagger.predict_sentences([r["text"] for r in records], batch_size=batch_size)
    else:
        alone = tagger.decide_events(scored)
    predictions = tagger.apply_article_context(alone, [r["article_id"] for r in records])
    metrics = score_predictions(predictions, records, tagger.event_types, [l[2:] for l in tagger.span_labels if l.startswith("B-")])
    if tagger.context_weights is not None:
        metrics["events_sentence_alone"] = event_scores([p["events"] for p in alone], [r["events"] for r in records],
                                                        list(tagger.event_types))
        predictions = [{**p, "sentence_scores": a["scores"]} for p, a in zip(predictions, alone)]
    return metrics, predictions


def headline(metrics: dict) -> str:
    """One line: event macro/micro F1 and actor strict/overlap F1."""
    ev, ac = metrics["events"], metrics["actors"]
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"
    alone = metrics.get("events_sentence_alone")
    return (f"event macro-F1 {fmt(ev['macro_f1'])} micro-F1 {fmt(ev['micro_f1'])} "
            + (f"(sentences alone {fmt(alone['macro_f1'])} / {fmt(alone['micro_f1'])}) " if alone else "")
            + f"| actor F1 strict {fmt(ac['strict']['micro_f1'])} overlap {fmt(ac['overlap']['micro_f1'])}")
