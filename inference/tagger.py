"""``EventTagger``: load a trained model and score sentences or whole articles.

>>> tagger = EventTagger.from_pretrained("models/sucesos-e5-small")          # doctest: +SKIP
>>> tagger.predict("Gunmen ambushed a police convoy. Two officers died.")   # doctest: +SKIP
{'language': 'en', 'sentences': [{'index': 0, 'start': 0, 'end': 32, ...}], 'summary': {...}}
>>> tagger.predict([])                                                        # doctest: +SKIP
[]

Speed: sentences are cut into windows, sorted by length and batched with dynamic padding under
``torch.inference_mode()``; results come back in input order. A sentence longer than the
model's window is scored over overlapping windows (events: max over windows; each word takes its
tags from the window where it is furthest from an edge), never truncated.

Article context: in an article of two or more sentences, each sentence's event scores also
weigh the neighbouring sentences' and the rest of the article's (``sucesos.training.context``),
with thresholds tuned for that on dev. ``predict`` (articles) uses it; ``predict_sentences``
treats sentences as independent unless told which article each belongs to (``articles=``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from sucesos.errors import SucesosError
from sucesos.training.alignment import decode_spans, prefix_ids, split_words
from sucesos.training.context import article_groups, contextual_probabilities
from sucesos.training.data import PAD_MULTIPLE, pad_rows
from sucesos.training.lexical import LexicalScorer, blend
from sucesos.inference.sentences import detect_language, split_sentences


PRECISIONS = ("auto", "fp32", "bf16")


def cpu_has_bf16_matrix_units() -> bool:
    """True on CPUs with AMX (Intel Sapphire Rapids and later), where bf16 matmuls run ~5x fp32."""
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)  # private; absent in some torch builds
    try:
        return bool(probe and probe())
    except RuntimeError:
        return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto``: bf16 autocast on a GPU or an AMX CPU (labels identical to fp32 on 99.6% of
    sentences, benchmarks/README.md), exact fp32 on other CPUs, where bf16 gains less."""
    if precision not in PRECISIONS:
        raise SucesosError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    if device.type == "cuda" or (device.type == "cpu" and cpu_has_bf16_matrix_units()):
        return "bf16"
    return "fp32"


def _special_wrap(tokenizer):
    """Token ids the tokenizer puts before and after one sequence ([CLS] ... [SEP], <s> ... </s>)."""
    probe = tokenizer(["x"], is_split_into_words=True, add_special_tokens=True)
    ids, word_ids = probe["input_ids"], probe.word_ids()
    first = word_ids.index(0)
    last = len(word_ids) - 1 - word_ids[::-1].index(0)
    return ids[:first], ids[last + 1:]


class EventTagger:
    def __init__(self, model, tokenizer, device: str | None = None, thresholds: dict | None = None,
                 precision: str = "auto", article_context: bool = True, lexical=None):
        if not getattr(tokenizer, "is_fast", True):
            raise SucesosError("a fast (Rust) tokenizer is required for offsets and word alignment")
        self.model = model
        self.tokenizer = tokenizer
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.precision = resolve_precision(precision, self.device)
        self.model.to(self.device).eval()
        cfg = model.config
        self.event_types = list(cfg.event_types)
        self.span_labels = list(cfg.span_labels)
        self.thresholds = {t: float(cfg.thresholds.get(t, 0.5)) for t in self.event_types}
        in_context = getattr(cfg, "context_thresholds", None) or cfg.thresholds
        self.context_thresholds = {t: float(in_context.get(t, 0.5)) for t in self.event_types}
        if thresholds:  # an explicit choice applies to sentences alone and in context alike
            self.thresholds.update(thresholds)
            self.context_thresholds.update(thresholds)
        weights = (float(getattr(cfg, "context_neighbour_weight", 0.0) or 0.0),
                   float(getattr(cfg, "context_article_weight", 0.0) or 0.0))
        # None: this model (or the caller) scores every sentence on its own
        self.context_weights = weights if article_context and any(weights) else None
        self.lexical_weight = float(getattr(cfg, "lexical_weight", 0.0) or 0.0)
        if self.lexical_weight and lexical is None:
            raise SucesosError("this model blends in a lexical model (lexical_weight > 0); load it with "
                               "EventTagger.from_pretrained or pass lexical=")
        self.lexical = lexical if self.lexical_weight else None
        self.max_length = int(cfg.max_seq_length)
        lead, self.suffix = _special_wrap(tokenizer)
        # tokens before each window's words: leading special tokens, then the model's input prefix
        self.prefix = lead + prefix_ids(tokenizer, getattr(cfg, "input_prefix", "") or "")
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str | None = None, threshold: float | None = None,
                        precision: str = "auto", article_context: bool = True):
        """Load a model directory written by ``sucesos train`` (safetensors only, no remote code)."""
        from transformers import AutoTokenizer

        from sucesos.training.modeling import SucesosModel

        path = Path(path)
        if not (path / "config.json").exists():
            raise SucesosError("not a sucesos model directory (no config.json); train one with 'sucesos train'",
                               path=str(path))
        if not (path / "model.safetensors").exists():
            raise SucesosError("model directory has no model.safetensors (incomplete or not a sucesos model)",
                               path=str(path))
        model = SucesosModel.from_pretrained(str(path), use_safetensors=True)
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        lexical = LexicalScorer.load(path) if getattr(model.config, "lexical_weight", 0.0) else None
        one = {t: float(threshold) for t in model.config.event_types} if threshold is not None else None
        return cls(model, tokenizer, device=device, thresholds=one, precision=precision,
                   article_context=article_context, lexical=lexical)

    # ------------------------------------------------------------------ sentences
    def _windows(self, word_lists):
        """Tokenize pre-split words once; cut each sentence into windows of whole words."""
        budget = self.max_length - len(self.prefix) - len(self.suffix)
        enc = self.tokenizer([[w for w, _, _ in words] or [""] for words in word_lists], is_split_into_words=True,
                             add_special_tokens=False)
        windows = []  # (sentence index, token ids, word id per token, first word, last word)
        for i in range(len(word_lists)):
            ids, wids = enc["input_ids"][i], enc.word_ids(i)
            if len(ids) <= budget:
                windows.append((i, ids, wids))
                continue
            stride = max(1, budget // 2)
            start = 0
            while True:
                end = min(start + budget, len(ids))
                # do not cut a word in two: back off to a word boundary when possible
                while end < len(ids) and end > start + 1 and wids[end] == wids[end - 1]:
                    end -= 1
                windows.append((i, ids[start:end], wids[start:end]))
                if end >= len(ids):
                    break
                nxt = start + stride
                while nxt < end and nxt > 0 and wids[nxt] == wids[nxt - 1]:
                    nxt += 1
                start = nxt if nxt < end else end
        return windows

    def _pad(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids and attention mask, right-padded to the longest rounded up to PAD_MULTIPLE."""
        return pad_rows(seqs, self.pad_id, PAD_MULTIPLE)  # this module's name: tests patch it

    @torch.inference_mode()
    def _run(self, windows, batch_size: int, progress=None):
        order = sorted(range(len(windows)), key=lambda k: len(windows[k][1]))
        event_probs = [None] * len(windows)
        tag_probs = [None] * len(windows)
        # one autocast context for every batch: autocast keeps its bf16 copies of the weights until
        # the context closes, so they are cast once per call, not once per batch
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            for b in range(0, len(order), batch_size):
                chunk = order[b:b + batch_size]
                ids, mask = self._pad([self.prefix + list(windows[k][1]) + self.suffix for k in chunk])
                out = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device))
                ev = torch.sigmoid(out.event_logits.float()).cpu().numpy()
                tg = torch.softmax(out.span_logits.float(), dim=-1).cpu().numpy()
                for r, k in enumerate(chunk):
                    event_probs[k] = ev[r]
                    n = len(windows[k][1])
                    tag_probs[k] = tg[r, len(self.prefix):len(self.prefix) + n]
                if progress is not None:
                    progress(len(chunk))
        return event_probs, tag_probs

    def _score(self, texts: list[str], batch_size: int, progress=None) -> list[dict]:
        word_lists = [split_words(t) for t in texts]
        windows = self._windows(word_lists)
        event_probs, tag_probs = self._run(windows, batch_size, progress) if windows else ([], [])
        sent_events = [np.zeros(len(self.event_types)) for _ in texts]
        word_best = [dict() for _ in texts]  # word index -> (distance to edge, tag distribution)
        for (i, _, wids), ev, tg in zip(windows, event_probs, tag_probs):
            sent_events[i] = np.maximum(sent_events[i], ev)
            seen = set()
            for pos, w in enumerate(wids):
                if w is None or w in seen:
                    continue
                seen.add(w)  # the first sub-word of each word carries its tag
                edge = min(pos, len(wids) - 1 - pos)
                if w not in word_best[i] or edge > word_best[i][w][0]:
                    word_best[i][w] = (edge, tg[pos])
        if self.lexical is not None and texts:
            mixed = blend(np.array(sent_events), self.lexical.predict_proba(texts), self.lexical_weight)
            sent_events = list(mixed)
        results = []
        for i, text in enumerate(texts):
            words = word_lists[i]
            tags, scores = [], []
            for w in range(len(words)):
                dist = word_best[i].get(w, (0, None))[1]
                if dist is None:
                    tags.append("O"), scores.append(1.0)
                    continue
                k = int(dist.argmax())
                tags.append(self.span_labels[k]), scores.append(float(dist[k]))
            spans = decode_spans(words, tags, scores)
            probs = {t: round(float(p), 4) for t, p in zip(self.event_types, sent_events[i])}
            results.append({
                "text": text,
                "scores": probs,
                "events": self._decide(probs, self.thresholds),
                "actors": [{"start": s, "end": e, "role": r, "text": text[s:e], "score": round(sc, 4)}
                           for s, e, r, sc in spans],
            })
        return results

    def predict_sentences(self, sentences, batch_size: int = 32, progress=None, articles=None):
        """Score pre-split sentences: a string gives one result, a list gives a list.

        ``articles``: optionally one article key per sentence (sentences sharing a key form one
        article, in the order given), so that event scores take the article context into account.
        """
        single = isinstance(sentences, str)
        items = [sentences] if single else list(sentences)
        if articles is not None and (single or len(articles) != len(items)):
            raise SucesosError(f"articles= needs one key per sentence ({len(items)} sentences, "
                               f"{1 if isinstance(articles, str) else len(articles)} keys)")
        if not items:
            return []
        results = self._score(items, batch_size, progress)
        if articles is not None:
            results = self.apply_article_context(results, articles)
        return results[0] if single else results

    def decide_events(self, results: list[dict]) -> list[dict]:
        """Sentence-alone results with their events decided again from their scores, with the current
        thresholds (after tuning them, without scoring the sentences a second time)."""
        return [{**r, "events": self._decide(r["scores"], self.thresholds)} for r in results]

    def _decide(self, scores: dict, thresholds: dict) -> list[str]:
        """The event types whose score reaches its threshold, in schema order."""
        return [t for t in self.event_types if scores[t] >= thresholds[t]]

    def apply_article_context(self, results: list[dict], articles) -> list[dict]:
        """Sentence results (in order) -> new results whose event scores and events are in article
        context; a one-sentence article, or a model without context weights, is left as it is."""
        out = list(results)
        if self.context_weights is None:
            return out
        for group in article_groups(articles):
            if len(group) < 2:
                continue
            probs = np.array([[results[i]["scores"][t] for t in self.event_types] for i in group])
            adjusted = contextual_probabilities(probs, *self.context_weights)
            for row, i in zip(adjusted, group):
                scores = {t: round(float(p), 4) for t, p in zip(self.event_types, row)}
                out[i] = {**results[i], "scores": scores, "events": self._decide(scores, self.context_thresholds)}
        return out

    # ------------------------------------------------------------------ articles
    def predict(self, articles, batch_size: int = 32, language: str | None = None):
        """Split articles into sentences and score them: a string gives one result, a list a list.

        Offsets in the result are character offsets into the article text.
        """
        single = isinstance(articles, str)
        items = [articles] if single else list(articles)
        if not items:
            return []
        results = self.predict_many(items, batch_size=batch_size, language=language)
        return results[0] if single else results

    def predict_many(self, texts: list[str], batch_size: int = 32, language: str | None = None, progress=None):
        """Score several articles in one length-sorted pass (the batch path used by the CLI)."""
        langs = [language or detect_language(t) for t in texts]
        spans = [split_sentences(t, lang) for t, lang in zip(texts, langs)]
        flat = [t[s:e] for t, sp in zip(texts, spans) for s, e in sp]
        scored = self._score(flat, batch_size, progress) if flat else []
        scored = self.apply_article_context(scored, [a for a, sp in enumerate(spans) for _ in sp])
        out, k = [], 0
        for text, lang, sp in zip(texts, langs, spans):
            sentences = []
            for index, (s, e) in enumerate(sp):
                r = scored[k]
                k += 1
                actors = [{**a, "start": a["start"] + s, "end": a["end"] + s} for a in r["actors"]]
                sentences.append({"index": index, "start": s, "end": e, "text": r["text"], "scores": r["scores"],
                                  "events": r["events"], "actors": actors})
            out.append({"language": lang, "sentences": sentences, "summary": summarize(sentences, self.event_types)})
        return out


def summarize(sentences: list[dict], event_types: list[str]) -> dict:
    """Article summary: max score per event type; distinct actor texts per role."""
    events = {t: max((s["scores"][t] for s in sentences), default=0.0) for t in event_types}
    actors: dict[str, list[str]] = {}
    for s in sentences:
        for a in s["actors"]:
            names = actors.setdefault(a["role"], [])
            if a["text"] not in names:
                names.append(a["text"])
    return {"events": events, "actors": actors}
