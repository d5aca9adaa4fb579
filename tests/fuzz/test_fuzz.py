"""Fuzzing that learns: atheris (libFuzzer's coverage-guided mutation for Python) over the git and
docker request parsers, the D-Bus reply decoder and the config loader (tests/fuzz/targets.py), each
for a bounded time from the committed corpus (tests/fuzz/corpus/TARGET). A crash is any exception
other than the parser's documented error class, or an input that hangs; libFuzzer prints the input,
which then becomes a plain unit test in tests/fuzz/test_regressions.py.

TRUTO_FUZZ_SECONDS sets the time per target (default 30; 0 skips the atheris runs). The corpus
also runs through every target in-process, so it is a regression suite where atheris has no wheel.
"""

import base64
import os
import shutil
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from .targets import TARGETS

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
SECONDS = int(os.environ.get("TRUTO_FUZZ_SECONDS", "30"))
SLOW_INPUT = 5  # seconds: any single input taking longer is a hang (libFuzzer's -timeout)


@contextmanager
def time_bound(seconds):
    def expire(signum, frame):
        raise TimeoutError(f"an input ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_corpus_runs_clean_through_its_target(target):
    files = sorted((CORPUS / target).iterdir())
    assert files, f"no corpus for {target}"
    for path in files:
        with time_bound(SLOW_INPUT):
            TARGETS[target](path.read_bytes())


@pytest.mark.skipif(SECONDS <= 0, reason="TRUTO_FUZZ_SECONDS=0")
@pytest.mark.parametrize("target", sorted(TARGETS))
def test_fuzz_target_for_a_bounded_time(target, tmp_path):
    pytest.importorskip("atheris", reason="atheris has wheels for CPython 3.9-3.11 on x86-64 Linux only")
    corpus = tmp_path / "corpus"  # libFuzzer adds what it learns here, never to the repository
    shutil.copytree(CORPUS / target, corpus)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    r = subprocess.run(
        [
            sys.executable,
            str(HERE / "run.py"),
            target,
            f"-max_total_time={SECONDS}",
            f"-timeout={SLOW_INPUT}",
            "-rss_limit_mb=1024",
            "-max_len=8192",
            f"-artifact_prefix={artifacts}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS * 3 + 60,
        cwd=tmp_path,
        env=dict(os.environ, TMPDIR=str(tmp_path)),
    )
    found = {p.name: base64.b64encode(p.read_bytes()).decode() for p in artifacts.iterdir()}
    assert r.returncode == 0 and not found, (
        f"the {target} fuzzer found a crash; add the input (base64) to tests/fuzz/test_regressions.py, "
        f"then fix it: {found}\n{r.stderr[-4000:]}"
    )
