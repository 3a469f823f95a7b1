"""The optional input prefix ("query: " for e5): inserted after the leading special tokens, never
tagged, stored with the model and used again at inference."""

import json
from pathlib import Path

from transformers import AutoTokenizer

from sucesos.inference import EventTagger
from sucesos.training.alignment import prefix_ids
from sucesos.training.configuration import SucesosConfig
from sucesos.training.data import encode_batch
from sucesos.training.trainer import run_training

BATCH = {"text": ["Gunmen ambushed a convoy."], "events": [["ambush"]],
         "actors": [[{"start": 0, "end": 6, "role": "PERPETRATOR"}, {"start": 16, "end": 24, "role": "VICTIM"}]]}


def _encode(tokenizer, prefix, max_length=64):
    cfg = SucesosConfig(event_types=["ambush", "arrest"], roles=["PERPETRATOR", "VICTIM"], input_prefix=prefix)
    return encode_batch(BATCH, tokenizer, cfg, max_length)


def test_prefix_tokens_follow_the_first_special_token_and_carry_no_tag(tiny_encoder):
    tok = AutoTokenizer.from_pretrained(tiny_encoder)
    plain, prefixed = _encode(tok, ""), _encode(tok, "query: ")
    extra = prefix_ids(tok, "query: ")
    assert extra and prefix_ids(tok, "") == [] and prefix_ids(tok, "  ") == []
    ids, labels = prefixed["input_ids"][0], prefixed["span_labels"][0]
    assert ids == plain["input_ids"][0][:1] + extra + plain["input_ids"][0][1:]
    assert labels == [-100] + [-100] * len(extra) + plain["span_labels"][0][1:]
    assert prefixed["attention_mask"][0] == [1] * len(ids)
    assert prefixed["event_labels"] == plain["event_labels"] == [[1.0, 0.0]]


def test_prefix_counts_against_max_length(tiny_encoder):
    tok = AutoTokenizer.from_pretrained(tiny_encoder)
    long_batch = dict(BATCH, text=["Gunmen ambushed a convoy " * 40])
    cfg = SucesosConfig(event_types=["ambush"], roles=["PERPETRATOR", "VICTIM"], input_prefix="query: ")
    out = encode_batch(long_batch, tok, cfg, 32)
    assert len(out["input_ids"][0]) == 32 and len(out["span_labels"][0]) == 32


def test_trained_model_keeps_and_uses_its_prefix(tiny_config):
    tiny_config.model.input_prefix = "query: "
    run_training(tiny_config)
    model_dir = Path(tiny_config.output.dir)
    assert json.loads((model_dir / "config.json").read_text())["input_prefix"] == "query: "
    assert "query: " in (model_dir / "training_config.yaml").read_text()

    tagger = EventTagger.from_pretrained(model_dir)
    extra = prefix_ids(tagger.tokenizer, "query: ")
    assert tagger.prefix[1:] == extra  # <s>, then the prefix, before every window
    text = "Gunmen ambushed a police convoy near Aguililla, killing 13 officers."
    with_prefix = tagger.predict_sentences(text)
    for a in with_prefix["actors"]:
        assert text[a["start"]:a["end"]] == a["text"]
    tagger.prefix = tagger.prefix[:1]  # the same weights without the prefix score differently
    assert tagger.predict_sentences(text)["scores"] != with_prefix["scores"]
