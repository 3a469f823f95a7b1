"""Small-data honesty: K-fold cross-validation grouped by article, and cross-lingual transfer.

Both train real models through :func:`sucesos.training.trainer.run_training` on split files
written to a work directory, so they use exactly the configured pipeline.
"""

from __future__ import annotations

import contextlib
import copy
import json
import tempfile
from pathlib import Path

import numpy as np

from sucesos.errors import SucesosError
from sucesos.fileio import write_json_atomic, write_jsonl_atomic
from sucesos.labels.corpus import load_corpus
from sucesos.labels.schema import load_schema
from sucesos.training.config import Config

DEV_PARTS = 6
SUMMARY_KEYS = {
    "event_macro_f1": lambda m: m["events"]["macro_f1"],
    "event_micro_f1": lambda m: m["events"]["micro_f1"],
    "actor_strict_f1": lambda m: m["actors"]["strict"]["micro_f1"],
    "actor_overlap_f1": lambda m: m["actors"]["overlap"]["micro_f1"],
    "event_macro_f1_sentence_alone": lambda m: m.get("events_sentence_alone", {}).get("macro_f1"),
    "tfidf_event_macro_f1": lambda m: m.get("baseline_tfidf", {}).get("macro_f1"),
}


def pool_records(config: Config, schema) -> list[dict]:
    """Every labeled sentence of the config's train, dev and test files: what CV folds are cut from."""
    files = [f for f in (config.data.train, config.data.dev, config.data.test) if f]
    return load_corpus(files, schema)


def fold_assignment(records: list[dict], k: int, seed: int) -> dict[str, int]:
    """Articles → fold, balanced by sentence count (largest articles first, to the lightest fold)."""
    sizes: dict[str, int] = {}
    for r in records:
        sizes[r["article_id"]] = sizes.get(r["article_id"], 0) + 1
    rng = np.random.default_rng(seed)
    articles = sorted(sizes, key=lambda a: (-sizes[a], rng.random()))
    load = [0] * k
    fold = {}
    for a in articles:
        f = int(np.argmin(load))
        fold[a] = f
        load[f] += sizes[a]
    return fold


def _train_and_score(config: Config, event_types, train, dev, test, work: Path, tag: str,
                     predictions: list | None = None) -> dict:
    """Train on ``train`` (selecting on ``dev``), score ``test``; append test predictions if asked."""
    from sucesos.training.trainer import run_training

    cfg = copy.deepcopy(config)
    for name, records in (("train", train), ("dev", dev), ("test", test)):
        write_jsonl_atomic(work / f"{tag}-{name}.jsonl", records)
    cfg.data.train, cfg.data.dev, cfg.data.test = (str(work / f"{tag}-{n}.jsonl") for n in ("train", "dev", "test"))
    cfg.data.languages = None
    cfg.output.dir = str(work / f"{tag}-model")
    predicted: list[dict] = []
    metrics = run_training(cfg, overwrite=True, test_predictions=predicted)["test"]
    if predictions is not None:
        saved = json.loads((Path(cfg.output.dir) / "config.json").read_text())
        thresholds = {"thresholds": saved["thresholds"], "context_thresholds": saved.get("context_thresholds")}
        predictions.extend(_held_out_records(test, predicted, thresholds, tag))
    # the TF-IDF + logistic-regression baseline on the same train/test sentences, for the margin
    from sucesos.training.baseline import TfidfLogReg
    from sucesos.training.metrics.core import event_scores

    baseline = TfidfLogReg(event_types, seed=config.training.seed).fit(train)
    metrics["baseline_tfidf"] = event_scores(baseline.predict([r["text"] for r in test]),
                                             [r["events"] for r in test], list(event_types))
    return metrics


def _held_out_records(test: list[dict], predicted: list[dict], thresholds: dict[str, dict], tag: str) -> list[dict]:
    """A fold model's predictions on its held-out sentences (as scored at the end of its training,
    which equals the saved model reloaded in fp32), gold beside prediction and scores, so that errors
    can be read and decoding rules compared on every sentence without retraining."""
    return [{"fold": tag, "id": r["id"], "article_id": r["article_id"], "language": r["language"], "text": r["text"],
             "gold_events": r["events"], "gold_actors": r["actors"], "events": p["events"], "scores": p["scores"],
             "sentence_scores": p.get("sentence_scores", p["scores"]), "actors": p["actors"], **thresholds}
            for r, p in zip(test, predicted)]


def summarize(runs: list[dict]) -> dict:
    out = {}
    for key, get in SUMMARY_KEYS.items():
        values = [get(m) for m in runs if get(m) is not None]
        out[key] = {"mean": float(np.mean(values)) if values else None,
                    "std": float(np.std(values, ddof=1)) if len(values) > 1 else None, "values": values}
    return out


def fold_splits(records: list[dict], extra: list[dict], k: int, seed: int = 0) -> list[tuple[list, list, list]]:
    """(train, dev, test) of each fold, as :func:`cross_validate` trains them; ``extra`` goes into
    every train split. Benchmarks rebuild a past CV's splits with it (same records, K and seed)."""
    fold = fold_assignment(records, k, seed)
    splits = []
    for f in range(k):
        test = [r for r in records if fold[r["article_id"]] == f]
        rest = [r for r in records if fold[r["article_id"]] != f]
        inner = fold_assignment(rest, DEV_PARTS, seed + f)  # about 1/6 of the rest is dev
        dev = [r for r in rest if inner[r["article_id"]] == 0]
        train = [r for r in rest if inner[r["article_id"]] != 0] + extra
        if not (test and dev and train):
            raise SucesosError(f"--cv {k}: {len(fold)} articles are too few to give every fold test, dev and "
                               "train articles; use a smaller K or more data")
        splits.append((train, dev, test))
    return splits


def cross_validate(config: Config, k: int, output_dir: str, seed: int = 0, keep_models: bool = False,
                   extra_train: list[str] | None = None) -> dict:
    """K models, each scored on the articles it did not see. ``keep_models``: keep every fold's
    split files and model under ``output_dir/folds`` (~0.5 GB a model with e5-small), so decoding
    rules that need each fold's dev scores can be checked later without retraining.

    ``extra_train``: labeled files added to every fold's training sentences and never held out. The
    folds are those of the config's own data alone, so a run with and a run without a candidate
    batch score the same held-out sentences, and the difference is the batch's effect::

        cross_validate(config, 5, "reports/cv5-batch", extra_train=["labels/incoming/h36.jsonl"])
    """
    if k < 2:
        raise SucesosError("--cv needs K >= 2")
    schema = load_schema(config.data.schema)
    records = pool_records(config, schema)
    extra = load_corpus(extra_train, schema) if extra_train else []
    shared = sorted({r["article_id"] for r in extra} & {r["article_id"] for r in records})
    if shared:  # an article both added to training and held out would leak into its own score
        raise SucesosError(f"--cv-extra-train: {len(shared)} article(s) are also in the config's data, "
                           f"e.g. {shared[0]}")
    splits = fold_splits(records, extra, k, seed)  # all folds are checked before the first one trains
    runs: list[dict] = []
    predictions: list[dict] = []
    mode = f"{k}-fold cross-validation grouped by article (dev = 1/{DEV_PARTS} of the other folds' articles)"
    if extra:
        mode += f", plus {len(extra)} sentences in every fold's training split only"
    if keep_models:
        (Path(output_dir) / "folds").mkdir(parents=True, exist_ok=True)
    work = contextlib.nullcontext(str(Path(output_dir) / "folds")) if keep_models else \
        tempfile.TemporaryDirectory(prefix="sucesos-cv-")
    with work as tmp:
        for f, (train, dev, test) in enumerate(splits):
            runs.append(_train_and_score(config, schema.event_types, train, dev, test, Path(tmp), f"fold{f}", predictions))
            # written after every fold (atomically): a long run that is stopped keeps the folds it
            # finished, and "folds_completed" says the summary covers only those
            result = {"mode": mode, "folds_completed": len(runs), "k": k, "summary": summarize(runs), "folds": runs}
            write_jsonl_atomic(Path(output_dir) / "cv_predictions.jsonl", predictions)
            write_json_atomic(Path(output_dir) / "cv_metrics.json", result)
    return result


def cross_lingual(config: Config, train_language: str, eval_language: str, output_dir: str) -> dict:
    """Train on one language's train/dev; score on every sentence of the other language."""
    schema = load_schema(config.data.schema)
    train = [r for r in load_corpus([config.data.train], schema) if r["language"] == train_language]
    dev = [r for r in load_corpus([config.data.dev], schema) if r["language"] == train_language]
    test = [r for r in pool_records(config, schema) if r["language"] == eval_language]
    if not train or not dev or not test:
        raise SucesosError(f"cross-lingual: need {train_language} train and dev sentences and {eval_language} "
                           "sentences; one of them is empty")
    with tempfile.TemporaryDirectory(prefix="sucesos-xl-") as tmp:
        metrics = _train_and_score(config, schema.event_types, train, dev, test, Path(tmp),
                                   f"{train_language}-to-{eval_language}")
    result = {"mode": f"train {train_language} (train+dev), evaluate on all {eval_language} sentences",
              "summary": summarize([metrics]), "metrics": metrics}
    write_json_atomic(Path(output_dir) / f"crosslingual_{train_language}_to_{eval_language}.json", result)
    return result
