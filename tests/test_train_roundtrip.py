"""Train a tiny model end to end, save it, reload it, predict."""

import json
from pathlib import Path

import pytest

from sucesos.errors import SucesosError
from sucesos.inference import EventTagger
from sucesos.training.trainer import run_training


def test_train_save_load_predict(tiny_config):
    metrics = run_training(tiny_config)
    out = tiny_config.output
    from pathlib import Path

    model_dir = Path(out.dir)
    for name in ("config.json", "model.safetensors", "tokenizer.json", "training_config.yaml", "metrics.json", "README.md"):
        assert (model_dir / name).exists(), name
    assert not (model_dir / "checkpoints").exists()
    assert not list(model_dir.glob("*.bin")) and not list(model_dir.glob("*.pt"))
    saved = json.loads((model_dir / "config.json").read_text())
    assert saved["event_types"][0] == "ambush"
    assert saved["span_id2label"]["0"] == "O" and saved["span_label2id"]["B-VICTIM"] > 0
    assert saved["event_label2id"] == {t: i for i, t in enumerate(saved["event_types"])}
    assert saved["schema_version"] == "1.0"
    assert set(saved["thresholds"]) == set(saved["event_types"]) == set(saved["context_thresholds"])
    assert (saved["context_neighbour_weight"], saved["context_article_weight"]) == (0.3, 0.1)  # the defaults
    assert "macro_f1" in metrics["test"]["events_sentence_alone"]
    assert saved["event_pooling"] == "attention"  # the default, stored so a reload builds the same head
    assert "test" in metrics and "macro_f1" in metrics["test"]["events"]
    history = metrics["run"]["dev_history"]  # one row per epoch: what early stopping and selection saw
    assert [row["epoch"] for row in history] == [1.0, 2.0, 3.0]
    assert all(0 <= row["event_macro_f1"] <= 1 for row in history)
    assert history[-1]["train_loss"] > 0  # None before the first logging step (logging_steps=10)
    assert json.loads((model_dir / "metrics.json").read_text())["run"]["dev_history"] == history
    card = (model_dir / "README.md").read_text()
    assert "Scores on the test split" in card and "assassination" in card
    assert "| 3 |" in card.split("## Training curve")[1]

    tagger = EventTagger.from_pretrained(model_dir)
    assert tagger.model.event_attention.weight.abs().sum() > 0  # trained, and loaded from safetensors
    text = "Gunmen ambushed a police convoy near Aguililla, killing 13 officers."
    one = tagger.predict_sentences(text)
    assert isinstance(one, dict) and set(one["scores"]) == set(saved["event_types"])
    many = tagger.predict_sentences([text, "Otra oración."])
    assert len(many) == 2 and many[0]["scores"] == one["scores"]
    assert tagger.predict([]) == [] and tagger.predict_sentences([]) == []
    article = tagger.predict("Gunmen ambushed a convoy. Federal agents arrested two suspects.")
    assert [s["index"] for s in article["sentences"]] == [0, 1]
    for s in article["sentences"]:
        for a in s["actors"]:
            assert "Gunmen ambushed a convoy. Federal agents arrested two suspects."[a["start"]:a["end"]] == a["text"]


def test_refuses_to_overwrite_a_model(tiny_config):
    run_training(tiny_config)
    with pytest.raises(SucesosError, match="already holds a model; pass --overwrite"):
        run_training(tiny_config)
    run_training(tiny_config, overwrite=True)


def test_final_weights_are_the_mean_of_the_last_checkpoints(tiny_config):
    """training.average_checkpoints=2: the saved weights are the element-wise mean of the last two
    epoch checkpoints (kept here to compare), and the run records which ones."""
    from pathlib import Path

    import torch
    from safetensors.torch import load_file

    tiny_config.training.average_checkpoints = 2
    tiny_config.output.keep_checkpoints = True
    metrics = run_training(tiny_config)
    model_dir = Path(tiny_config.output.dir)
    checkpoints = sorted((model_dir / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    assert metrics["run"]["averaged_checkpoints"] == [p.name for p in checkpoints[-2:]]
    saved = load_file(str(model_dir / "model.safetensors"))
    a, b = (load_file(str(p / "model.safetensors")) for p in checkpoints[-2:])
    name = next(k for k in saved if k.startswith("event_") and saved[k].is_floating_point())
    assert not torch.equal(a[name], b[name])  # the two epochs differ, so the mean is a new point
    torch.testing.assert_close(saved[name], (a[name] + b[name]) / 2)
    assert "mean of the last 2 checkpoints" in (model_dir / "README.md").read_text()


def test_reported_scores_are_the_saved_models_fp32_scores(tiny_config, monkeypatch):
    """metrics.json must be reproducible from the saved model: after bf16 training, accelerate
    leaves an autocast wrapper on the model's forward, and scoring through it gave bf16 figures
    (and bf16-tuned thresholds) labelled as fp32 ones."""
    seen = []
    predict = EventTagger.predict_sentences

    def spy(self, sentences, *args, **kwargs):
        out = predict(self, sentences, *args, **kwargs)
        seen.append(out)
        return out

    monkeypatch.setattr(EventTagger, "predict_sentences", spy)
    tiny_config.training.precision = "bf16"
    tiny_config.training.epochs = 1.0
    run_training(tiny_config)
    in_training = seen[-1]  # the test split, scored at the end of training
    monkeypatch.setattr(EventTagger, "predict_sentences", predict)
    reloaded = EventTagger.from_pretrained(tiny_config.output.dir, precision="fp32")
    texts = [json.loads(line)["text"] for line in open(tiny_config.data.test)]
    again = reloaded.predict_sentences(texts, batch_size=tiny_config.training.eval_batch_size)
    assert [p["scores"] for p in again] == [p["scores"] for p in in_training]
    # and the test figures in metrics.json (sentences in article context) are the reloaded model's
    from sucesos.labels.corpus import load_corpus
    from sucesos.labels.schema import load_schema
    from sucesos.training.evaluation import evaluate_tagger

    records = load_corpus([tiny_config.data.test], load_schema(None))
    reported = json.loads((Path(tiny_config.output.dir) / "metrics.json").read_text())["test"]
    rescored, _ = evaluate_tagger(reloaded, records, tiny_config.training.eval_batch_size)
    assert rescored["events"] == reported["events"]
    assert rescored["events_sentence_alone"] == reported["events_sentence_alone"]
