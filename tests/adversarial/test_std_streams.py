"""Every console script with a standard stream closed, a reader that leaves early, or a directory
as stdin: a one-line error or a clean exit, never a traceback, and nothing written where it does
not belong (an error meant for a closed stderr does not land on stdout)."""

import os
import subprocess

import pytest
from conftest import BIN

from .conftest import git_input

SCRIPTS = ("truto", "truto-credential-helper", "git-credential-truto", "docker-credential-truto")
NOISE = ("Traceback", "Fatal Python error", "Exception ignored", 'File "')


def run_with(argv, env, close=(), stdin=None, stdout=subprocess.PIPE, input=None):
    """Run a console script with the standard descriptors in `close` closed when it starts."""

    def preexec():
        for fd in close:
            os.close(fd)

    p = subprocess.Popen(
        [str(BIN / argv[0]), *argv[1:]],
        env=env,
        preexec_fn=preexec,
        stdin=subprocess.PIPE if input is not None else (stdin if stdin is not None else subprocess.DEVNULL),
        stdout=stdout if 1 not in close else subprocess.DEVNULL,
        stderr=subprocess.PIPE if 2 not in close else subprocess.DEVNULL,
    )
    out, err = p.communicate(input.encode() if input is not None else None, timeout=60)
    return p.returncode, (out or b"").decode(), (err or b"").decode()


def assert_quiet_or_one_line(code, out, err, argv):
    for noise in NOISE:
        assert noise not in out and noise not in err, (argv, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) <= 1, (argv, code, lines)
    return lines[0] if lines else ""


def requests(url):
    host = url.split("://")[1]
    return {
        "git": git_input(protocol="http", host=host),
        "docker": url,
    }


def test_stdin_closed(env, canary_profile):
    for argv, code, words in (
        (["git-credential-truto", "get"], 2, ["stdin"]),
        (["git-credential-truto", "store"], 2, ["stdin"]),
        (["truto-credential-helper", "get"], 2, ["stdin"]),
        (["git-credential-truto", "capability"], 0, []),  # an action git helpers ignore: reads nothing
        (["truto", "login", "--with-token", "--profile-name", "q"], 2, ["stdin"]),
        (["truto", "profiles", "set-key", "anthropic", "-", "-p", "p"], 2, ["stdin"]),
        (["truto", "login", "--profile-name", "q"], 2, ["terminal"]),
        (["truto", "profiles", "list"], 0, []),
    ):
        got, out, err = run_with(argv, env, close=(0,))
        line = assert_quiet_or_one_line(got, out, err, argv)
        assert got == code, (argv, got, out, err)
        assert all(w in line for w in words), (argv, line)
    # docker: errors on stdout, as docker reads them; list and version need no stdin.
    got, out, err = run_with(["docker-credential-truto", "get"], env, close=(0,))
    assert got == 1 and "stdin" in out and out.count("\n") == 1, (out, err)
    for argv in (["docker-credential-truto", "list"], ["docker-credential-truto", "version"]):
        got, out, err = run_with(argv, env, close=(0,))
        assert got == 0 and out and not err, (argv, out, err)


def test_stdout_closed(env, canary_profile):
    req = requests(canary_profile.url)
    for argv, data, code in (
        (["git-credential-truto", "get"], req["git"], 1),  # an answer it cannot deliver
        (["truto-credential-helper", "get"], req["git"], 1),
        (["docker-credential-truto", "get"], req["docker"], 1),
        (["docker-credential-truto", "list"], "", 1),
        (["docker-credential-truto", "version"], "", 1),
        (["docker-credential-truto", "--help"], "", 1),
        (["git-credential-truto", "--version"], "", 1),
        (["truto-credential-helper", "--help"], "", 1),
        (["truto", "profiles", "list"], None, 1),
        (["truto", "auth", "token", "-p", "p"], None, 1),
        (["truto", "--version"], None, 1),
        (["git-credential-truto", "get"], git_input(protocol="https", host="unknown.example"), 0),  # nothing to say
        (["git-credential-truto", "erase"], git_input(protocol="https", host="unknown.example"), 0),
    ):
        got, out, err = run_with(argv, env, close=(1,), input=data)
        line = assert_quiet_or_one_line(got, out, err, argv)
        assert got == code, (argv, got, err)
        if code:
            assert "stdout" in line, (argv, line)


def test_stderr_closed(env, canary_profile):
    """Errors have nowhere to go: the exit code says it, and stdout carries no stray message."""
    for argv, data, code in (
        (["git-credential-truto", "get", "extra"], "", 2),
        (["git-credential-truto", "get"], "garbage without equals\n\n", 2),
        (["truto-credential-helper", "--bogus"], "", 2),
        (["truto", "whoami", "-p", "nobody"], None, 3),
        (["truto", "--no-such-flag"], None, 2),
        (["truto", "profiles", "list"], None, 0),
        (["git-credential-truto", "get"], requests(canary_profile.url)["git"], 0),
    ):
        got, out, err = run_with(argv, env, close=(2,), input=data)
        assert got == code, (argv, got, out)
        for noise in NOISE + ("truto:", "error", "usage"):
            assert noise not in out, (argv, out)


def test_every_script_with_all_three_closed(env):
    """Nothing to read, write or complain to: the documented exit code still comes out."""
    for argv, code in (
        # `truto` alone prints its overview on stdout, as --version prints the version: closed, exit 1
        (["truto"], 1),
        (["truto", "get"], 2),
        (["truto", "--version"], 1),
        (["truto-credential-helper"], 2),
        (["truto-credential-helper", "get"], 2),
        (["truto-credential-helper", "--version"], 1),
        (["git-credential-truto"], 2),
        (["git-credential-truto", "get"], 2),
        (["git-credential-truto", "--version"], 1),
        (["docker-credential-truto"], 1),
        (["docker-credential-truto", "get"], 1),
        (["docker-credential-truto", "--version"], 1),
    ):
        got, out, err = run_with(argv, env, close=(0, 1, 2))
        assert got == code, (argv, got)


def test_reader_that_leaves_early(env, canary_profile):
    """stdout is a pipe nobody reads any more (`| head -0`): EPIPE ends the command quietly."""
    req = requests(canary_profile.url)
    for argv, data in (
        (["truto", "profiles", "list"], None),
        (["truto", "--help"], None),
        (["truto", "auth", "token", "-p", "p"], None),
        (["git-credential-truto", "get"], req["git"]),
        (["docker-credential-truto", "get"], req["docker"]),
        (["docker-credential-truto", "list"], ""),
        (["truto-credential-helper", "--help"], ""),
    ):
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            got, out, err = run_with(argv, env, stdout=write_end, input=data if data is not None else "")
        finally:
            os.close(write_end)
        assert_quiet_or_one_line(got, out, err, argv)
        assert got in (0, 1), (argv, got, err)
        assert err == "", (argv, err)


def test_stderr_reader_that_leaves_early(env):
    for argv, code in (
        (["truto", "whoami", "-p", "nobody"], 3),
        (["git-credential-truto", "get", "x", "y"], 2),
        (["truto-credential-helper", "--bogus"], 2),
    ):
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            p = subprocess.run(
                [str(BIN / argv[0]), *argv[1:]],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=write_end,
                timeout=60,
            )
        finally:
            os.close(write_end)
        assert p.returncode == code, (argv, p.returncode)
        for noise in NOISE:
            assert noise.encode() not in p.stdout, (argv, p.stdout)


@pytest.mark.xfail(
    strict=True,
    reason="CPython itself refuses to start with a directory as stdin "
    "(init_sys_streams: 'Fatal Python error'), before any code of ours runs",
)
def test_directory_as_stdin(env, tmp_path):
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for script in SCRIPTS:
            got, out, err = run_with([script, "get"], env, stdin=fd)
            assert_quiet_or_one_line(got, out, err, [script])
    finally:
        os.close(fd)
