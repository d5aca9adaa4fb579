"""A secret pasted into the wrong place (an API URL, a profile name, TRUTO_PROFILE, TRUTO_API_URL,
an ID or key name) is never printed back: an error about a value says what is wrong with it, with at
most its masked form and length. A canary token goes in through every such input, for the commands,
the helpers and `truto doctor`, and must not come out."""

import pytest
from conftest import BIN

from .conftest import assert_no_secret, git_input, new_canary, no_traceback


def inputs(t, url):
    """(argv, extra environment, stdin) with the canary t in a place meant for something else."""
    other = f"https://other.example/{t}"  # a valid URL of another origin, the canary in its path
    return [
        # --api-url / TRUTO_API_URL
        (["truto", "whoami", "--api-url", t], {}, None),
        (["truto", "whoami", "--api-url", f"ftp://{t}"], {}, None),
        (["truto", "whoami", "--api-url", f"http://{t}.example"], {}, None),
        (["truto", "whoami", "--api-url", f"https://host:{t}"], {}, None),
        (["truto", "whoami", "-p", "p", "--api-url", other], {}, None),
        (["truto", "login", "--token", "tok-a-real-one-123456", "--api-url", t, "--profile-name", "q", "-f"], {}, None),
        (["truto", "api-tokens", "list", "--api-url", t], {}, None),
        (["truto", "profiles", "set", "api-url", t, "-p", "p"], {}, None),
        (["truto", "auth", "setup-git", "--api-url", t], {}, None),
        (["truto", "auth", "setup-docker", "--api-url", t], {}, None),
        # --vault-addr: the Vault token travels to it, and a misplaced API token must not come back
        (
            ["truto", "login", "--secret-store", "vault", "--vault-path", "secret/x", "--vault-addr", t, "--no-verify"],
            {},
            None,
        ),
        (
            [
                "truto",
                "login",
                "--secret-store",
                "vault",
                "--vault-path",
                "secret/x",
                "--vault-addr",
                f"http://{t}.example",
            ],
            {},
            None,
        ),
        (["truto", "whoami"], {"TRUTO_API_URL": t}, None),
        (["truto", "whoami", "-p", "p"], {"TRUTO_API_URL": other}, None),
        (["truto", "whoami"], {"TRUTO_API_URL": t, "TRUTO_API_TOKEN": "tok-ci-0123456789abcdef"}, None),
        (
            ["git-credential-truto", "get"],
            {"TRUTO_API_URL": t, "TRUTO_API_TOKEN": "tok-ci-0123456789abcdef"},
            git_input(protocol="https", host="api.truto.one"),
        ),
        (["docker-credential-truto", "list"], {"TRUTO_API_URL": t, "TRUTO_API_TOKEN": "tok-ci-0123456789abcdef"}, ""),
        # a profile name: -p, --profile-name, TRUTO_PROFILE, git's profile attribute
        (["truto", "whoami", "-p", t], {}, None),
        (["truto", "profiles", "current", "-p", t], {}, None),
        (["truto", "profiles", "use", t], {}, None),
        (["truto", "use", t], {}, None),
        (["truto", "profiles", "get", "api-url", "-p", t], {}, None),
        (["truto", "profiles", "set-key", "anthropic", "key-123456789", "-p", t], {}, None),
        (["truto", "logout", "--profile-name", t, "-f"], {}, None),
        (["truto", "auth", "token", "-p", t], {}, None),
        (["truto", "auth", "setup-git", "-p", t], {}, None),
        (
            ["truto", "login", "--token", "tok-a-real-one-123456", "--api-url", url, "--profile-name", t + "!", "-f"],
            {},
            None,
        ),
        (["truto", "login", "--token", "tok-a-real-one-123456", "--api-url", url, "-p", t + "/..", "-f"], {}, None),
        (["truto", "whoami"], {"TRUTO_PROFILE": t}, None),
        (["truto", "profiles", "current"], {"TRUTO_PROFILE": t}, None),
        (["truto", "auth", "token"], {"TRUTO_PROFILE": t}, None),
        (["truto", "auth", "status", "-o", "json"], {"TRUTO_PROFILE": t, "TRUTO_API_URL": t}, None),
        (["truto", "auth", "status"], {"TRUTO_PROFILE": t, "TRUTO_API_URL": f"http://{t}.example"}, None),
        (
            ["git-credential-truto", "store"],
            {},
            git_input(protocol="https", host="x.example", username="u", password="pw-123456", profile=t + "!"),
        ),
        # an ID, a key name, a key kind, an option or protocol of the helpers
        (["truto", "api-tokens", "get", t, "-p", "p"], {}, None),  # the stub answers 404
        (["truto", "profiles", "get", t, "-p", "p"], {}, None),
        (["truto", "profiles", "set", t, "x", "-p", "p"], {}, None),
        (["truto", "profiles", "set-key", t, "key-123456789", "-p", "p"], {}, None),
        (["truto-credential-helper", "--protocol", t, "get"], {}, ""),
        (["truto-credential-helper", f"--{t}", "get"], {}, ""),
        (["git-credential-truto", f"--{t}"], {}, ""),
    ]


def test_misplaced_canary_is_never_echoed(run, env, canary_profile):
    t = new_canary()
    for argv, extra, data in inputs(t, canary_profile.url):
        p = run(BIN / argv[0], *argv[1:], input=data, env=dict(env, **extra), timeout=60)
        no_traceback(p)
        if argv[1:3] != ["auth", "status"]:  # a report: it says what is wrong and exits 0
            assert p.returncode != 0, (argv, extra, p.stdout, p.stderr)
        assert_no_secret(t, p.stdout, p.stderr)


def test_python_api_errors_never_echo_a_misplaced_canary(run, env, canary_profile):
    import sys

    t = new_canary()
    probe = "import truto_credential_helper as t\ntry:\n    t.credentials()\nexcept Exception as e:\n    print(type(e).__name__, e)\nelse:\n    print()\n"
    for extra in ({"TRUTO_API_URL": f"https://other.example/{t}"}, {"TRUTO_API_URL": t}, {"TRUTO_PROFILE": t}):
        p = run(sys.executable, "-c", probe, env=dict(env, **extra))
        assert p.stdout.strip(), (extra, p.stdout, p.stderr)  # it raised
        assert_no_secret(t, p.stdout, p.stderr)


@pytest.mark.parametrize("output", ["table", "json"])
def test_doctor_never_echoes_a_misplaced_canary(run, env, canary_profile, output):
    t = new_canary()
    for extra in (
        {"TRUTO_PROFILE": t},
        {"TRUTO_API_URL": t},
        {"TRUTO_API_URL": f"https://{t}.example:99999"},
        {"TRUTO_PROFILE": t, "TRUTO_API_URL": t, "TRUTO_API_TOKEN": "tok-ci-0123456789abcdef"},
    ):
        for args in ([], ["--online"]):
            p = run(BIN / "truto", "doctor", "-o", output, *args, env=dict(env, TRUTO_TIMEOUT="3", **extra), timeout=60)
            no_traceback(p)
            assert_no_secret(t, p.stdout, p.stderr)
            assert "TRUTO_" in p.stdout  # the variable is named, its value is not


def test_rejected_value_is_described_by_its_mask_and_length(run, env):
    t = new_canary()
    p = run(BIN / "truto", "whoami", "--token", "tok-a-real-one-123456", "--api-url", t)
    assert p.returncode == 2
    assert f"****{t[-4:]}" in p.stderr and f"{len(t)} characters" in p.stderr, p.stderr


def test_login_prompt_does_not_offer_an_invalid_url_as_its_default(env, tmp_path):
    """TRUTO_API_URL holding a token: the prompt offers the documented default, not the variable."""
    import pexpect

    t = new_canary()
    log = tmp_path / "transcript"
    with open(log, "w") as f:
        child = pexpect.spawn(
            str(BIN / "truto"), ["login"], env=dict(env, TRUTO_API_URL=t), encoding="utf-8", timeout=30
        )
        child.logfile_read = f
        child.expect_exact("Profile name [default]: ")
        child.sendline("")
        child.expect_exact("API base URL [https://api.truto.one]: ")
        child.sendeof()
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus != 0
    assert_no_secret(t, log.read_text())
