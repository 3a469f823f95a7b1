"""The ``sucesos`` command: one entry point, one subcommand per job.

Every user-fixable problem is a :class:`~sucesos.errors.SucesosError`, printed as one line
(``error: file:line: problem``) with exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from sucesos import __version__
from sucesos.errors import SucesosError


def build_parser() -> argparse.ArgumentParser:
    from sucesos.labels import cli as labels_cli
    from sucesos.training import cli as training_cli
    from sucesos.inference import cli as inference_cli

    parser = argparse.ArgumentParser(prog="sucesos", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"sucesos {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    labels_cli.add_parser(subparsers)
    training_cli.add_parsers(subparsers)
    inference_cli.add_parser(subparsers)
    return parser


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    # KEY=VALUE overrides after an option (`train --config c.yaml --overwrite training.epochs=5.0`):
    # argparse stops filling a positional list at the first option, so they are collected here
    overrides = [a for a in rest if "=" in a and not a.startswith("-")]
    if rest != overrides or (overrides and getattr(args, "overrides", None) is None):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if overrides:
        args.overrides = list(args.overrides) + overrides
    # SIGTERM (kill, timeout, batch schedulers) unwinds like Ctrl-C: atomic writes drop their
    # temporary files and temporary work dirs are removed, instead of dying mid-write.
    # Only over the default action: an ignored SIGTERM or a host's own handler is left alone.
    previous = None
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return int(args.handler(args) or 0)
    except SucesosError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
