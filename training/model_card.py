"""Generate the model card ``README.md`` saved with every trained model."""

from __future__ import annotations

import datetime

from sucesos import __version__


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _event_table(metrics: dict) -> str:
    rows = ["| type | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for t, v in metrics["events"]["per_type"].items():
        rows.append(f"| {t} | {_fmt(v['precision'])} | {_fmt(v['recall'])} | {_fmt(v['f1'])} | {v['support']} |")
    ev = metrics["events"]
    rows.append(f"| **macro** | {_fmt(ev['macro_precision'])} | {_fmt(ev['macro_recall'])} | {_fmt(ev['macro_f1'])} | |")
    rows.append(f"| **micro** | {_fmt(ev['micro_precision'])} | {_fmt(ev['micro_recall'])} | {_fmt(ev['micro_f1'])} | |")
    alone = metrics.get("events_sentence_alone")
    if alone:
        rows.append(f"| macro, sentences alone | {_fmt(alone['macro_precision'])} | {_fmt(alone['macro_recall'])} | "
                    f"{_fmt(alone['macro_f1'])} | |")
    return "\n".join(rows)


def _actor_table(metrics: dict) -> str:
    rows = ["| role | strict F1 | overlap F1 | support |", "|---|---:|---:|---:|"]
    strict, overlap = metrics["actors"]["strict"], metrics["actors"]["overlap"]
    for role, v in strict["per_role"].items():
        rows.append(f"| {role} | {_fmt(v['f1'])} | {_fmt(overlap['per_role'][role]['f1'])} | {v['support']} |")
    rows.append(f"| **micro** | {_fmt(strict['micro_f1'])} | {_fmt(overlap['micro_f1'])} | |")
    return "\n".join(rows)


def _language_lines(metrics: dict) -> str:
    lines = []
    for lang, m in metrics.get("by_language", {}).items():
        lines.append(f"- `{lang}` ({m['events']['n_sentences']} sentences): event macro-F1 {_fmt(m['events']['macro_f1'])}, "
                     f"actor overlap F1 {_fmt(m['actors']['overlap']['micro_f1'])}")
    return "\n".join(lines)


def render_model_card(config, run_config: dict, metrics: dict, data_summary: dict) -> str:
    """Markdown card: base encoder, data, dev/test scores per type, intended use, limitations."""
    sections = [
        "---",
        "library_name: sucesos",
        "language: [en, es]",
        "license: mit",
        "tags: [token-classification, text-classification, event-extraction, sucesos]",
        "---",
        "",
        "# sucesos event and actor tagger",
        "",
        f"Fine-tuned from `{config.base_encoder}` with sucesos {__version__} on "
        f"{datetime.date.today().isoformat()}. Label schema version `{config.schema_version}`.",
        "",
        "For each sentence of a news report it predicts zero or more **event types** "
        f"({', '.join(config.event_types)}) with per-type thresholds tuned on the dev split (and moved "
        "part of the way back to 0.5 by `training.threshold_shrinkage`; the dev scores below are therefore "
        "not a held-out estimate), "
        f"and **actor spans** with a role ({', '.join(config.roles)}).",
        "",
        "## Use",
        "",
        "```python",
        "from sucesos.inference import EventTagger",
        "tagger = EventTagger.from_pretrained(\"PATH/TO/THIS/DIR\")",
        "tagger.predict(\"Gunmen ambushed a police convoy in Zacatecas, killing six officers.\")",
        "```",
        "",
        "or `sucesos predict --model PATH/TO/THIS/DIR articles/ --output scored.jsonl`.",
        "",
        "## Training data",
        "",
        "\n".join(f"- {split}: {n}" for split, n in data_summary.items()),
        "",
        "Thresholds: " + ", ".join(f"{t} {v:.2f}" for t, v in config.thresholds.items()),
        "",
    ]
    in_context = bool(getattr(config, "context_neighbour_weight", 0) or getattr(config, "context_article_weight", 0))
    if in_context:
        sections += [
            "Article context: in an article of two or more sentences, a sentence's event logits also weigh "
            f"its neighbours' ({config.context_neighbour_weight:g} x their maximum) and the rest of the article's "
            f"({config.context_article_weight:g} x its maximum), and the events are decided with thresholds "
            "tuned for those scores: " + ", ".join(f"{t} {v:.2f}" for t, v in config.context_thresholds.items())
            + ". The scores below are in context; \"sentences alone\" is each sentence scored on its own "
            "(`sucesos predict --no-article-context`).", ""]
    if getattr(config, "lexical_weight", 0.0):
        sections += [f"Lexical blend: each event logit is {1 - config.lexical_weight:g} x the encoder's plus "
                     f"{config.lexical_weight:g} x that of a TF-IDF + logistic-regression model fitted on the same "
                     "training sentences (`lexical.json`, `lexical.safetensors`).", ""]
    averaged = (metrics.get("run") or {}).get("averaged_checkpoints")
    if averaged:
        sections += [f"Weights: the mean of the last {len(averaged)} checkpoints ({', '.join(averaged)}), "
                     "per `training.average_checkpoints`.", ""]
    history = (metrics.get("run") or {}).get("dev_history")
    if history:
        sections += ["## Training curve (dev, at each epoch's own tuned thresholds)", "",
                     "| epoch | train loss | dev event macro-F1 | dev actor F1 |", "|---:|---:|---:|---:|"]
        sections += [f"| {row['epoch']:g} | {_fmt(row.get('train_loss'))} | {_fmt(row.get('event_macro_f1'))} | "
                     f"{_fmt(row.get('actor_f1'))} |" for row in history] + [""]
    for split in ("dev", "test"):
        if split in metrics:
            m = metrics[split]
            sections += [f"## Scores on the {split} split", "", "### Event types", "", _event_table(m), "",
                         "### Actor spans", "", _actor_table(m), "", "### Per language", "", _language_lines(m), ""]
    sections += [
        "## Intended use",
        "",
        "A first pass for researchers and journalists who code reports of organized-crime violence in "
        "Mexico (ACLED-style): it ranks and pre-labels sentences for human review.",
        "",
        "## Limitations",
        "",
        "- Trained on a small hand-labeled corpus (see Training data); scores on a test split "
        "of this size have wide confidence intervals (`sucesos evaluate` reports bootstrap intervals).",
        "- English and Spanish only; wire and press style. Other registers (social media) are untested.",
        "- Event types are sentence-level and the encoder reads each sentence alone (article context only "
        "adjusts the scores): an event described across sentences may be tagged only where its cue words "
        "are, and a sentence whose meaning depends on the previous one (who \"he\" is, which attack "
        "\"the attack\" was) is where many errors are.",
        "- Not for decisions about individuals: actor spans name alleged perpetrators as reported.",
        "",
        "## Training config",
        "",
        "```yaml",
        run_config.strip(),
        "```",
        "",
    ]
    return "\n".join(sections)
