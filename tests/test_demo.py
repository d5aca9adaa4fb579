"""scripts/demo, the first thing a new user runs, run whole: every step prints what it should, only
the two steps that fail on purpose fail, a token appears only where a credential helper hands it
out, and nothing is left behind. Once in a private gnome-keyring session of its own (as on a
desktop) and once with no D-Bus at all (gnome-keyring missing: --insecure-storage).

The demo reuses the suite's venv (TRUTO_VENV) and is told which environment it is in
(TRUTO_DEMO_INSIDE) rather than running scripts/bootstrap, which would reinstall the package under
the tests' feet."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TRUTO_VARS

VENV = Path(sys.executable).parent.parent
DEMO_TOKEN = re.compile(r"demo-[0-9a-f]{16}")


def run_demo(tmp_path, inside, dbus):
    env = {k: v for k, v in os.environ.items() if k not in TRUTO_VARS}
    env.update(TRUTO_VENV=str(VENV), TRUTO_DEMO_INSIDE=inside, TMPDIR=str(tmp_path))
    argv = [str(ROOT / "scripts" / "demo")]
    if dbus:
        argv = [str(ROOT / "scripts" / "keyring-session")] + argv
    else:
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def steps(output):
    """[(command as shown, [its output lines])], the stub's URL written as API."""
    found = []
    for line in output.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        elif line.startswith("#") or not line:
            if found and found[-1][0] is not None:
                found.append((None, []))  # a comment ends the step's output
        elif found and found[-1][0] is not None:
            found[-1][1].append(line)
    return [(command, lines) for command, lines in found if command is not None]


def outputs(all_steps, command):
    """The output of each step whose command is exactly `command`, in order."""
    return [lines for shown, lines in all_steps if shown == command]


def step(all_steps, prefix):
    """The output of the one step whose command starts with `prefix`."""
    matching = [lines for shown, lines in all_steps if shown.startswith(prefix)]
    assert len(matching) == 1, f"one step starting {prefix!r} in {[shown for shown, _ in all_steps]}"
    return matching[0]


@pytest.fixture(scope="module", params=["keyring", "file"])
def demo(request, tmp_path_factory):
    inside = request.param
    tmp_path = tmp_path_factory.mktemp(f"demo-{inside}")
    output = run_demo(tmp_path, inside, dbus=inside == "keyring")
    api = re.search(r"stub Truto API at (http://127\.0\.0\.1:\d+);", output).group(1)
    output = output.replace(api, "API").replace(api[len("http://") :], "HOSTPORT")
    return inside, output, tmp_path


def test_every_step_prints_what_it_should(demo):
    inside, output, _ = demo
    assert "Traceback" not in output and output.rstrip().endswith("# done")
    all_steps = steps(output)
    suffix = " --insecure-storage" if inside == "file" else ""
    login = "printf '%s\\n' \"$TOKEN\" | truto login --with-token --api-url API --profile-name"
    for name in ("staging", "production"):
        said = step(all_steps, f"{login} {name}{suffix}")
        assert (
            said[-1]
            == f"Logged in to team Acme Integrations (team_7f3a) at API as profile '{name}'; it is now the active profile."
        )
        # --insecure-storage warns on every write, and only then.
        assert [line.startswith("truto: warning: secrets are stored in plaintext") for line in said[:-1]] == (
            [True] if inside == "file" else []
        )

    first_whoami, last_whoami = outputs(all_steps, "truto whoami")
    whoami = dict(re.split(r":\s+", line, maxsplit=1) for line in first_whoami)
    assert (whoami["Profile"], whoami["API URL"], whoami["Team"]) == ("production", "API", "Acme Integrations")
    assert re.fullmatch(r"\*{4}[0-9a-f]{4}", whoami["Token"])
    assert whoami["Stored in"].startswith("OS keyring" if inside == "keyring" else "plaintext file")
    as_json = json.loads("\n".join(step(all_steps, "truto whoami -p staging -o json")))
    assert (as_json["profile"], as_json["token"]) == ("staging", whoami["Token"])

    before_logout, after_logout = outputs(all_steps, "truto profiles list")
    assert [line.split()[:2] for line in before_logout[1:]] == [["*", "production"], ["staging", "API"]]
    assert after_logout == ["No profiles yet; run `truto login` to create one."]
    assert step(all_steps, "truto profiles use staging") == ["Profile 'staging' is now the active profile."]
    assert step(all_steps, "truto profiles get default-integrated-account") == ["acct_123"]
    assert step(all_steps, "truto profiles get anthropic-api-key") == ["****6789"]
    as_yaml = step(all_steps, "truto profiles list -o yaml")
    assert as_yaml[as_yaml.index("- name: staging") :] == [
        "- name: staging",
        "  active: true",
        "  apiUrl: API",
        f"  secretStore: {inside}",
        "  defaultIntegratedAccount: acct_123",
    ]

    (first_page,) = outputs(all_steps, "truto api-tokens list --limit 3")
    assert len(first_page) == 5 and first_page[-1] == "More tokens: truto api-tokens list --next-cursor 3 --limit 3"
    assert (
        step(all_steps, "truto api-tokens list --limit 3 --next-cursor 3 -o csv")[0]
        == "id,name,environment_id,created_at"
    )
    assert "name:           ci-staging" in step(all_steps, "truto api-tokens get tok_001")

    git_fill = step(all_steps, "printf 'protocol=http\\nhost=HOSTPORT")
    assert git_fill[:3] == ["protocol=http", "host=HOSTPORT", "username=staging"]
    token = git_fill[3].partition("password=")[2]
    assert DEMO_TOKEN.fullmatch(token) and token.endswith(whoami["Token"][-4:])
    assert json.loads("\n".join(step(all_steps, "printf '%s' API | docker-credential-truto get"))) == {
        "ServerURL": "API",
        "Username": "staging",
        "Secret": token,
    }
    assert step(all_steps, "printf 'protocol=https\\nhost=elsewhere.example") == []
    assert step(all_steps, "TRUTO_API_TOKEN=ci-token-123") == [
        "protocol=http",
        "host=HOSTPORT",
        "username=default",
        "password=ci-token-123",
    ]

    assert step(all_steps, "printf 'not-a-valid-token")[-1] == "(exit 4)"
    assert outputs(all_steps, "truto logout -f -p production")[0][-1].startswith("Logged out of profile 'production'")
    assert outputs(all_steps, "truto logout -f")[0][-1].startswith("Logged out of profile 'staging'")
    assert last_whoami == [
        "truto: not logged in: no profile 'default'; run `truto login` (or set TRUTO_API_TOKEN)",
        "(exit 3)",
    ]
    # Only the two steps meant to fail do.
    assert [line for line in output.splitlines() if line.startswith("(exit")] == ["(exit 4)", "(exit 3)"]


def test_a_secret_shows_only_where_a_helper_hands_it_out(demo):
    _, output, _ = demo
    with_token = [line for line in output.splitlines() if DEMO_TOKEN.search(line)]
    assert len(with_token) == 2, with_token
    assert with_token[0].startswith("password=") and with_token[1].startswith('{"ServerURL": "API"')
    # The BYOK key and the rejected token: only in the commands as typed, never in what truto says.
    for secret in ("sk-ant-demo-0123456789", "not-a-valid-token"):
        assert [line[:2] for line in output.splitlines() if secret in line] == ["$ "]


def test_nothing_is_left_behind(demo):
    inside, output, tmp_path = demo
    # The stub is stopped and the throwaway directory (config, credentials.json) removed.
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert not list(tmp_path.glob("truto-*"))
