"""``sucesos labels agreement``: inter-annotator agreement of two labelings of the same sentences."""

from __future__ import annotations

import json

import pytest

from sucesos.cli import main
from sucesos.labels import load_schema
from sucesos.labels.agreement import agreement

TEXT = "Gunmen ambushed a police convoy near Aguililla."
GUNMEN = {"start": 0, "end": 6, "role": "PERPETRATOR", "text": "Gunmen"}
CONVOY = {"start": 16, "end": 31, "role": "VICTIM", "text": "a police convoy"}
POLICE = {"start": 18, "end": 24, "role": "VICTIM", "text": "police"}


def rec(i: int, events, actors, text=TEXT) -> dict:
    return {"id": f"a-s{i:03d}", "article_id": "a", "language": "en", "text": text, "events": list(events),
            "actors": list(actors), "source": {"kind": "test"}}


def write(path, records) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return str(path)


A = [rec(0, ["ambush"], [GUNMEN, CONVOY]), rec(1, ["ambush", "firefight"], [GUNMEN]), rec(2, [], []),
     rec(3, ["arrest"], [])]
B = [rec(0, ["ambush"], [GUNMEN, POLICE]), rec(1, ["ambush"], [GUNMEN]), rec(2, ["threat"], []),
     rec(3, ["arrest"], [])]


def test_scores_count_each_disagreement():
    result = agreement(A, B, load_schema())
    per_type = result["events"]["per_type"]
    assert per_type["ambush"]["f1"] == 1.0 and per_type["ambush"]["kappa"] == 1.0
    assert per_type["firefight"]["f1"] == 0.0 and (per_type["firefight"]["count_a"], per_type["firefight"]["count_b"]) == (1, 0)
    assert per_type["threat"]["f1"] == 0.0
    assert per_type["kidnapping"]["f1"] is None  # used by neither annotator: no evidence either way
    assert result["events"]["macro_f1"] == pytest.approx((1 + 0 + 0 + 1) / 4)
    assert result["events"]["identical_sentences"] == 0.5
    # Spans: "a police convoy" vs "police" overlap but do not match strictly.
    assert result["actors"]["strict"]["micro_f1"] == pytest.approx(2 * 2 / (3 + 3))
    assert result["actors"]["overlap"]["micro_f1"] == 1.0


def test_symmetric_in_the_two_annotators():
    ab, ba = agreement(A, B, load_schema()), agreement(B, A, load_schema())
    assert ab["events"]["macro_f1"] == ba["events"]["macro_f1"]
    assert ab["events"]["mean_kappa"] == pytest.approx(ba["events"]["mean_kappa"])
    assert ab["actors"]["strict"]["micro_f1"] == ba["actors"]["strict"]["micro_f1"]


def test_cli_table_and_json(tmp_path, capsys):
    a, b = write(tmp_path / "a.jsonl", A), write(tmp_path / "b.jsonl", B)
    out_json = tmp_path / "agreement.json"
    assert main(["labels", "agreement", a, b, "--output", str(out_json)]) == 0
    table = capsys.readouterr().out
    assert "| firefight | 1 | 0 | 0.000 |" in table
    assert json.loads(out_json.read_text())["n_sentences"] == 4


def test_different_sentences_are_one_clear_error(tmp_path, capsys):
    a = write(tmp_path / "a.jsonl", A)
    b = write(tmp_path / "b.jsonl", B[:3])
    assert main(["labels", "agreement", a, b]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {b}: sentence 'a-s003' is missing (1 missing in all)"]
    changed = write(tmp_path / "c.jsonl", B[:3] + [rec(3, ["arrest"], [], text="Police arrested two men.")])
    assert main(["labels", "agreement", a, changed]) != 0
    assert "has a different text" in capsys.readouterr().err


@pytest.mark.parametrize("split", ["dev", "test"])
def test_shipped_second_annotation_pairs_with_its_split(split):
    """The second annotator's files must stay in step with the split (same ids and texts)."""
    from sucesos.labels import load_corpus
    from sucesos.labels.paths import corpus_dir

    schema = load_schema()
    first = load_corpus([corpus_dir() / f"{split}.jsonl"], schema)
    second = load_corpus([corpus_dir().parent / "agreement" / f"{split}.annotator-b.jsonl"], schema)
    result = agreement(first, second, schema)
    assert result["n_sentences"] == len(first)
    # Two careful annotators of the same spec agree far above chance; a collapse means drift.
    assert result["events"]["mean_kappa"] > 0.6
