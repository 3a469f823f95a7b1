"""Input readers for ``sucesos predict``: every input article becomes exactly one item.

An item is ``{"id", "text", "fields"}`` or, when the article cannot be read, ``{"id", "error"}``:
bad input gives an error record in the output, never a dropped article.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sys
from pathlib import Path

from sucesos.errors import SucesosError

_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)
_BLOCK = re.compile(r"</?(p|div|br|h[1-6]|li|tr|article|section)\b[^>]*>", re.I)


def strip_html(text: str) -> str:
    """Drop tags (block tags become line breaks) and unescape entities."""
    text = _BLOCK.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def _decode(raw: bytes) -> tuple[str, list[str]]:
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", errors="replace"), [f"not valid UTF-8 (first bad byte at {exc.start}); "
                                                        "undecodable bytes replaced with U+FFFD"]


def _item(id_, text, fields=None, warnings=None, html_input=False):
    if html_input:
        text = strip_html(text)
    if not text.strip():
        return {"id": id_, "error": "empty article (no text)", "fields": fields or {}}
    return {"id": id_, "text": text, "fields": fields or {}, "warnings": warnings or []}


def read_txt(path: Path, strip: bool):
    raw = path.read_bytes()
    text, warnings = _decode(raw)
    yield _item(path.name, text, warnings=warnings, html_input=strip or path.suffix.lower() in (".html", ".htm"))


def read_jsonl(path: Path, strip: bool, text_field: str, handle=None):
    fh = handle or open(path, "rb")
    with fh:
        for lineno, raw in enumerate(fh, 1):
            if isinstance(raw, str):
                raw = raw.encode("utf-8")
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            text, warnings = _decode(raw)
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield {"id": where, "error": f"{where}: malformed JSON ({exc.msg})", "fields": {}}
                continue
            if not isinstance(obj, dict):
                yield {"id": where, "error": f"{where}: expected a JSON object", "fields": {}}
                continue
            id_ = str(obj.get("id")) if obj.get("id") is not None else where
            fields = {k: v for k, v in obj.items() if k not in ("id", text_field)}
            if not isinstance(obj.get(text_field), str):
                yield {"id": id_, "error": f"{where}: no string field '{text_field}'", "fields": fields}
                continue
            yield _item(id_, obj[text_field], fields, warnings, strip)


def read_csv(path: Path, strip: bool, text_field: str):
    text, _ = _decode(path.read_bytes())
    reader = csv.DictReader(io.StringIO(text, newline=""))  # header checked by check_inputs
    for rowno, row in enumerate(reader, 2):
        id_ = row.get("id") or f"{path}:{rowno}"
        fields = {k: v for k, v in row.items() if k not in ("id", text_field) and k is not None}
        yield _item(id_, row[text_field] or "", fields, None, strip)


def check_inputs(inputs: list[str], text_field: str = "text") -> None:
    """Fail before any work starts (and before an output file exists) on a missing input or a CSV
    without the text column."""
    for name in inputs:
        if name == "-":
            continue
        path = Path(name)
        if not path.exists():
            raise SucesosError("input not found", path=name)
        if path.is_file() and path.suffix.lower() == ".csv":
            with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
                header = next(csv.reader(fh), None)
            if header is None or text_field not in header:
                raise SucesosError(f"CSV has no '{text_field}' column (use --text-column)", path=name)


def iter_inputs(inputs: list[str], text_field: str = "text", strip: bool = False, stdin_format: str = "text"):
    """All articles of all inputs, in the order given (directories: sorted ``*.txt``/``*.html``).

    The inputs are checked when this is called, not when the first article is read, so a caller
    can fail before it creates any output.
    """
    check_inputs(inputs, text_field)
    return _iter_articles(inputs, text_field, strip, stdin_format)


def _iter_articles(inputs, text_field, strip, stdin_format):
    for name in inputs:
        if name == "-":
            if stdin_format == "jsonl":
                yield from read_jsonl(Path("<stdin>"), strip, text_field, handle=sys.stdin.buffer)
            else:
                text, warnings = _decode(sys.stdin.buffer.read())
                yield _item("stdin", text, warnings=warnings, html_input=strip)
            continue
        path = Path(name)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".txt", ".html", ".htm") and p.is_file())
            for f in files:
                yield from read_txt(f, strip)
        elif path.suffix.lower() == ".jsonl":
            yield from read_jsonl(path, strip, text_field)
        elif path.suffix.lower() == ".csv":
            yield from read_csv(path, strip, text_field)
        else:
            yield from read_txt(path, strip)
