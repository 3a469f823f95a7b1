"""Label Studio bridge: CLI export → import is byte-exact; annotation choice; labeling config."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sucesos.cli import main
from sucesos.errors import SucesosError
from sucesos.labels import load_schema
from sucesos.labels.labelstudio import from_tasks, labeling_config, to_tasks


def span(text: str, phrase: str, role: str) -> dict:
    start = text.index(phrase)
    return {"start": start, "end": start + len(phrase), "role": role, "text": phrase}


def corpus_records() -> list[dict]:
    t_emoji = "🚨😡 Última hora: sicarios 🔫 emboscaron a policías estatales en Michoacán."
    t_accents = "La Fiscalía detuvo a cinco presuntos integrantes del cártel en Culiacán."
    t_none_actors = "La región es disputada desde hace años por grupos criminales."
    t_plain = "The country recorded nearly 100 homicides per day in 2019."
    t_astral_inside = "Hombres armados 𝐀𝐓𝐀𝐂𝐀𝐑𝐎𝐍 a 👮 policías en Zacatecas."
    return [
        {"id": "art1-s000", "article_id": "art1", "language": "es", "text": t_emoji, "events": ["ambush"],
         "actors": [span(t_emoji, "sicarios", "PERPETRATOR"), span(t_emoji, "policías estatales", "VICTIM")],
         "source": {"kind": "seed", "file": "001_ñandú.txt"}},
        {"id": "art1-s001", "article_id": "art1", "language": "es", "text": t_accents, "events": ["arrest"],
         "actors": [span(t_accents, "La Fiscalía", "AUTHORITY"),
                    span(t_accents, "cinco presuntos integrantes del cártel", "PERPETRATOR")],
         "source": {"kind": "seed", "file": "001_ñandú.txt"}},
        {"id": "art1-s002", "article_id": "art1", "language": "es", "text": t_none_actors, "events": [],
         "actors": [span(t_none_actors, "grupos criminales", "PERPETRATOR")], "source": {"kind": "composed"}},
        {"id": "art2-s000", "article_id": "art2", "language": "en", "text": t_plain, "events": [], "actors": [],
         "source": {"kind": "composed", "based_on": "news"}},
        {"id": "art3-s000", "article_id": "art3", "language": "es", "text": t_astral_inside,
         "events": ["armed_attack", "threat"],
         "actors": [span(t_astral_inside, "Hombres armados", "PERPETRATOR"),
                    span(t_astral_inside, "👮 policías", "VICTIM")],
         "source": {"kind": "composed"}},
    ]


def write_corpus(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_cli_round_trip_is_byte_exact(tmp_path, capsys):
    src = write_corpus(tmp_path / "corpus.jsonl", corpus_records())
    tasks_file, xml_file, back = tmp_path / "tasks.json", tmp_path / "config.xml", tmp_path / "back.jsonl"
    assert main(["labels", "validate", str(src)]) == 0
    assert main(["labels", "export-labelstudio", str(src), "-o", str(tasks_file),
                 "--config-output", str(xml_file)]) == 0
    assert main(["labels", "import-labelstudio", str(tasks_file), "-o", str(back)]) == 0
    out = capsys.readouterr().out
    assert f"wrote 5 tasks to {tasks_file}" in out and f"wrote 5 sentences to {back}" in out
    assert back.read_bytes() == src.read_bytes()
    assert xml_file.read_text(encoding="utf-8") == labeling_config(load_schema())


def test_export_uses_utf16_offsets(tmp_path):
    src = write_corpus(tmp_path / "corpus.jsonl", corpus_records())
    tasks_file = tmp_path / "tasks.json"
    assert main(["labels", "export-labelstudio", str(src), "-o", str(tasks_file)]) == 0
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    assert len(tasks) == 5
    first = tasks[0]
    text = first["data"]["text"]
    spans = [r for r in first["annotations"][0]["result"] if r["type"] == "labels"]
    # "🚨😡 Última hora: " holds two astral characters: each is 2 UTF-16 units
    py_start = text.index("sicarios")
    assert spans[0]["value"]["start"] == py_start + 2
    assert spans[0]["value"]["end"] == py_start + 2 + len("sicarios")
    # the value text is what JavaScript's text.substring(start, end) returns
    u16 = text.encode("utf-16-le")
    for item in spans:
        v = item["value"]
        assert u16[2 * v["start"]:2 * v["end"]].decode("utf-16-le") == v["text"]
    choices = [r for r in first["annotations"][0]["result"] if r["type"] == "choices"]
    assert choices[0]["value"]["choices"] == ["ambush"]
    assert first["data"]["sentence_id"] == "art1-s000" and first["data"]["article_id"] == "art1"
    # a sentence with no events has no choices item; no actors, no labels items
    assert tasks[3]["annotations"][0]["result"] == []


def _task(text="Gunmen fled.", annotations=None, **data):
    return {"id": 7, "data": {"text": text, **data}, "annotations": annotations if annotations is not None else []}


def _ann(id_, events, spans=(), updated_at=None, cancelled=False):
    result = [{"from_name": "events", "to_name": "text", "type": "choices", "value": {"choices": events}}]
    for s, e, role in spans:
        result.append({"from_name": "actors", "to_name": "text", "type": "labels",
                       "value": {"start": s, "end": e, "labels": [role]}})
    a = {"id": id_, "result": result, "was_cancelled": cancelled}
    if updated_at:
        a["updated_at"] = updated_at
    return a


def test_from_tasks_picks_latest_non_cancelled_annotation():
    anns = [
        _ann(1, ["threat"], updated_at="2024-05-01T10:00:00Z"),
        _ann(2, ["ambush"], [(0, 6, "PERPETRATOR")], updated_at="2024-05-03T09:00:00Z"),
        _ann(3, ["arrest"], updated_at="2024-05-04T09:00:00Z", cancelled=True),  # latest, but cancelled
        _ann(4, ["firefight"], updated_at="2024-05-02T09:00:00Z"),
    ]
    [rec] = from_tasks([_task(annotations=anns)])
    assert rec["events"] == ["ambush"]
    assert rec["actors"] == [{"start": 0, "end": 6, "role": "PERPETRATOR", "text": "Gunmen"}]


def test_from_tasks_without_timestamps_takes_highest_id():
    [rec] = from_tasks([_task(annotations=[_ann(5, ["threat"]), _ann(9, ["arrest"]), _ann(2, ["ambush"])])])
    assert rec["events"] == ["arrest"]


def test_from_tasks_defaults_for_missing_metadata():
    [rec] = from_tasks([_task(annotations=[_ann(1, [])])])
    assert rec == {"id": "ls-7", "article_id": "ls-7", "language": "und", "text": "Gunmen fled.", "events": [],
                   "actors": [], "source": {"kind": "labelstudio"}}


@pytest.mark.parametrize("annotations", [[], [_ann(1, ["ambush"], cancelled=True)]])
def test_from_tasks_task_without_annotation_is_an_error(annotations):
    tasks = [_task(annotations=[_ann(1, ["ambush"])]), _task(annotations=annotations)]
    with pytest.raises(SucesosError, match=r"task 1 \(id 7\): no \(non-cancelled\) annotation") as info:
        from_tasks(tasks, where="export.json")
    assert str(info.value).startswith("export.json: ")


def test_from_tasks_task_with_no_annotations_key_is_an_error():
    with pytest.raises(SucesosError, match="no \\(non-cancelled\\) annotation"):
        from_tasks([{"id": 1, "data": {"text": "Hola."}}])


def test_from_tasks_rejects_span_inside_a_surrogate_pair():
    text = "😀 Gunmen fled."
    ann = _ann(1, [], [(1, 8, "PERPETRATOR")])  # UTF-16 offset 1 is inside the emoji
    with pytest.raises(SucesosError, match="not on character boundaries"):
        from_tasks([_task(text=text, annotations=[ann])])
    ok = from_tasks([_task(text=text, annotations=[_ann(1, [], [(3, 9, "PERPETRATOR")])])])
    assert ok[0]["actors"][0]["text"] == "Gunmen"


def test_from_tasks_rejects_non_list():
    with pytest.raises(SucesosError, match="must be a list of tasks"):
        from_tasks({"id": 1})


def test_import_rejects_labels_outside_schema(tmp_path, capsys):
    tasks = to_tasks([{"id": "a-s0", "article_id": "a", "language": "en", "text": "Gunmen fled.",
                       "events": ["extortion"], "actors": [], "source": {"kind": "x"}}])
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["labels", "import-labelstudio", str(export), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {export}: task 0: unknown event type 'extortion'\n"
    assert not out.exists()


def test_labeling_config_holds_every_type_and_role():
    schema = load_schema()
    xml = labeling_config(schema)
    choices = re.findall(r'<Choice value="([^"]+)"/>', xml)
    labels = re.findall(r'<Label value="([^"]+)"/>', xml)
    assert choices == schema.event_types
    assert labels == schema.roles
    assert len(choices) == 8 and len(labels) == 3
    import xml.etree.ElementTree as ET

    root = ET.fromstring(xml)
    assert root.find("Choices").get("name") == "events" and root.find("Choices").get("choice") == "multiple"
    assert root.find("Labels").get("name") == "actors" and root.find("Text").get("value") == "$text"
