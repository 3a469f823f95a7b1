"""SIGTERM unwinds like Ctrl-C: no half-written file, no temp file left, exit status 130."""

import argparse
import os
import signal
import time

from sucesos import cli
from sucesos.fileio import atomic_open


def test_sigterm_mid_write_leaves_nothing(tmp_path, monkeypatch, capsys):
    target = tmp_path / "metrics.json"

    def handler(args):
        with atomic_open(target) as fh:
            fh.write('{"partial": ')
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the signal arrives here; never finishes
            fh.write("1}")

    def parser():
        p = argparse.ArgumentParser()
        p.set_defaults(handler=handler)
        return p

    monkeypatch.setattr(cli, "build_parser", parser)
    before = signal.getsignal(signal.SIGTERM)
    started = time.time()
    assert cli.main([]) == 130
    assert time.time() - started < 4
    assert "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither the target nor its temporary sibling
    assert signal.getsignal(signal.SIGTERM) is before  # restored for library callers
