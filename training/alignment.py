"""Words, sub-word label alignment and span decoding (shared by training and inference).

Sentences are split into words with character offsets (a word is a run of letters/digits, with
inner hyphens or apostrophes, or one punctuation mark), fed to the tokenizer as pre-split words,
and labeled as in transformers' ``run_ner.py``: the first sub-word of a word carries the word's
BIO tag, continuation pieces and special tokens get -100.

>>> words = split_words("Gunmen ambushed a convoy.")
>>> [w for w, _, _ in words]
['Gunmen', 'ambushed', 'a', 'convoy', '.']
>>> word_tags(words, [{"start": 16, "end": 24, "role": "VICTIM"}])
['O', 'O', 'B-VICTIM', 'I-VICTIM', 'O']
>>> decode_spans(words, ['O', 'O', 'B-VICTIM', 'I-VICTIM', 'O'])
[(16, 24, 'VICTIM')]
"""

from __future__ import annotations

import re

WORD = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)


def prefix_ids(tokenizer, prefix: str) -> list[int]:
    """Token ids of the input prefix ("query: " for e5), inserted after the leading special tokens.

    Tokenized as one piece of text, as the encoder saw it in pre-training ("▁query", ":").
    """
    if not prefix.strip():
        return []
    return list(tokenizer(prefix.strip(), add_special_tokens=False)["input_ids"])


def split_words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in WORD.finditer(text)]


def word_tags(words, actors) -> list[str]:
    """BIO tag per word; a word belongs to a span when it overlaps it."""
    tags = ["O"] * len(words)
    for actor in sorted(actors, key=lambda a: a["start"]):
        inside = [i for i, (_, s, e) in enumerate(words) if s < actor["end"] and e > actor["start"]]
        for k, i in enumerate(inside):
            if tags[i] == "O":
                tags[i] = ("B-" if k == 0 else "I-") + actor["role"]
    return tags


def misaligned_spans(words, actors) -> int:
    """Spans whose edges fall inside a word (they cannot be reproduced exactly)."""
    starts, ends = {s for _, s, _ in words}, {e for _, _, e in words}
    return sum(1 for a in actors if a["start"] not in starts or a["end"] not in ends)


def decode_spans(words, tags, scores=None):
    """BIO word tags → ``(start, end, role)`` (with mean score when ``scores`` is given).

    A stray ``I-X`` after ``O`` or another role starts a new span (lenient, like seqeval's
    default IOB1 reading) so no predicted actor is dropped.
    """
    spans, current = [], None
    for i, tag in enumerate(tags):
        if tag == "O" or (tag.startswith("B-")) or (current and tag[2:] != current[2]):
            if current:
                spans.append(current)
            current = None
        if tag != "O":
            if current is None:
                current = [words[i][1], words[i][2], tag[2:], [] if scores is not None else None]
            current[1] = words[i][2]
            if scores is not None:
                current[3].append(scores[i])
    if current:
        spans.append(current)
    if scores is None:
        return [(s, e, r) for s, e, r, _ in spans]
    return [(s, e, r, sum(sc) / len(sc)) for s, e, r, sc in spans]
