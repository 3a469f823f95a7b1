"""From corpus records to model inputs (``datasets`` pipeline) and the padding collator.

>>> from sucesos.training.configuration import SucesosConfig
>>> cfg = SucesosConfig(event_types=["ambush", "arrest"], roles=["VICTIM"])
>>> rec = {"text": "Gunmen ambushed a convoy.", "events": ["ambush"],
...        "actors": [{"start": 16, "end": 24, "role": "VICTIM", "text": "a convoy"}]}
>>> event_vector(rec, cfg)
[1.0, 0.0]
"""

from __future__ import annotations

import torch

from sucesos.training.alignment import prefix_ids, split_words, word_tags


def event_vector(record: dict, config) -> list[float]:
    return [1.0 if t in record["events"] else 0.0 for t in config.event_types]


def encode_batch(batch: dict, tokenizer, config, max_length: int) -> dict:
    """``datasets.map`` function: words → sub-words; word tags → first-sub-word labels (-100 elsewhere)."""
    words = [split_words(text) for text in batch["text"]]
    extra = prefix_ids(tokenizer, getattr(config, "input_prefix", ""))
    enc = tokenizer([[w for w, _, _ in ws] for ws in words], is_split_into_words=True, truncation=True,
                    max_length=max_length - len(extra))
    input_ids, span_labels, event_labels = [], [], []
    for i, ws in enumerate(words):
        tags = word_tags(ws, batch["actors"][i])
        word_ids = enc.word_ids(i)
        labels, previous = [], None
        for word_id in word_ids:
            if word_id is None or word_id == previous:
                labels.append(-100)
            else:
                labels.append(config.span_label2id[tags[word_id]])
            previous = word_id
        # the prefix goes right after the leading special tokens and is never tagged
        at = next((k for k, w in enumerate(word_ids) if w is not None), len(word_ids) - 1)
        input_ids.append(enc["input_ids"][i][:at] + extra + enc["input_ids"][i][at:])
        span_labels.append(labels[:at] + [-100] * len(extra) + labels[at:])
        event_labels.append([1.0 if t in batch["events"][i] else 0.0 for t in config.event_types])
    return {"input_ids": input_ids, "attention_mask": [[1] * len(ids) for ids in input_ids],
            "span_labels": span_labels, "event_labels": event_labels}


def build_dataset(records: list[dict], tokenizer, config, max_length: int):
    import datasets

    table = datasets.Dataset.from_list([{"text": r["text"], "events": r["events"],
                                         "actors": [{"start": a["start"], "end": a["end"], "role": a["role"]}
                                                    for a in r["actors"]]} for r in records])
    return table.map(encode_batch, batched=True, remove_columns=table.column_names,
                     fn_kwargs={"tokenizer": tokenizer, "config": config, "max_length": max_length},
                     desc="tokenizing", load_from_cache_file=False)


# Widths rounded up to a multiple of this where batches are length-sorted (inference, the frozen-layer
# cache): such batches would otherwise have a new width (a new matrix shape, a new oneDNN kernel to
# build and cache) nearly every batch. With few shapes the kernel cache stays small and is reused,
# which is what makes bf16 fast on AMX CPUs (benchmarks/README.md); the extra padding is masked and
# costs <10% of the tokens.
PAD_MULTIPLE = 8


def pad_rows(seqs: list[list[int]], pad_id: int, multiple: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and attention mask, right-padded to the longest rounded up to ``multiple``.

    >>> ids, mask = pad_rows([[5, 6, 7], [5]], pad_id=1, multiple=4)
    >>> ids.tolist(), mask.tolist()
    ([[5, 6, 7, 1], [5, 1, 1, 1]], [[1, 1, 1, 0], [1, 0, 0, 0]])
    """
    width = -(-max(len(s) for s in seqs) // multiple) * multiple
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for r, s in enumerate(seqs):
        ids[r, :len(s)] = torch.tensor(s)
        mask[r, :len(s)] = 1
    return ids, mask


class Collator:
    """Pads to the longest sequence in the batch (dynamic padding)."""

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, features: list[dict]) -> dict:
        ids, mask = pad_rows([f["input_ids"] for f in features], self.pad_token_id)
        spans, _ = pad_rows([f["span_labels"] for f in features], -100)  # same lengths as input_ids
        events = torch.tensor([f["event_labels"] for f in features], dtype=torch.float)
        return {"input_ids": ids, "attention_mask": mask, "span_labels": spans, "event_labels": events}
