"""Atomic writes and line-numbered JSONL reading, shared by every subpackage.

Why atomic: an interrupted run must never leave a half-written file that looks complete,
so everything is written to a temporary file in the same directory and renamed into place.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from sucesos.errors import SucesosError


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8"):
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` on success.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_open(p) as fh:
    ...     _ = fh.write("done")
    >>> p.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path) as fh:
        fh.write(text)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    write_text_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def dumps_line(record: dict) -> str:
    """The one JSONL serialisation used everywhere (so round trips are byte-exact)."""
    return json.dumps(record, ensure_ascii=False)


def write_jsonl_atomic(path: str | os.PathLike, records) -> None:
    with atomic_open(path) as fh:
        for record in records:
            fh.write(dumps_line(record) + "\n")


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, parsed_object)``; blank lines are skipped.

    Raises :class:`SucesosError` naming file and line for undecodable bytes or bad JSON.
    """
    path = Path(path)
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise SucesosError(f"cannot read file: {exc.strerror}", path=str(path)) from None
    with fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise SucesosError("not valid UTF-8", path=str(path), line=lineno) from None
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise SucesosError(f"malformed JSON ({exc.msg})", path=str(path), line=lineno) from None
