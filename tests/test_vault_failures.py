"""Each way Vault can fail a read, through the installed helpers and `truto auth token`: one line
naming the Vault address and the secret's path and what to do, exit 6 (docker: on stdout, exit 1,
as docker reads it), within TRUTO_TIMEOUT, no traceback, never the Vault token or a secret."""

import itertools

import pytest
from conftest import GOOD_TOKEN, stub_api_module
from vault_support import READ_POLICY, bao, free_port, start_dev, vault_env, vault_login  # noqa: F401 (bao: a fixture)

_paths = itertools.count()


@pytest.fixture
def joined(run, env, bao, stub_api, tmp_path):
    """(env, path): a profile that joined a fresh secret holding GOOD_TOKEN, with a read token."""
    path = f"teams/f{next(_paths)}"
    bao.kv_put(path, {"apiToken": GOOD_TOKEN})
    e = vault_env(env, tmp_path, bao.token([READ_POLICY]))
    done = vault_login(run, bao, path, stub_api, "--no-verify", env=e)
    assert done.returncode == 0, done.stderr
    return e, path


def reads(run, stub_api, env):
    """A git get, a docker get and `truto auth token`: each must fail the same clear way."""
    host = stub_api.url.split("://", 1)[1]
    return [
        ("git", run("git-credential-truto", "get", input=f"protocol=http\nhost={host}\n\n", env=env, timeout=30)),
        ("docker", run("docker-credential-truto", "get", input=stub_api.url, env=env, timeout=30)),
        ("truto", run("truto", "auth", "token", env=env, timeout=30)),
    ]


def assert_one_clear_line(results, env, must_name, words):
    for client, done in results:
        if client == "docker":
            assert done.returncode == 1, done
            message = done.stdout
        else:
            assert done.returncode == 6, (client, done.stdout, done.stderr)
            assert done.stdout == ""
            message = done.stderr
        assert len(message.strip().splitlines()) == 1, (client, message)
        assert "Traceback" not in message
        for name in must_name:
            assert name in message, (client, name, message)
        assert any(w in message for w in words), (client, message)
        assert GOOD_TOKEN not in message and env["VAULT_TOKEN"] not in message


def test_sealed(run, tmp_path, stub_api, env):
    server = start_dev(tmp_path / "sealed-bao")  # its own server: sealing it must not touch the others
    try:
        server.standard_policies()
        server.kv_put("teams/s", {"apiToken": GOOD_TOKEN})
        e = dict(vault_env(env, tmp_path, server.token([READ_POLICY])), TRUTO_TIMEOUT="2")
        done = vault_login(run, server, "teams/s", stub_api, "--no-verify", env=e)
        assert done.returncode == 0, done.stderr
        server.seal()
        assert_one_clear_line(reads(run, stub_api, e), e, [server.address, "secret/teams/s"], ["sealed"])
        server.unseal()
        done = run("truto", "auth", "token", env=e)
        assert done.stdout == GOOD_TOKEN + "\n", done.stderr
    finally:
        server.stop()


def test_unreachable(run, stub_api, joined, read_config, config_dir):
    import json

    env, path = joined
    doc = read_config()
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    doc["profiles"]["default"]["vault"]["addresses"] = [dead]
    (config_dir / "config.json").write_text(json.dumps(doc))
    assert_one_clear_line(
        reads(run, stub_api, dict(env, TRUTO_TIMEOUT="1")), env, [dead, f"secret/{path}"], ["cannot reach Vault"]
    )


@pytest.fixture
def hung_vault():
    """An address whose server takes longer than TRUTO_TIMEOUT=1 to say a word (one slow answer
    queued per read)."""
    server = stub_api_module.make_server([])
    server.state.faults.extend({"delay": 5, "status": 500} for _ in range(3))
    yield server.url
    server.shutdown()
    server.server_close()


def test_a_vault_that_never_answers_fails_within_truto_timeout(
    run, stub_api, joined, read_config, config_dir, hung_vault
):
    import json

    env, path = joined
    doc = read_config()
    doc["profiles"]["default"]["vault"]["addresses"] = [hung_vault]
    (config_dir / "config.json").write_text(json.dumps(doc))
    # run()'s own timeout (30 s) fails the test if TRUTO_TIMEOUT=1 does not bound the read.
    assert_one_clear_line(
        reads(run, stub_api, dict(env, TRUTO_TIMEOUT="1")), env, [hung_vault, f"secret/{path}"], ["TRUTO_TIMEOUT"]
    )


def test_permission_denied(run, bao, stub_api, joined):
    env, path = joined
    bao.policy("elsewhere", 'path "secret/data/elsewhere/*" { capabilities = ["read"] }')
    env = dict(env, VAULT_TOKEN=bao.token(["elsewhere"]))
    assert_one_clear_line(reads(run, stub_api, env), env, [bao.address, f"secret/{path}"], ["denied", "policy"])


def test_a_live_token_without_the_default_policy_is_not_called_only_expired(run, bao, stub_api, joined):
    """It cannot look itself up, which is how an expired token is told from a policy that lacks the
    path: the line names both causes."""
    env, path = joined
    bao.policy("elsewhere", 'path "secret/data/elsewhere/*" { capabilities = ["read"] }')
    env = dict(env, VAULT_TOKEN=bao.token(["elsewhere"], default_policy=False))
    assert_one_clear_line(reads(run, stub_api, env), env, [bao.address, f"secret/{path}"], ["default policy"])


def test_expired_or_revoked_vault_token(run, bao, stub_api, joined):
    env, path = joined
    bao.revoke(env["VAULT_TOKEN"])
    assert_one_clear_line(reads(run, stub_api, env), env, [bao.address, f"secret/{path}"], ["expired or revoked"])


def test_no_secret_at_the_path(run, bao, stub_api, joined):
    env, path = joined
    bao.kv_forget(path)
    assert_one_clear_line(reads(run, stub_api, env), env, [bao.address, f"secret/{path}"], ["no secret at"])


def test_deleted_latest_version(run, bao, stub_api, joined):
    env, path = joined
    bao.kv_delete_latest(path)
    assert_one_clear_line(reads(run, stub_api, env), env, [bao.address, f"secret/{path}"], ["undelete"])


def test_destroyed_latest_version(run, bao, stub_api, joined):
    env, path = joined
    bao.kv_destroy(path, [1])
    assert_one_clear_line(reads(run, stub_api, env), env, [bao.address, f"secret/{path}"], ["destroyed"])


def test_a_login_away_from_an_unreachable_vault_succeeds_without_the_teams_keys(
    run, env, bao, stub_api, tmp_path, read_config, config_dir
):
    """Re-login carries BYOK keys over, but a team's Vault that cannot be read must not stand
    between the user and a new token: one warning, and the keys stay in Vault."""
    import json

    path = f"teams/f{next(_paths)}"
    bao.kv_put(path, {"apiToken": GOOD_TOKEN, "anthropicApiKey": "sk-ant-team-key-1"})
    e = vault_env(env, tmp_path, bao.token([READ_POLICY]))
    assert vault_login(run, bao, path, stub_api, "--no-verify", env=e).returncode == 0
    assert "anthropicApiKey" in read_config()["profiles"]["default"]["secrets"]
    doc = read_config()
    doc["profiles"]["default"]["vault"]["addresses"] = [f"http://127.0.0.1:{free_port()}"]  # nothing listens
    (config_dir / "config.json").write_text(json.dumps(doc))

    done = run(
        "truto", "login", "--secret-store", "keyring", "--token", "tok-own-0123456789", "--api-url", stub_api.url,
        "--no-verify", env=dict(e, TRUTO_TIMEOUT="1"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "not carried over" in done.stderr and "sk-ant-team-key-1" not in done.stderr
    profile = read_config()["profiles"]["default"]
    assert profile["secretStore"] == "keyring" and profile["secrets"] == ["apiToken"]
    assert bao.kv_get(path)["anthropicApiKey"] == "sk-ant-team-key-1"
