"""Output that respects the terminal, through a real pty (pexpect): colour only on a TTY and never
with NO_COLOR, -q silences decorative messages, a spinner on stderr only on a TTY while waiting on
the network; and the version flags of both console scripts."""

import re

import pexpect
import pytest
from cli_support import login
from conftest import BIN

ESC = "\x1b["


def on_pty(env, *argv, timeout=30):
    """Run a console script on a pty; everything it wrote (stdout and stderr share the pty)."""
    child = pexpect.spawn(
        str(BIN / argv[0]), list(argv[1:]), env=env, encoding="utf-8", timeout=timeout, dimensions=(40, 200)
    )
    child.expect(pexpect.EOF)
    child.close()
    return child.before, child.exitstatus


@pytest.fixture
def logged_in(run, stub_api):
    login(run, stub_api, "work")


def test_colour_on_a_tty_only(run, env, logged_in):
    text, code = on_pty(env, "truto", "profiles", "list")
    assert code == 0 and f"{ESC}1mACTIVE" in text  # bold header
    text, code = on_pty(env, "truto", "doctor")
    assert code == 0 and f"{ESC}32mok" in text
    piped = run("truto", "profiles", "list")
    assert piped.returncode == 0 and ESC not in piped.stdout and "ACTIVE" in piped.stdout
    assert ESC not in run("truto", "doctor").stdout


@pytest.mark.parametrize("value", ["1", "0", "anything"])
def test_no_color_disables_colour_whatever_its_value(env, logged_in, value):
    for argv in (("truto", "profiles", "list"), ("truto", "doctor")):
        text, code = on_pty(dict(env, NO_COLOR=value), *argv)
        assert code == 0 and ESC not in text and "work" in text


def test_empty_no_color_is_unset(env, logged_in):
    text, _ = on_pty(dict(env, NO_COLOR=""), "truto", "profiles", "list")
    assert ESC in text  # no-color.org: only a non-empty value counts


def test_quiet_silences_decorative_messages(run, env, stub_api, tmp_path):
    e = dict(env, GIT_CONFIG_GLOBAL=str(tmp_path / "gitconfig"))
    loud = run("truto", "login", "--token", "tok-good-4f9c2e71d8a4b6", "--api-url", stub_api.url, env=e)
    assert loud.returncode == 0 and loud.stderr
    quiet = run("truto", "login", "--token", "tok-good-4f9c2e71d8a4b6", "--api-url", stub_api.url, "-q", env=e)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    done = run("truto", "auth", "setup-git", "-q", env=e)
    assert (done.returncode, done.stderr) == (0, "")
    assert "truto" in (tmp_path / "gitconfig").read_text()  # silenced, not skipped
    summary = run("truto", "doctor", env=e).stdout.splitlines()[-1]  # docker not set up here: "1 warning"
    assert summary == "no problems found" or summary.endswith(("warning", "warnings"))
    quiet_doctor = run("truto", "doctor", "-q", env=e)
    assert quiet_doctor.returncode == 0 and summary not in quiet_doctor.stdout.splitlines()
    assert "keyring" in quiet_doctor.stdout  # the report itself is data, not decoration


def test_spinner_only_on_a_tty_while_waiting(run, env, stub_api, logged_in):
    stub_api.state.faults.append({"delay": 1.0})
    text, code = on_pty(env, "truto", "whoami")
    assert code == 0 and "Acme Integrations" in text
    assert "Waiting for the API..." in text
    assert "\r\x1b[K" in text  # it erased itself before the answer was printed
    assert text.rindex("\r\x1b[K") < text.index("Acme Integrations")
    stub_api.state.faults.append({"delay": 1.0})
    piped = run("truto", "whoami")
    assert piped.returncode == 0 and "Waiting" not in piped.stderr and "\r" not in piped.stderr
    stub_api.state.faults.append({"delay": 1.0})
    text, code = on_pty(env, "truto", "whoami", "-q")
    assert code == 0 and "Waiting" not in text


def test_no_spinner_when_not_waiting_on_the_network(env, logged_in):
    text, code = on_pty(env, "truto", "profiles", "list")
    assert code == 0 and "Waiting" not in text


def test_version_flags(run):
    from truto_credential_helper import __version__

    truto = run("truto", "--version")
    assert truto.returncode == 0 and re.fullmatch(rf"truto {re.escape(__version__)}\n", truto.stdout)
    helper = run("truto-credential-helper", "--version")
    assert helper.returncode == 0 and __version__ in helper.stdout
