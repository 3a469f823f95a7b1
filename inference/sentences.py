"""Sentence splitting with character offsets, and offline language detection.

Lines are hard boundaries (headlines, captions, boilerplate); inside a line ``pysbd`` splits
sentences for the detected language; then boundaries that the source glued together without a
space (``"of its own:It is"``, ``"cartels.But the"``) are split too.

>>> text = "It is over.But not here.\\nNext line"
>>> [text[s:e] for s, e in split_sentences(text)]
['It is over.', 'But not here.', 'Next line']
"""

from __future__ import annotations

import functools
import re

# lower-case letter + . ! ? : then, with no space, an upper-case letter or opening quote
_GLUED = re.compile(r"(?<=[a-záéíóúüñ)\"”’][.!?:])(?=[A-ZÁÉÍÓÚÑ¿¡“])")
_LINE = re.compile(r"[^\n]+")
SUPPORTED_SPLITTERS = ("en", "es", "fr", "de", "it", "pt", "nl")
_MAX_SBD_CHARS = 20000  # pysbd is slow on huge lines; longer lines are pre-cut at ". "


@functools.lru_cache(maxsize=None)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language if language in SUPPORTED_SPLITTERS else "en", clean=False, char_span=True)


def _chunks(line: str, start: int):
    """Cut very long lines at sentence-looking places so pysbd stays fast."""
    pos = 0
    while len(line) - pos > _MAX_SBD_CHARS:
        cut = line.rfind(". ", pos, pos + _MAX_SBD_CHARS)
        cut = pos + _MAX_SBD_CHARS if cut <= pos else cut + 2
        yield line[pos:cut], start + pos
        pos = cut
    yield line[pos:], start + pos


def split_sentences(text: str, language: str = "en") -> list[tuple[int, int]]:
    """``(start, end)`` character offsets of each sentence (whitespace trimmed, none empty)."""
    spans = []
    for m in _LINE.finditer(text):
        for chunk, offset in _chunks(m.group(), m.start()):
            if not chunk.strip():
                continue
            for piece in _segmenter(language).segment(chunk):
                s, e = offset + piece.start, offset + piece.end
                for gs, ge in _split_glued(text, s, e):
                    while gs < ge and text[gs].isspace():
                        gs += 1
                    while ge > gs and text[ge - 1].isspace():
                        ge -= 1
                    if ge > gs:
                        spans.append((gs, ge))
    return _dedupe(spans)


def _split_glued(text: str, start: int, end: int):
    cuts = [start] + [start + m.start() for m in _GLUED.finditer(text[start:end])] + [end]
    return list(zip(cuts, cuts[1:]))


def _dedupe(spans):
    """pysbd may return overlapping spans on odd input; keep them ordered and disjoint."""
    out = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            s = out[-1][1]
        if e > s:
            out.append((s, e))
    return out


def detect_language(text: str) -> str:
    """ISO 639-1 code, offline (py3langid); ``und`` when there is nothing to go on."""
    sample = text[:5000]
    if not re.search(r"\w", sample):
        return "und"
    import py3langid

    return py3langid.classify(sample)[0]
