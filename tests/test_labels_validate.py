"""``sucesos.labels.validate_files`` and ``sucesos labels validate|stats``: one exact line per defect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sucesos.cli import main
from sucesos.errors import SucesosError
from sucesos.labels import Problem, load_corpus, load_schema, validate_files

TEXT = "Gunmen ambushed a police convoy near Aguililla."


def rec(id_="a-s000", article="a", text=TEXT, events=("ambush",), actors=None, **extra) -> dict:
    if actors is None:
        actors = [{"start": 0, "end": 6, "role": "PERPETRATOR", "text": "Gunmen"},
                  {"start": 16, "end": 31, "role": "VICTIM", "text": "a police convoy"}]
    r = {"id": id_, "article_id": article, "language": "en", "text": text, "events": list(events),
         "actors": actors, "source": {"kind": "test"}}
    r.update(extra)
    return r


def line(r) -> str:
    return json.dumps(r, ensure_ascii=False)


def write(path: Path, lines) -> str:
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def validate_cli(capsys, *files):
    code = main(["labels", "validate", *map(str, files)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_fixture_record_is_clean(schema, tmp_path):
    f = write(tmp_path / "ok.jsonl", [line(rec())])
    assert validate_files([f], schema) == []


def test_clean_file_exit_0(capsys, tmp_path):
    f = write(tmp_path / "ok.jsonl", [line(rec()), "", line(rec("a-s001", events=(), actors=[]))])
    code, out, err = validate_cli(capsys, f)
    assert code == 0
    assert out == ["ok: 2 sentences in 1 file(s)"]
    assert err == ""


@pytest.mark.parametrize("bad, message", [
    ('{"id": "a-s000",', "malformed JSON (Expecting property name enclosed in double quotes)"),
    ("not json", "malformed JSON (Expecting value)"),
    ("[1, 2", "malformed JSON (Expecting ',' delimiter)"),
    ("[1, 2]", "expected a JSON object"),
])
def test_malformed_json(capsys, tmp_path, bad, message):
    f = write(tmp_path / "c.jsonl", [line(rec()), bad])
    code, out, _ = validate_cli(capsys, f)
    assert code == 1
    assert out == [f"{f}:2: {message}"]


def test_not_utf8(capsys, tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_bytes(line(rec()).encode() + b"\n" + line(rec("a-s001")).encode("latin-1").replace(b"Gunmen", b"G\xfcnmen") + b"\n")
    code, out, _ = validate_cli(capsys, f)
    assert code == 1
    assert out == [f"{f}:2: not valid UTF-8"]


def test_missing_field(capsys, tmp_path):
    r = rec()
    del r["article_id"]
    r2 = rec("a-s001")
    del r2["events"], r2["source"]
    f = write(tmp_path / "c.jsonl", [line(r), line(r2)])
    code, out, _ = validate_cli(capsys, f)
    assert code == 1
    assert out == [f"{f}:1: missing field 'article_id'",
                   f"{f}:2: missing field 'events'",
                   f"{f}:2: missing field 'source'"]


def test_empty_string_field(capsys, tmp_path):
    f = write(tmp_path / "c.jsonl", [line(rec(language=""))])
    code, out, _ = validate_cli(capsys, f)
    assert (code, out) == (1, [f"{f}:1: field 'language' must be a non-empty string"])


def test_unknown_event_type(capsys, tmp_path):
    f = write(tmp_path / "c.jsonl", [line(rec(events=("ambush", "extortion")))])
    code, out, _ = validate_cli(capsys, f)
    assert (code, out) == (1, [f"{f}:1: unknown event type 'extortion'"])


def test_duplicate_event_type(capsys, tmp_path):
    f = write(tmp_path / "c.jsonl", [line(rec(events=("ambush", "ambush")))])
    code, out, _ = validate_cli(capsys, f)
    assert (code, out) == (1, [f"{f}:1: duplicate event type"])


def test_unknown_role(capsys, tmp_path):
    actors = [{"start": 0, "end": 6, "role": "SHOOTER", "text": "Gunmen"}]
    f = write(tmp_path / "c.jsonl", [line(rec(actors=actors))])
    code, out, _ = validate_cli(capsys, f)
    assert (code, out) == (1, [f"{f}:1: unknown role 'SHOOTER'"])


@pytest.mark.parametrize("start, end", [(40, 60), (-1, 6), (6, 6), (10, 5)])
def test_span_outside_text(capsys, tmp_path, start, end):
    actors = [{"start": start, "end": end, "role": "VICTIM", "text": "x"}]
    f = write(tmp_path / "c.jsonl", [line(rec(actors=actors))])
    code, out, _ = validate_cli(capsys, f)
    assert (code, out) == (1, [f"{f}:1: span [{start}, {end}) outside the text (length {len(TEXT)})"])


def test_span_text_mismatch(capsys, tmp_path):
    actors = [{"start": 0, "end": 6, "role": "PERPETRATOR", "text": "Gunman"}]
    f = write(tmp_path / "c.jsonl", [line(rec(actors=actors))])
    code, out, _ = validate_cli(capsys, f)
    assert (code, out) == (1, [f"{f}:1: span [0, 6) text 'Gunman' does not match 'Gunmen'"])


def test_span_offsets_must_be_integers(capsys, tmp_path):
    actors = [{"start": 0, "end": 6.0, "role": "PERPETRATOR", "text": "Gunmen"}]
    f = write(tmp_path / "c.jsonl", [line(rec(actors=actors))])
    code, out, _ = validate_cli(capsys, f)
    assert (code, out) == (1, [f"{f}:1: actors[0] start and end must be integers"])


def test_overlapping_spans(capsys, tmp_path):
    actors = [{"start": 16, "end": 31, "role": "VICTIM", "text": "a police convoy"},
              {"start": 18, "end": 24, "role": "AUTHORITY", "text": "police"}]
    f = write(tmp_path / "c.jsonl", [line(rec(actors=actors))])
    code, out, _ = validate_cli(capsys, f)
    assert (code, out) == (1, [f"{f}:1: spans [16, 31) and [18, 24) overlap"])


def test_adjacent_spans_do_not_overlap(schema, tmp_path):
    text = "Gunmen ambushed police."
    actors = [{"start": 0, "end": 3, "role": "PERPETRATOR", "text": "Gun"},
              {"start": 3, "end": 6, "role": "PERPETRATOR", "text": "men"}]
    f = write(tmp_path / "c.jsonl", [line(rec(text=text, actors=actors))])
    assert validate_files([f], schema) == []


@pytest.mark.parametrize("start, end, span", [(15, 31, " a police convoy"), (16, 32, "a police convoy ")])
def test_span_with_whitespace(capsys, tmp_path, start, end, span):
    actors = [{"start": start, "end": end, "role": "VICTIM", "text": span}]
    f = write(tmp_path / "c.jsonl", [line(rec(actors=actors))])
    code, out, _ = validate_cli(capsys, f)
    assert (code, out) == (1, [f"{f}:1: span [{start}, {end}) {span!r} has leading or trailing whitespace"])


def test_duplicate_id_across_two_files(capsys, tmp_path):
    a = write(tmp_path / "train.jsonl", [line(rec("x-s000", article="x"))])
    b = write(tmp_path / "dev.jsonl", [line(rec("y-s000", article="y")), line(rec("x-s000", article="y"))])
    code, out, _ = validate_cli(capsys, a, b)
    assert code == 1
    assert out == [f"{b}:2: duplicate id 'x-s000' (first at {a}:1)"]


def test_duplicate_id_within_one_file(schema, tmp_path):
    a = write(tmp_path / "train.jsonl", [line(rec("x-s000")), line(rec("x-s001")), line(rec("x-s000"))])
    assert validate_files([a], schema) == [Problem(a, 3, f"duplicate id 'x-s000' (first at {a}:1)")]


def test_article_in_two_split_files(capsys, tmp_path):
    a = write(tmp_path / "train.jsonl", [line(rec("art-s000", article="art"))])
    b = write(tmp_path / "test.jsonl", [line(rec("art-s001", article="art")), line(rec("art-s002", article="art"))])
    code, out, _ = validate_cli(capsys, a, b)
    assert code == 1
    # reported once per further file, not once per sentence
    assert out == [f"{b}:1: article 'art' is also in {a}"]


def test_article_in_three_files_reported_per_file(schema, tmp_path):
    a = write(tmp_path / "train.jsonl", [line(rec("art-s000", article="art"))])
    b = write(tmp_path / "dev.jsonl", [line(rec("art-s001", article="art"))])
    c = write(tmp_path / "test.jsonl", [line(rec("art-s002", article="art"))])
    assert [str(p) for p in validate_files([a, b, c], schema)] == [
        f"{b}:1: article 'art' is also in {a}", f"{c}:1: article 'art' is also in {b}"]


def test_all_defects_of_a_file_reported(capsys, tmp_path):
    bad_span = [{"start": 0, "end": 6, "role": "PERPETRATOR", "text": "Gunmen"},
                {"start": 2, "end": 9, "role": "SHOOTER", "text": "nmen am"},
                {"start": 16, "end": 31, "role": "VICTIM", "text": "a police car"}]
    lines = [
        line(rec("a-s000")),                              # clean
        "{oops",                                          # 2: malformed
        line(rec("a-s002", events=("bombing",))),         # 3: unknown type
        line(rec("a-s003", actors=bad_span)),              # 4: unknown role + overlap + mismatch
        line(rec("a-s000")),                              # 5: duplicate id
        line(rec("a-s005")),                              # clean
    ]
    f = write(tmp_path / "c.jsonl", lines)
    code, out, err = validate_cli(capsys, f)
    assert code == 1
    assert out == [
        f"{f}:2: malformed JSON (Expecting property name enclosed in double quotes)",
        f"{f}:3: unknown event type 'bombing'",
        f"{f}:4: unknown role 'SHOOTER'",
        f"{f}:4: span [16, 31) text 'a police car' does not match 'a police convoy'",
        f"{f}:5: duplicate id 'a-s000' (first at {f}:1)",
    ]
    assert "5 problem(s) in 1 file(s)" in err
    # same list from the library call
    assert [str(p) for p in validate_files([f], load_schema())] == out


def test_overlap_reported_alongside_other_problems(schema, tmp_path):
    actors = [{"start": 0, "end": 6, "role": "PERPETRATOR", "text": "Gunmen"},
              {"start": 2, "end": 9, "role": "SHOOTER", "text": "nmen am"},
              {"start": 4, "end": 15, "role": "VICTIM", "text": "en ambushed"}]
    f = write(tmp_path / "c.jsonl", [line(rec(actors=actors))])
    # actor 1 has an unknown role (so it is not range-checked); actors 0 and 2 overlap
    assert [p.message for p in validate_files([f], schema)] == [
        "unknown role 'SHOOTER'", "spans [0, 6) and [4, 15) overlap"]


def test_load_corpus_stops_with_first_defect(schema, tmp_path):
    f = write(tmp_path / "c.jsonl", [line(rec()), "{oops", line(rec("a-s002", events=("bombing",)))])
    with pytest.raises(SucesosError) as info:
        load_corpus([f], schema)
    assert str(info.value) == (f"{f}:2: malformed JSON (Expecting property name enclosed in double quotes) "
                               "(and 1 more; run 'sucesos labels validate')")


def test_missing_file_is_a_problem(capsys, tmp_path):
    missing = tmp_path / "nope.jsonl"
    code, out, _ = validate_cli(capsys, missing)
    assert code == 1
    assert out == [f"{missing}:0: cannot read file: No such file or directory"]


def test_stats_table(capsys, tmp_path):
    v = {"start": 16, "end": 31, "role": "VICTIM", "text": "a police convoy"}
    p = {"start": 0, "end": 6, "role": "PERPETRATOR", "text": "Gunmen"}
    train = write(tmp_path / "train.jsonl", [
        line(rec("a-s000", article="a", actors=[p, v])),
        line(rec("a-s001", article="a", events=(), actors=[])),
        line(rec("b-s000", article="b", language="es", events=("ambush", "arrest"), actors=[v])),
    ])
    dev = write(tmp_path / "dev.jsonl", [line(rec("c-s000", article="c", events=("threat",), actors=[p]))])
    code = main(["labels", "stats", train, dev])
    out = capsys.readouterr().out
    assert code == 0
    rows = {}
    for row in out.splitlines()[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    header = [c.strip() for c in out.splitlines()[0].strip("|").split("|")]
    assert header[1:] == ["train", "dev", "total"]
    assert rows["articles"] == ["2", "1", "3"]
    assert rows["sentences"] == ["3", "1", "4"]
    assert rows["language en"] == ["2 (67%)", "1 (100%)", "3 (75%)"]
    assert rows["language es"] == ["1 (33%)", "0 (0%)", "1 (25%)"]
    assert rows["none (no event)"] == ["1 (33%)", "0 (0%)", "1 (25%)"]
    assert rows["event ambush"] == ["2", "0", "2"]
    assert rows["event arrest"] == ["1", "0", "1"]
    assert rows["event threat"] == ["0", "1", "1"]
    assert rows["event kidnapping"] == ["0", "0", "0"]
    assert rows["actor spans"] == ["3", "1", "4"]
    assert rows["role PERPETRATOR"] == ["1", "1", "2"]
    assert rows["role VICTIM"] == ["2", "0", "2"]
    assert rows["role AUTHORITY"] == ["0", "0", "0"]

    assert main(["labels", "stats", "--json", train, dev]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["total"]["events"]["ambush"] == 2 and stats["dev"]["sentences"] == 1


def test_stats_refuses_invalid_data(capsys, tmp_path):
    f = write(tmp_path / "train.jsonl", [line(rec(events=("bombing",)))])
    assert main(["labels", "stats", f]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: {f}:1: unknown event type 'bombing'\n"


def test_atomic_writes_get_normal_permissions(tmp_path):
    import os

    from sucesos.fileio import write_text_atomic

    target = tmp_path / "out.txt"
    write_text_atomic(target, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left behind
