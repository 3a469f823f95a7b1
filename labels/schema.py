"""The label schema: event types and actor roles, read from ``schema.yaml``.

Nothing else in the project hard-codes the label lists; models store the schema version
and both label maps they were trained with.

>>> schema = load_schema()
>>> schema.bio_labels[:3]
['O', 'B-PERPETRATOR', 'I-PERPETRATOR']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sucesos.errors import SucesosError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def default_schema_path() -> Path:
    return Path(__file__).resolve().parent / "schema.yaml"


def bio_tags(roles) -> list[str]:
    """The BIO tag list for these roles: ``O`` then ``B-``/``I-`` per role, in the given order.

    >>> bio_tags(["VICTIM"])
    ['O', 'B-VICTIM', 'I-VICTIM']
    """
    labels = ["O"]
    for role in roles:
        labels += [f"B-{role}", f"I-{role}"]
    return labels


@dataclass(frozen=True)
class Schema:
    """Event types (multi-label) and actor roles (BIO-tagged spans), in file order."""

    version: str
    event_types: list[str]
    roles: list[str]
    definitions: dict[str, str] = field(default_factory=dict, compare=False)
    path: str | None = field(default=None, compare=False)

    @property
    def bio_labels(self) -> list[str]:
        """``O`` then ``B-``/``I-`` per role, in schema order (stable ids)."""
        return bio_tags(self.roles)

    def to_dict(self) -> dict:
        return {"version": self.version, "event_types": list(self.event_types), "roles": list(self.roles)}


def _names(entries, key: str, path: str) -> tuple[list[str], dict[str, str]]:
    if not isinstance(entries, list) or not entries:
        raise SucesosError(f"'{key}' must be a non-empty list", path=path)
    names, definitions = [], {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or "name" not in entry:
            raise SucesosError(f"{key}[{i}] must be a mapping with a 'name'", path=path)
        name = entry["name"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise SucesosError(f"{key}[{i}].name {name!r} is not a valid label name", path=path)
        if name in names:
            raise SucesosError(f"{key}: duplicate name {name!r}", path=path)
        names.append(name)
        definitions[name] = str(entry.get("definition", "")).strip()
    return names, definitions


def load_schema(path: str | Path | None = None) -> Schema:
    """Read and check a schema file (default: the shipped ``labels/schema.yaml``)."""
    path = Path(path) if path is not None else default_schema_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SucesosError(f"cannot read schema: {exc.strerror}", path=str(path)) from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise SucesosError("invalid YAML", path=str(path), line=None if line is None else line + 1) from None
    if not isinstance(raw, dict):
        raise SucesosError("schema must be a YAML mapping", path=str(path))
    version = raw.get("schema_version")
    if not isinstance(version, str) or not version:
        raise SucesosError("'schema_version' must be a non-empty string (quote it)", path=str(path))
    events, event_defs = _names(raw.get("event_types"), "event_types", str(path))
    roles, role_defs = _names(raw.get("roles"), "roles", str(path))
    return Schema(version, events, roles, {**event_defs, **role_defs}, str(path))
