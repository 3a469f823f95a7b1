"""``sucesos train`` and ``sucesos evaluate``."""

from __future__ import annotations

from sucesos.training.config import load_config


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser("train", help="fine-tune a model from a YAML config",
                              description="Fine-tune from a config; KEY=VALUE overrides any config key, "
                                          "e.g. training.learning_rate=2.0e-5 model.encoder=xlm-roberta-base")
    p.add_argument("--config", "-c", help="YAML config (default: built-in defaults = training/configs/default.yaml)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="dotted overrides")
    p.add_argument("--overwrite", action="store_true", help="replace a model already in output.dir")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoint")
    p.add_argument("--print-config", action="store_true", help="print the merged config and exit")
    p.set_defaults(handler=cmd_train)

    from sucesos.training import report_cli

    report_cli.add_parser(subparsers)


def cmd_train(args) -> int:
    config = load_config(args.config, args.overrides)
    if args.print_config:
        print(config.to_yaml(), end="")
        return 0
    from sucesos.training.trainer import run_training

    run_training(config, overwrite=args.overwrite, resume=args.resume)
    return 0
