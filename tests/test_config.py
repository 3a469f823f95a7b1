"""``sucesos.training.config.load_config`` and the config/data checks of ``sucesos train``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sucesos.cli import main
from sucesos.errors import SucesosError
from sucesos.training.config import Config, load_config

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------ loading
def test_default_yaml_equals_builtin_defaults():
    cfg = load_config(CONFIGS / "default.yaml")
    assert cfg == load_config(None)
    assert cfg.model.encoder == "bundled:multilingual-e5-small"
    assert cfg.training.learning_rate == 8.0e-5 and isinstance(cfg.training.learning_rate, float)
    assert cfg.data.schema is None and cfg.data.languages is None


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    cfg = load_config(path)
    assert isinstance(cfg, Config)
    # the merged config round-trips through its YAML form
    again = yaml.safe_load(cfg.to_yaml())
    assert again == cfg.to_dict()


def test_shipped_config_dir_is_not_empty():
    assert (CONFIGS / "default.yaml").is_file()


def test_dotted_override_float():
    cfg = load_config(CONFIGS / "default.yaml", ["training.learning_rate=2e-5"])
    assert cfg.training.learning_rate == 2e-05
    assert type(cfg.training.learning_rate) is float


@pytest.mark.parametrize("override, section, key, expected", [
    ("training.epochs=3", "training", "epochs", 3.0),
    ("training.batch_size=4", "training", "batch_size", 4),
    ("model.freeze_word_embeddings=false", "model", "freeze_word_embeddings", False),
    ("data.languages=[en, es]", "data", "languages", ["en", "es"]),
    ("data.test=null", "data", "test", None),
    ("model.encoder=xlm-roberta-base", "model", "encoder", "xlm-roberta-base"),
    ("output.dir=models/x y", "output", "dir", "models/x y"),
    ("training.head_learning_rate=1e-3", "training", "head_learning_rate", 1e-3),
    ("model.attention_dropout=0.0", "model", "attention_dropout", 0.0),
    ("model.encoder_dropout=null", "model", "encoder_dropout", None),
])
def test_overrides(override, section, key, expected):
    value = getattr(getattr(load_config(None, [override]), section), key)
    assert value == expected and type(value) is type(expected)


def test_later_override_wins_and_file_values_are_kept(tmp_path):
    f = write(tmp_path / "c.yaml", "training:\n  epochs: 5.0\n  batch_size: 8\n")
    cfg = load_config(f, ["training.batch_size=2", "training.batch_size=3"])
    assert (cfg.training.epochs, cfg.training.batch_size) == (5.0, 3)


def test_yaml_1e_minus_5_string_coerces_to_float(tmp_path):
    f = write(tmp_path / "c.yaml", "training:\n  learning_rate: 1e-5\n  head_learning_rate: 2E-4\n")
    assert yaml.safe_load(Path(f).read_text())["training"]["learning_rate"] == "1e-5"  # PyYAML reads a string
    cfg = load_config(f)
    assert cfg.training.learning_rate == 1e-05 and type(cfg.training.learning_rate) is float
    assert cfg.training.head_learning_rate == 2e-4


def test_int_given_for_float_becomes_float(tmp_path):
    f = write(tmp_path / "c.yaml", "training:\n  epochs: 2\n")
    assert type(load_config(f).training.epochs) is float


# ------------------------------------------------------------------ errors
def test_unknown_key_in_file(tmp_path):
    f = write(tmp_path / "c.yaml", "training:\n  lr: 1.0e-5\n")
    with pytest.raises(SucesosError, match=r"unknown key 'training\.lr'") as info:
        load_config(f)
    assert str(info.value).startswith(f"{f}: ")


def test_unknown_top_level_key_in_file(tmp_path):
    f = write(tmp_path / "c.yaml", "trainer:\n  epochs: 1\n")
    with pytest.raises(SucesosError, match=r"unknown key 'trainer' \(known: data, model, training, output\)"):
        load_config(f)


def test_unknown_key_in_file_reported_even_with_overrides(tmp_path):
    f = write(tmp_path / "c.yaml", "model:\n  encoder_name: x\n")
    with pytest.raises(SucesosError, match=r"unknown key 'model\.encoder_name'") as info:
        load_config(f, ["training.epochs=1"])
    assert str(info.value).startswith(f"{f}: ")


def test_unknown_key_in_override():
    with pytest.raises(SucesosError) as info:
        load_config(None, ["training.lr=1"])
    assert str(info.value).startswith("<overrides>: unknown key 'training.lr' (known: seed, epochs,")


def test_unknown_key_in_override_on_top_of_file(tmp_path):
    f = write(tmp_path / "c.yaml", "training:\n  epochs: 1.0\n")
    with pytest.raises(SucesosError, match=r"unknown key 'model\.hidden_size'") as info:
        load_config(f, ["model.hidden_size=64"])
    assert str(info.value).startswith(f"{f} + overrides: ")


def test_override_without_equals():
    with pytest.raises(SucesosError, match="expected key=value, got 'training.epochs'"):
        load_config(None, ["training.epochs"])


@pytest.mark.parametrize("override, message", [
    ("training.batch_size=abc", "training.batch_size must be an integer, got str 'abc'"),
    ("training.batch_size=2.5", "training.batch_size must be an integer, got float 2.5"),
    ("training.learning_rate=fast", "training.learning_rate must be a number, got str 'fast'"),
    ("training.epochs=true", "training.epochs must be a number, got bool True"),
    ("model.freeze_word_embeddings=maybe", "model.freeze_word_embeddings must be true/false, got str 'maybe'"),
    ("model.encoder=[a, b]", "model.encoder must be a string, got list ['a', 'b']"),
    ("data.languages=en", "data.languages must be a list, got str 'en'"),
    ("data.languages=[en, 3]", "data.languages[1] must be a string, got int 3"),
    ("training=3", "training must be a mapping"),
])
def test_wrong_type_names_path(override, message):
    with pytest.raises(SucesosError) as info:
        load_config(None, [override])
    assert str(info.value) == f"<overrides>: {message}"


def test_wrong_type_in_file_names_path(tmp_path):
    f = write(tmp_path / "c.yaml", "data:\n  train: [a.jsonl, b.jsonl]\n")
    with pytest.raises(SucesosError) as info:
        load_config(f)
    assert str(info.value) == f"{f}: data.train must be a string, got list ['a.jsonl', 'b.jsonl']"


@pytest.mark.parametrize("override, message", [
    ("training.batch_size=0", "training.batch_size = 0 is outside [1, 4096]"),
    ("training.learning_rate=2.0", "training.learning_rate = 2.0 is outside [1e-08, 1.0]"),
    ("training.warmup_ratio=-0.1", "training.warmup_ratio = -0.1 is outside [0.0, 1.0]"),
    ("model.dropout=0.95", "model.dropout = 0.95 is outside [0.0, 0.9]"),
    ("model.attention_dropout=1.0", "model.attention_dropout = 1.0 is outside [0.0, 0.9]"),
    ("model.encoder_dropout=-0.1", "model.encoder_dropout = -0.1 is outside [0.0, 0.9]"),
    ("model.max_length=8", "model.max_length = 8 is outside [16, 8192]"),
    ("training.selection_metric=loss", "training.selection_metric = 'loss' is not one of: "
                                      "event_macro_f1, actor_overlap_f1, combined_f1"),
    ("training.precision=fp8", "training.precision = 'fp8' is not one of: auto, fp32, bf16, fp16"),
    ("data.languages=[]", "data.languages must be null or a non-empty list"),
    ("model.event_pooling=max", "model.event_pooling = 'max' is not one of: mean, attention"),
    ("training.layer_lr_decay=1.5", "training.layer_lr_decay = 1.5 is outside [0.1, 1.0]"),
    ("model.freeze_layers=-1", "model.freeze_layers = -1 is outside [0, 1000]"),
    ("training.threshold_shrinkage=1.2", "training.threshold_shrinkage = 1.2 is outside [0.0, 1.0]"),
])
def test_out_of_range_rejected(override, message):
    with pytest.raises(SucesosError) as info:
        load_config(None, [override])
    assert str(info.value) == f"<overrides>: {message}"


def test_both_loss_weights_zero_rejected():
    with pytest.raises(SucesosError, match="cannot both be 0"):
        load_config(None, ["model.event_loss_weight=0", "model.span_loss_weight=0"])


@pytest.mark.parametrize("override", ["training.num_threads=-1", "training.seed=-1"])
def test_negative_threads_or_seed_rejected(override):
    with pytest.raises(SucesosError, match=override.split("=")[0]):
        load_config(None, [override])


def test_override_into_empty_section_of_file(tmp_path):
    f = write(tmp_path / "c.yaml", "training:\nmodel:\n  max_length: 64\n")
    from sucesos.training.config import TrainingConfig

    assert load_config(f).training == TrainingConfig()  # an empty section alone is fine: all defaults
    cfg = load_config(f, ["training.epochs=2"])
    assert cfg.training.epochs == 2.0 and cfg.model.max_length == 64


def test_invalid_yaml_names_line(tmp_path):
    f = write(tmp_path / "c.yaml", "training:\n  epochs: 1\n  batch_size: [1,\n")
    with pytest.raises(SucesosError) as info:
        load_config(f)
    assert str(info.value).startswith(f"{f}:")
    assert "invalid YAML" in str(info.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(SucesosError, match="cannot read config"):
        load_config(tmp_path / "nope.yaml")


# ------------------------------------------------------------------ sucesos train
def test_print_config_prints_merged_yaml(tmp_path, capsys):
    f = write(tmp_path / "c.yaml", "training:\n  epochs: 2.0\nmodel:\n  max_length: 64\n")
    assert main(["train", "--config", f, "--print-config", "training.learning_rate=3e-5",
                 f"output.dir={tmp_path / 'never'}"]) == 0
    out = capsys.readouterr().out
    merged = yaml.safe_load(out)
    assert list(merged) == ["data", "model", "training", "output"]
    assert merged["training"]["epochs"] == 2.0
    assert merged["training"]["learning_rate"] == 3e-05
    assert merged["model"]["max_length"] == 64
    assert merged["model"]["encoder"] == "bundled:multilingual-e5-small"  # default filled in
    assert merged["training"]["batch_size"] == 16
    # the printed YAML is itself a valid config that gives the same values
    again = write(tmp_path / "again.yaml", out)
    assert load_config(again) == load_config(f, ["training.learning_rate=3e-5", f"output.dir={tmp_path / 'never'}"])
    assert not (tmp_path / "never").exists()


def test_overrides_after_an_option_are_applied(tmp_path, capsys):
    # argparse alone stops filling the positional override list at the first option
    assert main(["train", "--print-config", "training.epochs=3.0", "--overwrite", "training.learning_rate=2.0e-5",
                 f"output.dir={tmp_path / 'never'}"]) == 0
    merged = yaml.safe_load(capsys.readouterr().out)
    assert merged["training"]["epochs"] == 3.0 and merged["training"]["learning_rate"] == 2e-05
    with pytest.raises(SystemExit):  # an unknown option is still refused, not taken for an override
        main(["train", "--print-config", "--overwrite", "--bogus", "training.epochs=3.0"])
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_print_config_bad_override_exits_2(tmp_path, capsys):
    assert main(["train", "--print-config", "training.batch_size=abc"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: <overrides>: training.batch_size must be an integer, got str 'abc'\n"


def _record(i: int, article: str, lang: str = "en", events=("ambush",), role="PERPETRATOR") -> dict:
    return {"id": f"{article}-s{i:03d}", "article_id": article, "language": lang, "text": "Gunmen fled the scene.",
            "events": list(events), "actors": [{"start": 0, "end": 6, "role": role, "text": "Gunmen"}],
            "source": {"kind": "test"}}


@pytest.fixture()
def data_files(tmp_path):
    def write_split(name, records, extra_lines=()):
        path = tmp_path / f"{name}.jsonl"
        lines = [json.dumps(r, ensure_ascii=False) for r in records] + list(extra_lines)
        path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        return path

    files = {
        "train": write_split("train", [_record(0, "tr-a", "en"), _record(1, "tr-b", "es")]),
        "dev": write_split("dev", [_record(0, "dv-a", "en"), _record(1, "dv-b", "es")]),
    }
    files["write"] = write_split
    return files


def run_train(capsys, tmp_path, train, dev, *extra):
    out_dir = tmp_path / "model-out"
    code = main(["train", f"data.train={train}", f"data.dev={dev}", "data.test=null",
                 f"output.dir={out_dir}", *extra])
    captured = capsys.readouterr()
    assert code == 2, captured
    err_lines = captured.err.splitlines()
    assert len(err_lines) == 1, captured.err
    assert err_lines[0].startswith("error: ")
    assert "Traceback" not in captured.err
    assert not out_dir.exists()
    return err_lines[0]


def test_train_missing_data_file(capsys, tmp_path, data_files):
    missing = tmp_path / "no-such-train.jsonl"
    err = run_train(capsys, tmp_path, missing, data_files["dev"])
    assert err == f"error: {missing}: data.train file not found"


def test_train_missing_dev_file(capsys, tmp_path, data_files):
    missing = tmp_path / "no-such-dev.jsonl"
    err = run_train(capsys, tmp_path, data_files["train"], missing)
    assert err == f"error: {missing}: data.dev file not found"


def test_train_broken_json_line(capsys, tmp_path, data_files):
    dev = data_files["write"]("dev", [_record(0, "dv-a")], ['{"id": "dv-b-s000", "text": '])
    err = run_train(capsys, tmp_path, data_files["train"], dev)
    assert err == f"error: {dev}:2: malformed JSON (Expecting value)"


def test_train_empty_training_split_after_language_filter(capsys, tmp_path, data_files):
    err = run_train(capsys, tmp_path, data_files["train"], data_files["dev"], "data.languages=[fr]")
    assert err == f"error: {data_files['train']}: data.train has no sentences in languages ['fr']"


def test_train_empty_training_file(capsys, tmp_path, data_files):
    train = data_files["write"]("train", [])
    err = run_train(capsys, tmp_path, train, data_files["dev"])
    assert err == f"error: {train}: data.train has no sentences"


def test_train_label_not_in_schema(capsys, tmp_path, data_files):
    train = data_files["write"]("train", [_record(0, "tr-a"), _record(1, "tr-b", events=("extortion",))])
    err = run_train(capsys, tmp_path, train, data_files["dev"])
    assert err == f"error: {train}:2: unknown event type 'extortion'"


def test_train_role_not_in_schema(capsys, tmp_path, data_files):
    dev = data_files["write"]("dev", [_record(0, "dv-a"), _record(1, "dv-b"), _record(2, "dv-c", role="GUNMAN")])
    err = run_train(capsys, tmp_path, data_files["train"], dev)
    assert err == f"error: {dev}:3: unknown role 'GUNMAN'"


def test_train_article_across_splits(capsys, tmp_path, data_files):
    dev = data_files["write"]("dev", [_record(5, "tr-a")])
    err = run_train(capsys, tmp_path, data_files["train"], dev)
    assert err == f"error: {dev}:1: article 'tr-a' is also in {data_files['train']}"


def test_train_freeze_layers_beyond_the_encoder_depth(capsys, tmp_path, tiny_corpus, tiny_encoder):
    out_dir = tmp_path / "model-out"
    code = main(["train", f"data.train={tiny_corpus['train']}", f"data.dev={tiny_corpus['dev']}", "data.test=null",
                 f"model.encoder={tiny_encoder}", "model.freeze_layers=50", f"output.dir={out_dir}"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and not out_dir.exists()
    assert err.splitlines()[-1] == "error: model.freeze_layers = 50 freezes all 2 layers of the encoder; use at most 1"
