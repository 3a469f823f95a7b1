"""Where the shipped schema and corpus live (inside the installed package)."""

from __future__ import annotations

from pathlib import Path

SPLITS = ("train", "dev", "test")


def corpus_dir() -> Path:
    """Directory holding the shipped corpus split files ``train/dev/test.jsonl``."""
    return Path(__file__).resolve().parent / "corpus"


def split_files() -> list[Path]:
    """The shipped split files, in train/dev/test order."""
    return [corpus_dir() / f"{name}.jsonl" for name in SPLITS]
