"""Read and validate corpus JSONL files.

One line = one sentence::

    {"id": "seed-000-s001", "article_id": "seed-000", "language": "en", "text": "...",
     "events": ["ambush"], "actors": [{"start": 0, "end": 6, "role": "PERPETRATOR", "text": "Gunmen"}],
     "source": {"kind": "seed", "file": "000_....txt"}}

``validate_files`` reports every defect as ``file:line: problem``; ``load_corpus`` is the strict
reader used by training and evaluation (it stops at the first defect).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sucesos.errors import SucesosError
from sucesos.labels.schema import Schema

REQUIRED_FIELDS = ("id", "article_id", "language", "text", "events", "actors", "source")
SPAN_FIELDS = ("start", "end", "role", "text")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _check_actor(actor, i: int, text: str, schema: Schema) -> list[str]:
    if not isinstance(actor, dict):
        return [f"actors[{i}] must be an object"]
    missing = [k for k in SPAN_FIELDS if k not in actor]
    if missing:
        return [f"actors[{i}] missing field '{missing[0]}'"]
    start, end, role, span_text = (actor[k] for k in SPAN_FIELDS)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        return [f"actors[{i}] start and end must be integers"]
    problems = []
    if role not in schema.roles:
        problems.append(f"unknown role '{role}'")
    if not 0 <= start < end <= len(text):
        return problems + [f"span [{start}, {end}) outside the text (length {len(text)})"]
    if text[start:end] != span_text:
        problems.append(f"span [{start}, {end}) text {span_text!r} does not match {text[start:end]!r}")
    elif span_text != span_text.strip():
        problems.append(f"span [{start}, {end}) {span_text!r} has leading or trailing whitespace")
    return problems


def check_record(record, schema: Schema) -> list[str]:
    """Problems of one parsed line, as messages (no file/line prefix)."""
    if not isinstance(record, dict):
        return ["expected a JSON object"]
    missing = [k for k in REQUIRED_FIELDS if k not in record]
    if missing:
        return [f"missing field '{k}'" for k in missing]
    for key in ("id", "article_id", "language", "text"):
        if not isinstance(record[key], str) or not record[key]:
            return [f"field '{key}' must be a non-empty string"]
    if not isinstance(record["events"], list) or not all(isinstance(e, str) for e in record["events"]):
        return ["field 'events' must be a list of strings"]
    if not isinstance(record["actors"], list):
        return ["field 'actors' must be a list"]
    problems = []
    for event in record["events"]:
        if event not in schema.event_types:
            problems.append(f"unknown event type '{event}'")
    if len(set(record["events"])) != len(record["events"]):
        problems.append("duplicate event type")
    spans = []
    for i, actor in enumerate(record["actors"]):
        actor_problems = _check_actor(actor, i, record["text"], schema)
        problems += actor_problems
        if not actor_problems:
            spans.append((actor["start"], actor["end"]))
    spans.sort()
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        if s2 < e1:
            problems.append(f"spans [{s1}, {e1}) and [{s2}, {e2}) overlap")
    return problems


def _iter_lines(path: Path):
    """Yield ``(lineno, record_or_None, problem_or_None)`` without stopping at bad lines."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield 0, None, f"cannot read file: {exc.strerror}"
        return
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield lineno, None, "not valid UTF-8"
            continue
        try:
            yield lineno, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield lineno, None, f"malformed JSON ({exc.msg})"


def validate_files(paths, schema: Schema) -> list[Problem]:
    """Every defect in ``paths``; each file counts as one split for the cross-split check."""
    problems: list[Problem] = []
    seen_ids: dict[str, str] = {}
    article_file: dict[str, str] = {}
    for path in map(Path, paths):
        for lineno, record, problem in _iter_lines(path):
            if problem:
                problems.append(Problem(str(path), lineno, problem))
                continue
            messages = check_record(record, schema)
            problems += [Problem(str(path), lineno, m) for m in messages]
            if not isinstance(record, dict):
                continue
            rid, article = record.get("id"), record.get("article_id")
            if isinstance(rid, str):
                if rid in seen_ids:
                    problems.append(Problem(str(path), lineno, f"duplicate id '{rid}' (first at {seen_ids[rid]})"))
                else:
                    seen_ids[rid] = f"{path}:{lineno}"
            if isinstance(article, str):
                first = article_file.setdefault(article, str(path))
                if first != str(path):
                    problems.append(Problem(str(path), lineno, f"article '{article}' is also in {first}"))
                    article_file[article] = str(path)  # report each further file once
    return problems


def read_corpus_file(path, schema: Schema) -> list[dict]:
    """Strictly read one corpus file: the first defect raises :class:`SucesosError`."""
    return load_corpus([path], schema)


def load_corpus(paths, schema: Schema) -> list[dict]:
    """Read several files strictly, also checking ids and articles across them."""
    problems = validate_files(paths, schema)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more; run 'sucesos labels validate')" if len(problems) > 1 else ""
        raise SucesosError(first.message + more, path=first.path, line=first.line)
    return [record for path in paths for _, record, _ in _iter_lines(Path(path))]
