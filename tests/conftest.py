"""Shared fixtures: a tiny random encoder (+ tokenizer) and a tiny labeled corpus.

The tiny encoder is a 2-layer, hidden-32 BERT built from a config with a Unigram tokenizer
trained on the fixture sentences: fast enough for train → save → load round trips on CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SENTENCES = [
    ("en", "Gunmen ambushed a police convoy near Aguililla, killing 13 officers.", ["ambush"],
     [("Gunmen", "PERPETRATOR"), ("a police convoy", "VICTIM"), ("13 officers", "VICTIM")]),
    ("en", "Soldiers and cartel gunmen clashed for hours in Nuevo Laredo.", ["firefight"],
     [("Soldiers", "PERPETRATOR"), ("cartel gunmen", "PERPETRATOR")]),
    ("en", "The mayor of Valle de Bravo was shot dead outside his home.", ["assassination"],
     [("The mayor of Valle de Bravo", "VICTIM")]),
    ("en", "The president said his government will not negotiate with criminals.", ["policy_statement"],
     [("The president", "AUTHORITY")]),
    ("en", "Attackers set fire to a bar in Coatzacoalcos, killing 26 people.", ["armed_attack"],
     [("Attackers", "PERPETRATOR"), ("a bar", "VICTIM"), ("26 people", "VICTIM")]),
    ("en", "Four Americans were kidnapped in Matamoros by armed men.", ["kidnapping"],
     [("Four Americans", "VICTIM"), ("armed men", "PERPETRATOR")]),
    ("en", "A banner signed by the cartel warned police to leave the state.", ["threat"],
     [("the cartel", "PERPETRATOR"), ("police", "VICTIM")]),
    ("en", "Federal agents arrested two suspects in Culiacan.", ["arrest"],
     [("Federal agents", "AUTHORITY"), ("two suspects", "PERPETRATOR")]),
    ("en", "The country recorded nearly 100 homicides per day in 2019.", [], []),
    ("es", "Sicarios emboscaron a una patrulla de la policía estatal en Michoacán.", ["ambush"],
     [("Sicarios", "PERPETRATOR"), ("una patrulla de la policía estatal", "VICTIM")]),
    ("es", "Militares y presuntos delincuentes se enfrentaron en Tamaulipas.", ["firefight"],
     [("Militares", "PERPETRATOR"), ("presuntos delincuentes", "PERPETRATOR")]),
    ("es", "El alcalde fue asesinado a balazos frente a su casa.", ["assassination"], [("El alcalde", "VICTIM")]),
    ("es", "La presidenta afirmó que no habrá pactos con el crimen organizado.", ["policy_statement"],
     [("La presidenta", "AUTHORITY")]),
    ("es", "Hombres armados irrumpieron en un centro de rehabilitación y dispararon contra los internos.",
     ["armed_attack"], [("Hombres armados", "PERPETRATOR"), ("un centro de rehabilitación", "VICTIM"),
                        ("los internos", "VICTIM")]),
    ("es", "Un grupo armado privó de la libertad a tres jóvenes en Jalisco.", ["kidnapping"],
     [("Un grupo armado", "PERPETRATOR"), ("tres jóvenes", "VICTIM")]),
    ("es", "Una narcomanta amenazó a los policías de Guanajuato.", ["threat"],
     [("los policías de Guanajuato", "VICTIM")]),
    ("es", "La Fiscalía detuvo a cinco presuntos integrantes del cártel.", ["arrest"],
     [("La Fiscalía", "AUTHORITY"), ("cinco presuntos integrantes del cártel", "PERPETRATOR")]),
    ("es", "La región es disputada desde hace años por grupos criminales.", [], [("grupos criminales", "PERPETRATOR")]),
]


def pytest_configure(config):
    # transformers creates its log handler on first use, bound to whatever sys.stderr is at that
    # moment; when that was a capsys buffer (closed after its test), every later transformers
    # warning printed "--- Logging error --- Traceback" into the next tests' stderr, and
    # tests/test_config.py failed when run alone. Create the handler before any test runs.
    import transformers

    transformers.logging.get_verbosity()


def make_record(i: int, lang: str, text: str, events, actors, article: str) -> dict:
    spans = []
    for phrase, role in actors:
        start = text.index(phrase)
        spans.append({"start": start, "end": start + len(phrase), "role": role, "text": phrase})
    spans.sort(key=lambda a: a["start"])
    return {"id": f"{article}-s{i:03d}", "article_id": article, "language": lang, "text": text,
            "events": list(events), "actors": spans, "source": {"kind": "composed", "based_on": "test fixture"}}


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> dict[str, Path]:
    """train/dev/test files; every split holds every type and both languages."""
    root = tmp_path_factory.mktemp("corpus")
    files = {}
    for split, copies in (("train", 3), ("dev", 1), ("test", 1)):
        records = []
        for c in range(copies):
            for i, (lang, text, events, actors) in enumerate(SENTENCES):
                records.append(make_record(i, lang, text, events, actors, f"{split}-{lang}-{c}"))
        files[split] = write_jsonl(root / f"{split}.jsonl", records)
    return files


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    """A random 2-layer BERT (hidden 32) + Unigram tokenizer saved as a local HF directory."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    root = tmp_path_factory.mktemp("tiny-encoder")
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=400, special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                                      unk_token="<unk>", shrinking_factor=0.75)
    tok.train_from_iterator([s[1] for s in SENTENCES] * 3, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[
        ("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", cls_token="<s>", sep_token="</s>", model_max_length=64)
    fast.save_pretrained(root)
    import torch

    torch.manual_seed(0)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, pad_token_id=tok.token_to_id("<pad>"))
    BertModel(config).save_pretrained(root, safe_serialization=True)
    return root


@pytest.fixture()
def tiny_config(tiny_corpus, tiny_encoder, tmp_path):
    """A full training config on the tiny corpus and encoder (a few seconds on CPU)."""
    from sucesos.training.config import load_config

    return load_config(None, [
        f"data.train={tiny_corpus['train']}", f"data.dev={tiny_corpus['dev']}", f"data.test={tiny_corpus['test']}",
        f"model.encoder={tiny_encoder}", "model.max_length=64", "model.freeze_word_embeddings=false", "model.freeze_layers=0",
        "training.epochs=3", "training.batch_size=8", "training.learning_rate=1.0e-3", "training.num_threads=2",
        f"output.dir={tmp_path / 'model'}",
    ])
