"""``sucesos predict`` end to end on a tiny trained model: mixed inputs, error records, order,
offsets, CSV, shards, resume after a kill, thresholds, and long-sentence windows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from sucesos.cli import main
from sucesos.inference import EventTagger
from sucesos.training.config import load_config
from sucesos.training.trainer import run_training

ARTICLE_EN = "Gunmen ambushed a police convoy near Aguililla, killing 13 officers. Federal agents arrested two suspects."
ARTICLE_ES = "Sicarios emboscaron a una patrulla de la policía estatal en Michoacán. La Fiscalía detuvo a cinco presuntos."


@pytest.fixture(scope="module")
def model_dir(tiny_corpus, tiny_encoder, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("predict-model") / "model"
    config = load_config(None, [
        f"data.train={tiny_corpus['train']}", f"data.dev={tiny_corpus['dev']}", f"data.test={tiny_corpus['test']}",
        f"model.encoder={tiny_encoder}", "model.max_length=32", "model.freeze_word_embeddings=false", "model.freeze_layers=0",
        "training.epochs=2", "training.batch_size=8", "training.learning_rate=1.0e-3", "training.num_threads=2",
        f"output.dir={out}",
    ])
    run_training(config)
    return str(out)


@pytest.fixture()
def mixed_inputs(tmp_path) -> tuple[list[str], list[str]]:
    """Inputs of every kind, and the ids expected in the output, in order."""
    (tmp_path / "a.txt").write_text(ARTICLE_EN, encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "b.txt").write_text(ARTICLE_ES, encoding="utf-8")
    (folder / "c.html").write_text("<html><body><p>Gunmen ambushed a convoy.</p><p>Two officers died.</p></body></html>",
                                   encoding="utf-8")
    (folder / "ignored.json").write_text("{}", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("El alcalde fue asesinado en Michoac\xe1n.".encode("latin-1"))
    (tmp_path / "empty.txt").write_text("   \n\t ", encoding="utf-8")
    jsonl = tmp_path / "articles.jsonl"
    jsonl.write_text("\n".join([
        json.dumps({"id": "j1", "text": ARTICLE_EN, "date": "2023-05-01", "url": "https://example.org/1"}),
        "{not json",
        json.dumps({"id": "j3", "title": "no text field"}),
        "",
        json.dumps({"id": "j4", "text": ARTICLE_ES}),
    ]) + "\n", encoding="utf-8")
    table = tmp_path / "articles.csv"
    with open(table, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "text"])
        w.writerow(["c1", "first", ARTICLE_EN])
        w.writerow(["c2", "second", ""])
    inputs = [str(tmp_path / "a.txt"), str(folder), str(tmp_path / "latin1.txt"), str(tmp_path / "empty.txt"),
              str(jsonl), str(table)]
    expected = ["a.txt", "b.txt", "c.html", "latin1.txt", "empty.txt", "j1", f"{jsonl}:2", "j3", "j4", "c1", "c2"]
    return inputs, expected


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_mixed_inputs_one_line_per_article_in_order(model_dir, mixed_inputs, tmp_path, capsys):
    inputs, expected = mixed_inputs
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", model_dir, *inputs, "--output", str(out), "--quiet"]) == 0
    records = read_jsonl(out)
    assert [r["id"] for r in records] == expected
    assert not Path(str(out) + ".partial").exists()
    by_id = {r["id"]: r for r in records}
    assert by_id["empty.txt"]["error"] == "empty article (no text)"
    assert "malformed JSON" in by_id[expected[6]]["error"]
    assert "no string field 'text'" in by_id["j3"]["error"] and by_id["j3"]["title"] == "no text field"
    assert by_id["c2"]["error"] == "empty article (no text)"
    assert "not valid UTF-8" in by_id["latin1.txt"]["warnings"][0]
    assert by_id["j1"]["date"] == "2023-05-01" and by_id["j1"]["url"] == "https://example.org/1"
    assert by_id["c1"]["title"] == "first"
    assert "<p>" not in json.dumps(by_id["c.html"]) and len(by_id["c.html"]["sentences"]) == 2
    assert by_id["j4"]["language"] == "es" and by_id["a.txt"]["language"] == "en"

    event_types = EventTagger.from_pretrained(model_dir).event_types
    for record, text in ((by_id["a.txt"], ARTICLE_EN), (by_id["j4"], ARTICLE_ES), (by_id["c1"], ARTICLE_EN)):
        assert len(record["sentences"]) == 2
        for s in record["sentences"]:
            assert text[s["start"]:s["end"]] == s["text"]
            assert list(s["scores"]) == event_types
            for a in s["actors"]:
                assert text[a["start"]:a["end"]] == a["text"] and 0.0 <= a["score"] <= 1.0
        assert set(record["summary"]["events"]) == set(event_types)
        for t in event_types:
            assert record["summary"]["events"][t] == max(s["scores"][t] for s in record["sentences"])
    assert "11 articles" in capsys.readouterr().err


def test_csv_format_one_row_per_sentence(model_dir, mixed_inputs, tmp_path):
    inputs, _ = mixed_inputs
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", model_dir, *inputs, "--output", str(out), "--format", "csv", "-q"]) == 0
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert "score_ambush" in rows[0] and "error" in rows[0]
    assert [r["sentence"] for r in rows if r["id"] == "a.txt"] == ["0", "1"]
    assert any(r["id"] == "empty.txt" and r["error"] for r in rows)


def test_threshold_zero_marks_every_type(model_dir, tmp_path):
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE_EN, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", model_dir, str(src), "--output", str(out), "--threshold", "0.0", "-q"]) == 0
    (record,) = read_jsonl(out)
    types = EventTagger.from_pretrained(model_dir).event_types
    assert all(s["events"] == types for s in record["sentences"])


def test_no_article_context_scores_each_sentence_alone(model_dir, tmp_path):
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE_EN, encoding="utf-8")
    runs = {}
    for name, extra in (("context", []), ("alone", ["--no-article-context"])):
        out = tmp_path / f"{name}.jsonl"
        assert main(["predict", "--model", model_dir, str(src), "--output", str(out), "-q", *extra]) == 0
        (record,) = read_jsonl(out)
        runs[name] = record["sentences"]
    tagger = EventTagger.from_pretrained(model_dir)
    alone = tagger.predict_sentences([s["text"] for s in runs["alone"]])
    assert [s["scores"] for s in runs["alone"]] == [r["scores"] for r in alone]
    assert [s["scores"] for s in runs["context"]] != [r["scores"] for r in alone]  # the default config has context on


def test_bad_arguments_exit_2_with_one_line(model_dir, tmp_path, capsys):
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE_EN, encoding="utf-8")
    out = str(tmp_path / "o.jsonl")
    assert main(["predict", "--model", model_dir, str(src), "--output", out, "--threshold", "1.5"]) == 2
    assert main(["predict", "--model", model_dir, str(tmp_path / "missing.txt"), "--output", out]) == 2
    assert main(["predict", "--model", str(tmp_path), str(src), "--output", out]) == 2
    table = tmp_path / "t.csv"
    table.write_text("id,body\n1,Gunmen ambushed a convoy.\n", encoding="utf-8")
    assert main(["predict", "--model", model_dir, str(src), str(table), "--output", out]) == 2
    err = capsys.readouterr().err
    assert "error: --threshold must be between 0 and 1\n" in err
    assert f"error: {tmp_path / 'missing.txt'}: input not found\n" in err
    assert "not a sucesos model directory" in err
    assert f"error: {table}: CSV has no 'text' column (use --text-column)\n" in err
    assert not list(tmp_path.glob("o.jsonl*"))  # nothing written, not even a partial file


def test_shards_partition_the_input(model_dir, tmp_path):
    lines = [json.dumps({"id": f"art-{i}", "text": ARTICLE_EN if i % 2 else ARTICLE_ES}) for i in range(12)]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen = []
    for shard in range(3):
        out = tmp_path / f"shard{shard}.jsonl"
        assert main(["predict", "--model", model_dir, str(src), "--output", str(out), "--num-shards", "3",
                     "--shard-index", str(shard), "-q"]) == 0
        ids = [r["id"] for r in read_jsonl(out)]
        assert ids == sorted(ids, key=lambda x: int(x.split("-")[1]))  # input order within a shard
        seen.extend(ids)
    assert sorted(seen) == sorted(f"art-{i}" for i in range(12))  # disjoint and complete


def test_resume_after_a_kill(model_dir, tmp_path, capsys):
    lines = [json.dumps({"id": f"art-{i}", "text": ARTICLE_EN if i % 2 else ARTICLE_ES}) for i in range(6)]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    full = tmp_path / "full.jsonl"
    assert main(["predict", "--model", model_dir, str(src), "--output", str(full), "-q"]) == 0
    full_lines = full.read_text(encoding="utf-8").splitlines(keepends=True)

    # a run killed mid-write: three complete lines and half of the fourth, under OUT.partial
    out = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    partial.write_text("".join(full_lines[:3]) + full_lines[3][:40], encoding="utf-8")
    assert main(["predict", "--model", model_dir, str(src), "--output", str(out), "-q"]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main(["predict", "--model", model_dir, str(src), "--output", str(out), "--resume", "-q"]) == 0
    assert "3 already done" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == full.read_text(encoding="utf-8")
    assert not partial.exists()


def test_stdin_jsonl(model_dir, tmp_path, monkeypatch):
    import io
    import sys

    data = (json.dumps({"id": "s1", "text": ARTICLE_EN}) + "\n").encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", model_dir, "-", "--stdin-format", "jsonl", "--output", str(out), "-q"]) == 0
    assert [r["id"] for r in read_jsonl(out)] == ["s1"]


def test_long_sentence_is_windowed_not_truncated(model_dir):
    tagger = EventTagger.from_pretrained(model_dir)
    words = ("Gunmen ambushed a police convoy near Aguililla killing officers and " * 30).split()
    sentence = " ".join(words)
    windows = tagger._windows([[(w, 0, 0) for w in words]])
    budget = tagger.max_length - len(tagger.prefix) - len(tagger.suffix)
    assert len(windows) > 2
    covered = set()
    for _, ids, wids in windows:
        assert len(ids) <= budget
        covered.update(w for w in wids if w is not None)
    assert covered == set(range(len(words)))  # every word is seen by some window
    result = tagger.predict_sentences(sentence)
    for a in result["actors"]:
        assert sentence[a["start"]:a["end"]] == a["text"]


def test_precision_option(model_dir, tmp_path, capsys, monkeypatch):
    import torch

    from sucesos.errors import SucesosError
    from sucesos.inference import tagger as tagger_module

    with pytest.raises(SucesosError, match="precision must be one of"):
        EventTagger.from_pretrained(model_dir, precision="int4")
    # auto: exact fp32 on a CPU without bf16 matrix units, bf16 on an AMX CPU and on a GPU
    monkeypatch.setattr(tagger_module, "cpu_has_bf16_matrix_units", lambda: False)
    assert EventTagger.from_pretrained(model_dir, device="cpu").precision == "fp32"
    monkeypatch.setattr(tagger_module, "cpu_has_bf16_matrix_units", lambda: True)
    assert EventTagger.from_pretrained(model_dir, device="cpu").precision == "bf16"
    assert tagger_module.resolve_precision("auto", torch.device("cuda")) == "bf16"
    assert tagger_module.resolve_precision("fp32", torch.device("cuda")) == "fp32"
    monkeypatch.undo()
    fp32 = EventTagger.from_pretrained(model_dir, precision="fp32").predict_sentences(ARTICLE_EN)
    bf16 = EventTagger.from_pretrained(model_dir, precision="bf16").predict_sentences(ARTICLE_EN)
    for t, p in fp32["scores"].items():
        assert abs(bf16["scores"][t] - p) < 0.05, t  # bf16 autocast: close, not bit-identical
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE_EN, encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["predict", "--model", model_dir, str(src), "--output", str(out), "--precision", "bf16", "-q"]) == 0
    assert read_jsonl(out)[0]["id"] == "a.txt"


def test_batching_and_padding_do_not_change_fp32_results(model_dir, monkeypatch):
    # length-sorted batches padded to a multiple of PAD_MULTIPLE vs. each sentence alone, unpadded
    from sucesos.inference import tagger as tagger_module

    tagger = EventTagger.from_pretrained(model_dir, precision="fp32")
    sentences = [ARTICLE_EN, "Two officers died.", ARTICLE_ES * 2, "Sicarios.", ARTICLE_EN + " " + ARTICLE_ES]
    assert len({len(tagger.tokenizer(s)["input_ids"]) % tagger_module.PAD_MULTIPLE for s in sentences}) > 1
    batched = tagger.predict_sentences(sentences, batch_size=64)
    monkeypatch.setattr(tagger_module, "PAD_MULTIPLE", 1)
    alone = [tagger.predict_sentences(s, batch_size=1) for s in sentences]
    spans = lambda r: [(a["start"], a["end"], a["role"]) for a in r["actors"]]
    for b, a in zip(batched, alone):
        assert b["events"] == a["events"] and spans(b) == spans(a)
        for t in b["scores"]:
            assert abs(b["scores"][t] - a["scores"][t]) < 1e-3, t
