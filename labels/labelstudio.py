"""Bridge to Label Studio's JSON export format.

Export writes one task per sentence: the sentence in ``data.text`` (plus ``sentence_id``,
``article_id``, ``language`` and ``source``), and one annotation whose results are a ``choices``
item for the event types and a ``labels`` item per actor span. ``labeling_config`` gives the
matching project XML. Import reads a Label Studio export back.

Label Studio counts text offsets in UTF-16 code units (it is a JavaScript app) while the corpus
counts Python characters, so offsets are converted both ways; a round trip is lossless.

>>> rec = {"id": "a-s000", "article_id": "a", "language": "en", "text": "Gunmen fled.",
...        "events": [], "actors": [{"start": 0, "end": 6, "role": "PERPETRATOR", "text": "Gunmen"}],
...        "source": {"kind": "composed"}}
>>> from_tasks(to_tasks([rec]))[0] == rec
True
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from sucesos.errors import SucesosError
from sucesos.labels.schema import Schema

EVENTS_NAME = "events"
ACTORS_NAME = "actors"
TEXT_NAME = "text"


def _utf16_offsets(text: str) -> list[int]:
    """``table[i]`` = UTF-16 offset of Python character ``i`` (and of ``len(text)``)."""
    table, pos = [0], 0
    for ch in text:
        pos += 2 if ord(ch) > 0xFFFF else 1
        table.append(pos)
    return table


def labeling_config(schema: Schema) -> str:
    """The Label Studio project XML matching :func:`to_tasks`."""
    choices = "\n".join(f"    <Choice value={quoteattr(t)}/>" for t in schema.event_types)
    labels = "\n".join(f"    <Label value={quoteattr(r)}/>" for r in schema.roles)
    return (
        "<View>\n"
        f'  <Text name="{TEXT_NAME}" value="$text"/>\n'
        f'  <Choices name="{EVENTS_NAME}" toName="{TEXT_NAME}" choice="multiple" showInline="true">\n'
        f"{choices}\n  </Choices>\n"
        f'  <Labels name="{ACTORS_NAME}" toName="{TEXT_NAME}">\n{labels}\n  </Labels>\n'
        "</View>\n"
    )


def to_tasks(records: list[dict]) -> list[dict]:
    """Corpus records → Label Studio tasks with one annotation each."""
    tasks = []
    for n, rec in enumerate(records, 1):
        u16 = _utf16_offsets(rec["text"])
        result = []
        if rec["events"]:
            result.append({"id": f"r{n}-events", "from_name": EVENTS_NAME, "to_name": TEXT_NAME,
                           "type": "choices", "value": {"choices": list(rec["events"])}})
        for k, actor in enumerate(rec["actors"]):
            result.append({"id": f"r{n}-span{k}", "from_name": ACTORS_NAME, "to_name": TEXT_NAME,
                           "type": "labels",
                           "value": {"start": u16[actor["start"]], "end": u16[actor["end"]],
                                     "text": actor["text"], "labels": [actor["role"]]}})
        data = {"text": rec["text"], "sentence_id": rec["id"], "article_id": rec["article_id"],
                "language": rec["language"], "source": rec["source"]}
        tasks.append({"id": n, "data": data, "annotations": [{"id": n, "result": result}]})
    return tasks


def _pick_annotation(task: dict, where: str) -> dict | None:
    """The latest non-cancelled annotation (Label Studio keeps every annotator's)."""
    annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not annotations:
        return None
    return max(annotations, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0))


def from_tasks(tasks, where: str = "<tasks>") -> list[dict]:
    """Label Studio export (list of tasks) → corpus records, in task order.

    Tasks without an annotation are an error: importing them would silently label them "none".
    """
    if not isinstance(tasks, list):
        raise SucesosError("a Label Studio JSON export must be a list of tasks", path=where)
    records = []
    for i, task in enumerate(tasks):
        label = f"task {i} (id {task.get('id')})" if isinstance(task, dict) else f"task {i}"
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise SucesosError(f"{label}: expected an object with 'data'", path=where)
        data = task["data"]
        text = data.get("text")
        if not isinstance(text, str) or not text:
            raise SucesosError(f"{label}: data.text is missing or empty", path=where)
        annotation = _pick_annotation(task, where)
        if annotation is None:
            raise SucesosError(f"{label}: no (non-cancelled) annotation; label it or leave it out", path=where)
        char_at = {u: c for c, u in enumerate(_utf16_offsets(text))}
        events, actors = [], []
        for item in annotation.get("result") or []:
            value = item.get("value") or {}
            if item.get("type") == "choices" and item.get("from_name") == EVENTS_NAME:
                events += [c for c in value.get("choices", []) if c not in events]
            elif item.get("type") == "labels" and item.get("from_name") == ACTORS_NAME:
                start, end = char_at.get(value.get("start")), char_at.get(value.get("end"))
                if start is None or end is None or len(value.get("labels") or []) != 1:
                    raise SucesosError(f"{label}: span {value.get('start')}-{value.get('end')} "
                                       "is not on character boundaries or has not exactly one label", path=where)
                actors.append({"start": start, "end": end, "role": value["labels"][0], "text": text[start:end]})
        task_id = task.get("id", i)
        records.append({
            "id": data.get("sentence_id") or f"ls-{task_id}",
            "article_id": data.get("article_id") or f"ls-{task_id}",
            "language": data.get("language") or "und",
            "text": text,
            "events": events,
            "actors": actors,
            "source": data.get("source") or {"kind": "labelstudio"},
        })
    return records
