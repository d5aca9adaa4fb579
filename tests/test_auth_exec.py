"""`truto auth exec -- COMMAND`: the credentials reach COMMAND's environment and nothing else;
its exit status, signals and standard streams are its own. Real processes throughout: the
installed `truto` runs a Python child that reports what it saw."""

import json
import os
import signal
import subprocess
import sys

import pytest
from cli_support import login
from conftest import GOOD_TOKEN, OTHER_TOKEN, files_containing

# Reports its environment, its argv and its parent's (truto's) argv as read from /proc.
REPORT = r"""
import json, os, sys
def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().decode("utf-8", "replace")
names = ("TRUTO_API_TOKEN", "TRUTO_API_URL", "ANTHROPIC_API_KEY", "FIRECRAWL_API_KEY")
json.dump({"env": {n: os.environ.get(n) for n in names}, "argv": cmdline("self"),
           "parent_argv": cmdline(os.getppid())}, sys.stdout)
"""

# Waits for signals and records each one in a file; exits 40 + the number of signals seen once
# the signal under test (argv[3]) has arrived.
WAITER = r"""
import os, signal, sys, time
record, ready, last = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen = []
def on(signo, frame):
    seen.append(signo)
    with open(record, "a") as f:
        f.write(f"{signo}\n")
    if signo == last:
        sys.exit(40 + len(seen))
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1):
    signal.signal(s, on)
open(ready, "w").close()
while True:
    time.sleep(60)
"""


def scrubbed(env):
    e = dict(env)
    for name in ("ANTHROPIC_API_KEY", "FIRECRAWL_API_KEY"):
        e.pop(name, None)
    return e


def report(run, *args, env):
    done = run("truto", "auth", "exec", *args, "--", sys.executable, "-c", REPORT, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_child_gets_token_and_url_in_its_environment_only(run, env, stub_api, tmp_path):
    env = scrubbed(env)
    login(run, stub_api, env=env)
    seen = report(run, env=env)
    assert seen["env"] == {
        "TRUTO_API_TOKEN": GOOD_TOKEN,
        "TRUTO_API_URL": stub_api.url,
        "ANTHROPIC_API_KEY": None,
        "FIRECRAWL_API_KEY": None,
    }
    assert GOOD_TOKEN not in seen["argv"] and GOOD_TOKEN not in seen["parent_argv"]
    assert "auth\0exec" in seen["parent_argv"]  # it really read truto's own command line
    assert files_containing(tmp_path, GOOD_TOKEN) == []  # nothing written anywhere


def test_with_keys_adds_the_profile_byok_keys(run, env, stub_api):
    env = scrubbed(env)
    login(run, stub_api, env=env)
    for kind, value in (("anthropic", "sk-ant-canary-1111"), ("firecrawl", "fc-canary-2222")):
        done = run("truto", "profiles", "set-key", kind, "-", input=value + "\n", env=env)
        assert done.returncode == 0, done.stderr
    assert report(run, env=env)["env"]["ANTHROPIC_API_KEY"] is None  # only when asked for
    seen = report(run, "--with-keys", env=env)
    assert seen["env"]["ANTHROPIC_API_KEY"] == "sk-ant-canary-1111"
    assert seen["env"]["FIRECRAWL_API_KEY"] == "fc-canary-2222"
    assert "canary" not in seen["argv"] + seen["parent_argv"]


def test_resolution_order_and_origin_guard(run, env, stub_api):
    login(run, stub_api, env=env)
    assert report(run, "--token", OTHER_TOKEN, env=env)["env"]["TRUTO_API_TOKEN"] == OTHER_TOKEN
    e = dict(env, TRUTO_API_TOKEN=OTHER_TOKEN, TRUTO_API_URL="https://api.example.com")
    assert report(run, env=e)["env"] == {
        "TRUTO_API_TOKEN": OTHER_TOKEN,
        "TRUTO_API_URL": "https://api.example.com",
        "ANTHROPIC_API_KEY": None,
        "FIRECRAWL_API_KEY": None,
    }
    # The profile's stored token is not handed to a command aimed at another origin.
    marker = env["TRUTO_CONFIG_DIR"] + "-ran"
    e = dict(env, TRUTO_API_URL="https://elsewhere.example.com")
    done = run("truto", "auth", "exec", "--", sys.executable, "-c", f"open({marker!r}, 'w')", env=e)
    assert done.returncode == 2 and "does not send a stored token to another origin" in done.stderr
    assert not os.path.exists(marker)


def test_not_logged_in(run, env):
    done = run("truto", "auth", "exec", "--", "true", env=env)
    assert done.returncode == 3 and "truto login" in done.stderr


@pytest.mark.parametrize("code", [0, 1, 42, 255])
def test_exit_status_is_the_commands(run, env, stub_api, code):
    login(run, stub_api, env=env)
    done = run("truto", "auth", "exec", "--", sys.executable, "-c", f"import sys; sys.exit({code})", env=env)
    assert done.returncode == code and done.stderr == ""


def test_death_by_signal_is_128_plus_n(run, env, stub_api):
    login(run, stub_api, env=env)
    kill_self = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    assert run("truto", "auth", "exec", "--", sys.executable, "-c", kill_self, env=env).returncode == 128 + 9


def test_streams_are_the_commands_own(run, env, stub_api):
    login(run, stub_api, env=env)
    upper = "import sys; data = sys.stdin.read(); sys.stdout.write(data.upper()); sys.stderr.write('err\\n')"
    done = run("truto", "auth", "exec", "--", sys.executable, "-c", upper, input="hello\nworld\n", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "HELLO\nWORLD\n", "err\n")
    # Arguments after COMMAND are COMMAND's, even those that look like truto's options.
    done = run("truto", "auth", "exec", sys.executable, "-c", "import sys; print(sys.argv[1:])", "-p", "-o", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['-p', '-o']\n"


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1"])
def test_signals_to_truto_reach_the_command(env, stub_api, run, tmp_path, name):
    login(run, stub_api, env=env)
    signo = getattr(signal, name)
    record, ready = tmp_path / "signals", tmp_path / "ready"
    truto = subprocess.Popen(
        ["truto", "auth", "exec", "--", sys.executable, "-c", WAITER, str(record), str(ready), str(int(signo))],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(ready, truto)
        truto.send_signal(signo)
        _, stderr = truto.communicate(timeout=30)
    finally:
        if truto.poll() is None:
            truto.kill()
    assert record.read_text().split() == [str(int(signo))]  # received once, by the command
    assert truto.returncode == 41, stderr  # the command's own status: it handled the signal and exited


def _wait_for(path, process):
    import time

    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        assert process.poll() is None and time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def test_missing_and_unrunnable_commands(run, env, stub_api, tmp_path):
    login(run, stub_api, env=env)
    done = run("truto", "auth", "exec", "--", "no-such-command-7c1d", env=env)
    assert done.returncode == 127
    assert done.stderr == "truto: no-such-command-7c1d: command not found; check its name and PATH\n"
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    done = run("truto", "auth", "exec", "--", str(script), env=env)
    assert done.returncode == 126 and len(done.stderr.splitlines()) == 1 and "cannot be run" in done.stderr
    done = run("truto", "auth", "exec", env=env)
    assert done.returncode == 2 and "no command given" in done.stderr


def test_handler_fallback_passes_status_and_signals_on(tmp_path):
    """Where sigwaitinfo is missing (macOS), signal handlers pass signals on: run here in-process."""
    import threading

    from truto_credential_helper.cli import auth_exec

    record, ready = tmp_path / "signals", tmp_path / "ready"
    command = [sys.executable, "-c", WAITER, str(record), str(ready), str(int(signal.SIGUSR1))]

    def signal_when_ready():
        while not ready.exists():
            threading.Event().wait(0.02)
        os.kill(os.getpid(), signal.SIGUSR1)  # to this process, which stands in for truto

    before = signal.getsignal(signal.SIGUSR1)
    sender = threading.Thread(target=signal_when_ready, daemon=True)
    sender.start()
    assert auth_exec._run_with_handlers(command, dict(os.environ), [signal.SIGUSR1]) == 41
    sender.join(30)
    assert record.read_text().split() == [str(int(signal.SIGUSR1))]
    assert signal.getsignal(signal.SIGUSR1) == before  # handlers restored afterwards
    kill_self = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"]
    assert auth_exec._run_with_handlers(kill_self, dict(os.environ), []) == 128 + signal.SIGTERM


# Another thread of truto's process (an embedding program's, a library's) that never blocks
# SIGCHLD: the kernel may hand it the child's SIGCHLD, which then never reaches the wait.
RACE = r"""
import os, signal, sys, threading
from truto_credential_helper.cli import auth_exec
def spin():
    while True:
        sum(range(1000))
threading.Thread(target=spin, daemon=True).start()
signals = [getattr(signal, n) for n in auth_exec.FORWARDED]
codes = {auth_exec._run_waiting_for_signals(["true"], dict(os.environ), signals) for _ in range(1000)}
print(sorted(codes))
"""


def test_the_wait_ends_when_another_thread_takes_the_childs_signal():
    """A process of its own: a wait that never ends must fail this test, not hang the suite."""
    try:
        done = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("auth exec kept waiting for a command that had exited")
    assert done.returncode == 0 and done.stdout.split() == ["[0]"], done
