"""The shipped corpus: it validates, meets the issue's targets, covers the seed articles in full,
and every shipped config loads."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from sucesos.labels.corpus import load_corpus, validate_files
from sucesos.labels.paths import split_files
from sucesos.labels.schema import load_schema
from sucesos.training.config import load_config

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def corpus():
    schema = load_schema()
    return schema, {path.stem: load_corpus([path], schema) for path in split_files()}


def test_shipped_corpus_validates():
    assert validate_files(split_files(), load_schema()) == []


def test_corpus_meets_targets(corpus):
    schema, splits = corpus
    records = [r for rs in splits.values() for r in rs]
    assert len(records) >= 800
    events = Counter(t for r in records for t in r["events"])
    assert all(events[t] >= 50 for t in schema.event_types), events
    assert sum(r["language"] == "es" for r in records) >= 0.35 * len(records)
    assert sum(not r["events"] for r in records) >= 0.30 * len(records)
    roles = Counter(a["role"] for r in records for a in r["actors"])
    assert sum(roles.values()) >= 600 and all(roles[role] >= 100 for role in schema.roles), roles
    articles = {r["article_id"]: r for r in records}
    composed = [r for r in articles.values() if r["source"]["kind"] == "composed"]
    assert len(composed) >= 60 and sum(r["language"] == "es" for r in composed) >= 25
    assert all(r["source"].get("based_on") for r in composed)
    # issue 2: at least 60 short composed articles of 6-15 sentences; later batches written like
    # full wire reports may run longer, as the real seed articles do (up to 38 sentences)
    sizes = Counter(r["article_id"] for r in records if r["source"]["kind"] == "composed")
    assert sum(6 <= n <= 15 for n in sizes.values()) >= 60, sizes
    assert all(6 <= n <= 40 for n in sizes.values()), sizes


def test_split_is_by_article_and_stratified(corpus):
    schema, splits = corpus
    owner = {}
    for name, records in splits.items():
        for r in records:
            assert owner.setdefault(r["article_id"], name) == name, r["article_id"]
        assert {t for r in records for t in r["events"]} == set(schema.event_types), name
        assert {r["language"] for r in records} == {"en", "es"}, name


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the checkout")
def test_every_seed_sentence_is_in_the_corpus(corpus):
    """Each seed article's sentences, in order, use up all of its text (whitespace aside)."""
    _, splits = corpus
    by_file: dict[str, list[dict]] = {}
    for r in (r for rs in splits.values() for r in rs):
        if r["source"]["kind"] == "seed":
            by_file.setdefault(r["source"]["file"], []).append(r)
    seed_files = sorted(p.name for p in SEEDS.glob("*.txt"))
    assert sorted(by_file) == seed_files
    squash = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    for name, records in by_file.items():
        records.sort(key=lambda r: r["id"])
        text = (SEEDS / name).read_text(encoding="utf-8")
        assert squash("".join(r["text"] for r in records)) == squash(text), name
        for r in records:
            assert r["text"] == r["text"].strip() and r["text"]


@pytest.mark.parametrize("config", sorted((ROOT / "training" / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_load(config):
    cfg = load_config(config)
    assert cfg.data.train.endswith("train.jsonl") and cfg.output.dir.startswith("models/")
