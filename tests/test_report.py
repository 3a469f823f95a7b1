"""``sucesos evaluate``: report files, bad-data refusal, CV and cross-lingual modes (tiny encoder)."""

import json

import pytest

from sucesos.cli import main
from sucesos.errors import SucesosError
from sucesos.training.trainer import run_training


@pytest.fixture()
def tiny_model(tiny_config):
    run_training(tiny_config)
    return tiny_config.output.dir


def test_report_files_and_contents(tiny_model, tiny_corpus, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["evaluate", "--model", tiny_model, "--data", str(tiny_corpus["test"]), "--output-dir", str(out),
                 "--bootstrap", "50"]) == 0
    for name in ("metrics.json", "report.md", "report.html", "predictions.jsonl", "confusion.png", "pr_curves.png",
                 "reliability.png"):
        assert (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text())
    ci = metrics["bootstrap"]["event_macro_f1"]
    assert ci["low"] <= ci["high"] and ci["resampled_unit"] == "article"
    assert set(metrics["baselines"]) == {"majority class", "TF-IDF + logistic regression"}
    assert set(metrics["metrics"]["by_language"]) == {"en", "es"}
    assert metrics["provenance"]["data"][0]["sha256"] and metrics["provenance"]["config_sha256"]
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    lines = (out / "predictions.jsonl").read_text().splitlines()
    assert len(lines) == sum(1 for _ in open(tiny_corpus["test"]))


def test_report_with_second_annotation(tiny_model, tiny_corpus, tmp_path, capsys):
    """The second annotator is scored against the gold like a model: identical labels score 1.0,
    one dropped event type lowers the event F1 and leaves the spans untouched."""
    records = [json.loads(line) for line in open(tiny_corpus["test"])]
    changed = next(r for r in records if r["events"])
    changed["events"] = changed["events"][1:]
    second = tmp_path / "second.jsonl"
    second.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "report"
    assert main(["evaluate", "--model", tiny_model, "--data", str(tiny_corpus["test"]), "--output-dir", str(out),
                 "--bootstrap", "20", "--second-annotation", str(second)]) == 0
    ref = json.loads((out / "metrics.json").read_text())["second_annotator"]
    assert ref["events"]["micro_f1"] < 1.0
    assert ref["actors"] == {"strict": 1.0, "overlap": 1.0}
    assert "| second annotator |" in (out / "report.md").read_text()
    short = tmp_path / "short.jsonl"
    short.write_text("".join(json.dumps(r) + "\n" for r in records[:-1]))
    assert main(["evaluate", "--model", tiny_model, "--data", str(tiny_corpus["test"]), "--output-dir",
                 str(tmp_path / "r2"), "--second-annotation", str(short)]) == 2
    assert f"{short}: sentence '{records[-1]['id']}' is missing" in capsys.readouterr().err


def test_report_refuses_unknown_label(tiny_model, tiny_corpus, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    rec = json.loads(open(tiny_corpus["test"]).readline())
    rec["events"] = ["extortion"]
    bad.write_text(json.dumps(rec) + "\n")
    assert main(["evaluate", "--model", tiny_model, "--data", str(bad), "--output-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: unknown event type 'extortion'" in err
    assert not (tmp_path / "r" / "metrics.json").exists()


def test_cross_validation_and_cross_lingual(tiny_config, tmp_path, capsys):
    from sucesos.training import crossval

    tiny_config.training.epochs = 1.0
    result = crossval.cross_validate(tiny_config, 2, str(tmp_path), keep_models=True)
    assert len(result["folds"]) == 2
    for f in ("fold0", "fold1"):  # kept for later decoding checks: each fold's splits and model
        assert (tmp_path / "folds" / f"{f}-dev.jsonl").exists()
        assert (tmp_path / "folds" / f"{f}-model" / "model.safetensors").exists()
    assert len(result["summary"]["event_macro_f1"]["values"]) == 2
    assert len(result["summary"]["tfidf_event_macro_f1"]["values"]) == 2  # the baseline on the same folds
    assert all(0.0 <= f["baseline_tfidf"]["macro_f1"] <= 1.0 for f in result["folds"])
    assert json.loads((tmp_path / "cv_metrics.json").read_text())["folds_completed"] == 2
    # every pooled sentence is predicted exactly once, by the model that did not train on it
    held_out = [json.loads(line) for line in open(tmp_path / "cv_predictions.jsonl")]
    pooled = [json.loads(line) for f in ("train", "dev", "test") for line in open(getattr(tiny_config.data, f))]
    assert sorted(p["id"] for p in held_out) == sorted(r["id"] for r in pooled)
    assert {p["fold"] for p in held_out} == {"fold0", "fold1"}
    first = held_out[0]
    assert set(first["scores"]) == set(first["thresholds"]) == set(first["context_thresholds"])
    assert set(first["sentence_scores"]) == set(first["scores"]) and "gold_events" in first
    assert all(0.0 <= v <= 1.0 for v in first["scores"].values())
    xl = crossval.cross_lingual(tiny_config, "en", "es", str(tmp_path))
    assert set(xl["metrics"]["by_language"]) == {"es"}


def test_cross_validation_extra_train_is_never_held_out(tiny_config, tmp_path):
    """--cv-extra-train: the added articles join every fold's training split only, and the folds
    are those of the config's data alone (the same held-out sentences as a run without them)."""
    from sucesos.training import crossval

    extra = []
    for line in open(tiny_config.data.train):
        record = json.loads(line)
        record["id"], record["article_id"] = "x" + record["id"], "x" + record["article_id"]
        extra.append(record)
    extra_file = tmp_path / "extra.jsonl"
    extra_file.write_text("".join(json.dumps(r) + "\n" for r in extra))
    tiny_config.training.epochs = 1.0
    result = crossval.cross_validate(tiny_config, 2, str(tmp_path / "cv"), keep_models=True,
                                     extra_train=[str(extra_file)])
    assert "plus %d sentences" % len(extra) in result["mode"]
    folds = tmp_path / "cv" / "folds"
    for f in ("fold0", "fold1"):
        ids = {name: {json.loads(line)["id"] for line in open(folds / f"{f}-{name}.jsonl")}
               for name in ("train", "dev", "test")}
        assert {r["id"] for r in extra} <= ids["train"]
        assert not any(i.startswith("x") for i in ids["dev"] | ids["test"])
    held_out = [json.loads(line) for line in open(tmp_path / "cv" / "cv_predictions.jsonl")]
    pooled = [json.loads(line) for f in ("train", "dev", "test") for line in open(getattr(tiny_config.data, f))]
    assert sorted(p["id"] for p in held_out) == sorted(r["id"] for r in pooled)


def test_cross_validation_extra_train_overlapping_the_data_is_refused(tiny_config, tmp_path):
    from sucesos.training import crossval

    with pytest.raises(SucesosError, match="--cv-extra-train: .* also in the config's data"):
        crossval.cross_validate(tiny_config, 2, str(tmp_path / "cv"), extra_train=[str(tiny_config.data.dev)])
    assert not (tmp_path / "cv" / "cv_metrics.json").exists()


def test_cross_validation_with_too_few_articles_stops_before_training(tiny_config, tmp_path):
    from sucesos.training import crossval

    with pytest.raises(SucesosError, match="too few to give every fold"):
        crossval.cross_validate(tiny_config, 50, str(tmp_path))
    assert not (tmp_path / "cv_metrics.json").exists()


def test_fold_assignment_groups_articles():
    from sucesos.training.crossval import fold_assignment

    records = [{"article_id": f"a{i // 3}"} for i in range(30)]
    fold = fold_assignment(records, 3, seed=0)
    assert set(fold.values()) == {0, 1, 2}
    sizes = [sum(1 for r in records if fold[r["article_id"]] == f) for f in range(3)]
    assert max(sizes) - min(sizes) <= 3


def test_cv_extra_train_leaves_overrides_written_after_it():
    """argparse gives ``--cv-extra-train FILE...`` every following word; KEY=VALUE words among them
    are overrides (they used to stop the run with "cannot read file")."""
    from sucesos.cli import build_parser
    from sucesos.training.report_cli import split_overrides

    args = build_parser().parse_args(["evaluate", "--cv", "5", "--config", "c.yaml", "--output-dir", "o",
                                      "model.dropout=0.2", "--cv-extra-train", "a.jsonl", "b.jsonl",
                                      "training.epochs=5.0"])
    files, overrides = split_overrides(args.cv_extra_train, args.overrides)
    assert files == ["a.jsonl", "b.jsonl"]
    assert overrides == ["model.dropout=0.2", "training.epochs=5.0"]
    repeated = build_parser().parse_args(["evaluate", "--cv", "5", "--config", "c.yaml", "--output-dir", "o",
                                          "--cv-extra-train", "a.jsonl", "--cv-extra-train", "b.jsonl"])
    assert repeated.cv_extra_train == ["a.jsonl", "b.jsonl"]
    with pytest.raises(SucesosError, match="needs at least one FILE"):
        split_overrides(["training.epochs=5.0"], [])
