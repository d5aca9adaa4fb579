"""Vault-backed profiles through the installed console scripts against a real OpenBao dev server:
joining and publishing with `truto login`, rotation seen by the next get / whoami / auth token,
set-key writing to Vault, logout and the helpers never removing the team's secret, Vault's own
authentication (VAULT_TOKEN, ~/.vault-token, AppRole, JWT, VAULT_NAMESPACE, VAULT_CACERT)."""

import itertools
import json

import pytest
from conftest import GOOD_TOKEN, OTHER_TOKEN, files_containing
from vault_support import (  # noqa: F401 (bao: a fixture)
    READ_POLICY,
    WRITE_POLICY,
    JwtIssuer,
    bao,
    enable_approle,
    enable_jwt,
    start_dev,
    vault_env,
    vault_login,
)

GIT_GET = "protocol=http\nhost={host}\n\n"  # the stub API is plain http on 127.0.0.1
_paths = itertools.count()


@pytest.fixture
def team_path(bao):
    """A fresh secret path under teams/ (which the standard policies cover) for this test."""
    return f"teams/t{next(_paths)}"


@pytest.fixture
def venv(env, bao, tmp_path):
    """The test's environment with a Vault token that may read teams/*, and a HOME of its own."""
    (tmp_path / "home").mkdir()
    return vault_env(env, tmp_path / "home", bao.token([READ_POLICY]))


def host_of(stub):
    return stub.url.split("://", 1)[1]


def git_get(run, stub, env):
    return run("git-credential-truto", "get", input=GIT_GET.format(host=host_of(stub)), env=env)


def bearer_tokens(stub):
    return [h.get("Authorization") for _, _, h in stub.state.requests]


# ---------------------------------------------------------------------------------------------
# joining and publishing


def test_join_verifies_the_teams_token_and_saves_only_the_profile(
    run, bao, team_path, stub_api, venv, config_dir, read_config
):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN, "owner": "platform"})
    versions = bao.kv_versions(team_path)
    done = vault_login(run, bao, team_path, stub_api, env=venv)
    assert done.returncode == 0, done.stderr
    assert "Joined" in done.stderr and "Acme Integrations" in done.stderr
    assert bearer_tokens(stub_api) == [f"Bearer {GOOD_TOKEN}"]  # verified with GET /team
    profile = read_config()["profiles"]["default"]
    assert profile["secretStore"] == "vault"
    assert profile["vault"] == {"addresses": [bao.address], "mount": "secret", "path": team_path}
    assert files_containing(config_dir, GOOD_TOKEN) == []
    assert files_containing(config_dir, venv["VAULT_TOKEN"]) == []  # never the Vault token either
    assert bao.kv_versions(team_path) == versions  # joining writes nothing to Vault


def test_join_with_no_verify_does_not_call_the_api(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    done = vault_login(run, bao, team_path, stub_api, "--no-verify", env=venv)
    assert done.returncode == 0, done.stderr
    assert stub_api.state.requests == []


def test_join_of_a_token_the_api_rejects_saves_nothing(run, bao, team_path, stub_api, venv, config_dir):
    bao.kv_put(team_path, {"apiToken": "tok-not-accepted"})
    done = vault_login(run, bao, team_path, stub_api, env=venv)
    assert done.returncode == 4, done.stderr
    assert not (config_dir / "config.json").exists()


def test_join_of_a_secret_without_an_api_token_says_how_to_publish(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"owner": "platform"})
    done = vault_login(run, bao, team_path, stub_api, env=venv)
    assert done.returncode == 6
    assert "has no apiToken" in done.stderr and "--with-token" in done.stderr and len(done.stderr.splitlines()) == 1


def test_publish_with_token_writes_a_new_version_keeping_other_keys(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": "tok-old", "owner": "platform"})
    env = dict(venv, VAULT_TOKEN=bao.token([WRITE_POLICY]))
    done = vault_login(run, bao, team_path, stub_api, "--with-token", input=GOOD_TOKEN + "\n", env=env)
    assert done.returncode == 0, done.stderr
    assert "Published" in done.stderr
    assert bao.kv_get(team_path) == {"apiToken": GOOD_TOKEN, "owner": "platform"}
    assert bao.kv_versions(team_path) == 2


def test_publish_to_a_new_path_creates_the_secret(run, bao, team_path, stub_api, venv):
    env = dict(venv, VAULT_TOKEN=bao.token([WRITE_POLICY]))
    done = vault_login(run, bao, team_path, stub_api, "--token", GOOD_TOKEN, env=env)
    assert done.returncode == 0, done.stderr
    assert bao.kv_get(team_path) == {"apiToken": GOOD_TOKEN}


def test_publish_without_write_permission_is_one_line_and_saves_nothing(
    run, bao, team_path, stub_api, venv, config_dir
):
    done = vault_login(run, bao, team_path, stub_api, "--token", GOOD_TOKEN, env=venv)  # read-only token
    assert done.returncode == 6
    assert "denied" in done.stderr and f"secret/{team_path}" in done.stderr and bao.address in done.stderr
    assert GOOD_TOKEN not in done.stderr and venv["VAULT_TOKEN"] not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert not (config_dir / "config.json").exists()
    assert bao.kv_get(team_path) is None


def test_vault_address_from_vault_addr(run, bao, team_path, stub_api, venv, read_config):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    done = vault_login(run, bao, team_path, stub_api, env=dict(venv, VAULT_ADDR=bao.address), addresses=[])
    assert done.returncode == 0, done.stderr
    assert read_config()["profiles"]["default"]["vault"]["addresses"] == [bao.address]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--vault-path", "secret"], "MOUNT/PATH"),
        (["--vault-path", "secret/../x"], "MOUNT/PATH"),
        ([], "--vault-path"),
        (["--vault-path", "secret/x", "--vault-addr", "http://vault.example.com:8200"], "unencrypted"),
        (["--vault-path", "secret/x", "--insecure-storage"], "--insecure-storage"),
    ],
)
def test_bad_vault_options_are_usage_errors(run, bao, stub_api, venv, argv, words):
    extra = [] if "--vault-addr" in argv else ["--vault-addr", bao.address]
    done = run("truto", "login", "--secret-store", "vault", *argv, *extra, "--api-url", stub_api.url, env=venv)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and len(done.stderr.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# every read reads Vault


def test_rotation_is_seen_by_the_next_get_whoami_and_auth_token(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    done = git_get(run, stub_api, venv)
    assert done.returncode == 0 and f"password={GOOD_TOKEN}" in done.stdout, done.stderr

    bao.kv_put(team_path, {"apiToken": OTHER_TOKEN})  # the platform team rotates
    done = git_get(run, stub_api, venv)
    assert done.returncode == 0 and f"password={OTHER_TOKEN}" in done.stdout, done.stderr
    done = run("truto", "auth", "token", env=venv)
    assert done.returncode == 0 and done.stdout == OTHER_TOKEN + "\n", done.stderr
    stub_api.state.requests.clear()
    done = run("truto", "whoami", "-o", "json", env=venv)
    assert done.returncode == 0, done.stderr
    assert bearer_tokens(stub_api) == [f"Bearer {OTHER_TOKEN}"]
    where = json.loads(done.stdout)["secretLocation"]
    assert (where["mount"], where["path"]) == ("secret", team_path) and bao.address in where["addresses"]
    assert "VAULT_TOKEN" in where["vaultTokenFrom"]
    assert venv["VAULT_TOKEN"] not in done.stdout + done.stderr


def test_docker_get_reads_vault(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    done = run("docker-credential-truto", "get", input=stub_api.url, env=venv)
    assert done.returncode == 0 and json.loads(done.stdout)["Secret"] == GOOD_TOKEN, done.stdout


def test_set_key_writes_to_vault_keeping_the_token(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN, "owner": "platform"})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    env = dict(venv, VAULT_TOKEN=bao.token([WRITE_POLICY]))
    done = run("truto", "profiles", "set-key", "anthropic", "ak-team-1", env=env)
    assert done.returncode == 0, done.stderr
    assert bao.kv_get(team_path) == {"apiToken": GOOD_TOKEN, "owner": "platform", "anthropicApiKey": "ak-team-1"}
    done = run("truto", "profiles", "get", "anthropic-api-key", "--reveal", env=venv)
    assert done.stdout.strip() == "ak-team-1", done.stderr


def test_profiles_list_shows_the_store_and_path(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    done = run("truto", "profiles", "list", "-o", "json", env=venv)
    row = json.loads(done.stdout)[0]
    assert row["secretStore"] == "vault" and row["vaultPath"] == f"secret/{team_path}"
    done = run("truto", "profiles", "list", env=venv)
    assert f"vault (secret/{team_path})" in done.stdout


# ---------------------------------------------------------------------------------------------
# the team's secret outlives a profile


def test_logout_removes_the_profile_and_keeps_the_teams_secret(run, bao, team_path, stub_api, venv, read_config):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN, "anthropicApiKey": "ak"})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    env = dict(venv, VAULT_TOKEN=bao.root_token)  # even a token that could delete it does not
    done = run("truto", "logout", "-f", env=env)
    assert done.returncode == 0, done.stderr
    assert "left as it is" in done.stderr
    assert read_config()["profiles"] == {}
    assert bao.kv_get(team_path) == {"apiToken": GOOD_TOKEN, "anthropicApiKey": "ak"}
    assert bao.kv_versions(team_path) == 1


def test_git_erase_and_store_never_change_the_teams_secret(run, bao, team_path, stub_api, venv, read_config):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    env = dict(venv, VAULT_TOKEN=bao.root_token)
    host = host_of(stub_api)
    done = run(
        "git-credential-truto",
        "store",
        input=f"protocol=http\nhost={host}\nusername=default\npassword=typed-by-hand\n\n",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    done = run(
        "git-credential-truto",
        "erase",
        input=f"protocol=http\nhost={host}\nusername=default\npassword={GOOD_TOKEN}\n\n",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert bao.kv_get(team_path) == {"apiToken": GOOD_TOKEN} and bao.kv_versions(team_path) == 1
    assert "default" in read_config()["profiles"]


# ---------------------------------------------------------------------------------------------
# Vault authentication


def test_the_token_file_bao_login_leaves_is_trusted_and_one_others_control_is_not(
    run, bao, team_path, stub_api, venv, tmp_path
):
    """The file `bao login` writes (0600) is used without a word; readable by others: used, with one
    warning; writable by others: refused in one line naming it and the fix, before any request."""
    import stat

    from vault_support import BAO

    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    env = dict(venv)
    token = env.pop("VAULT_TOKEN")
    path = tmp_path / "home" / ".vault-token"
    done = run(BAO, "login", "-no-print", f"-address={bao.address}", token, env=env)
    assert done.returncode == 0 and stat.S_IMODE(path.stat().st_mode) == 0o600, done.stderr
    assert vault_login(run, bao, team_path, stub_api, env=env).returncode == 0
    done = run("truto", "auth", "token", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, GOOD_TOKEN + "\n", "")
    path.chmod(0o644)
    done = run("truto", "auth", "token", env=env)
    assert done.returncode == 0 and done.stdout == GOOD_TOKEN + "\n", done.stderr
    assert len(done.stderr.splitlines()) == 1 and "readable by other users" in done.stderr and str(path) in done.stderr
    for mode in (0o664, 0o646):
        path.chmod(mode)
        for argv in (["truto", "auth", "token"], ["truto", "whoami"]):
            done = run(*argv, env=env)
            assert done.returncode == 6 and done.stdout == "", done
            assert len(done.stderr.splitlines()) == 1 and str(path) in done.stderr and "chmod 600" in done.stderr


def test_token_file_is_used_without_vault_token(run, bao, team_path, stub_api, venv, tmp_path):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    env = dict(venv)
    (tmp_path / "home" / ".vault-token").write_text(env.pop("VAULT_TOKEN") + "\n")
    assert vault_login(run, bao, team_path, stub_api, env=env).returncode == 0
    done = run("truto", "whoami", env=env)
    assert done.returncode == 0 and ".vault-token" in done.stdout, done.stdout + done.stderr


def test_approle_login_from_the_environment(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    role_id, secret_id = enable_approle(bao, mount=f"approle-{team_path.replace('/', '-')}")
    env = dict(
        venv,
        TRUTO_VAULT_ROLE_ID=role_id,
        TRUTO_VAULT_SECRET_ID=secret_id,
        TRUTO_VAULT_APPROLE_MOUNT=f"approle-{team_path.replace('/', '-')}",
    )
    del env["VAULT_TOKEN"]
    done = vault_login(run, bao, team_path, stub_api, env=env)
    assert done.returncode == 0, done.stderr
    done = git_get(run, stub_api, env)
    assert done.returncode == 0 and f"password={GOOD_TOKEN}" in done.stdout, done.stderr
    done = run("truto", "whoami", env=env)
    assert "AppRole" in done.stdout and secret_id not in done.stdout + done.stderr, done.stdout


def test_approle_with_a_wrong_secret_id_is_one_line(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    mount = f"approle-{team_path.replace('/', '-')}"
    role_id, _ = enable_approle(bao, mount=mount)
    env = dict(
        venv, TRUTO_VAULT_ROLE_ID=role_id, TRUTO_VAULT_SECRET_ID="wrong-secret-id-1234", TRUTO_VAULT_APPROLE_MOUNT=mount
    )
    del env["VAULT_TOKEN"]
    done = vault_login(run, bao, team_path, stub_api, env=env)
    assert done.returncode == 6
    assert "AppRole" in done.stderr and "wrong-secret-id-1234" not in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_jwt_login_from_a_token_file(run, bao, team_path, stub_api, venv, tmp_path):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    issuer = JwtIssuer()
    mount = f"jwt-{team_path.replace('/', '-')}"
    enable_jwt(bao, issuer, mount=mount)
    jwt_file = tmp_path / "id-token"
    jwt_file.write_text(issuer.sign())
    env = dict(venv, TRUTO_VAULT_JWT_FILE=str(jwt_file), TRUTO_VAULT_ROLE="ci", TRUTO_VAULT_JWT_MOUNT=mount)
    del env["VAULT_TOKEN"]
    done = vault_login(run, bao, team_path, stub_api, env=env)
    assert done.returncode == 0, done.stderr
    done = run("truto", "auth", "token", env=env)
    assert done.stdout == GOOD_TOKEN + "\n", done.stderr
    # A JWT for another audience is refused by Vault: one line, no JWT in it.
    bad = issuer.sign(audience="someone-else")
    done = run("truto", "auth", "token", env=dict(env, TRUTO_VAULT_JWT=bad))
    assert done.returncode == 6 and "JWT" in done.stderr and bad not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_no_vault_token_anywhere_says_where_to_get_one(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    env = dict(venv)
    del env["VAULT_TOKEN"]
    done = vault_login(run, bao, team_path, stub_api, env=env)
    assert done.returncode == 6
    assert "no Vault token" in done.stderr and "VAULT_TOKEN" in done.stderr and "TRUTO_VAULT_ROLE_ID" in done.stderr


def test_vault_cacert_is_trusted_and_nothing_else_is(run, stub_api, venv, tmp_path):
    server = start_dev(tmp_path / "tls-bao", tls=True)
    try:
        ca = server.directory / "vault-ca.pem"
        env = dict(venv, VAULT_TOKEN=server.root_token, VAULT_CACERT=str(ca))
        server.kv_put("teams/tls", {"apiToken": GOOD_TOKEN})
        done = vault_login(run, server, "teams/tls", stub_api, env=env, addresses=[server.address])
        assert done.returncode == 0, done.stderr
        without = {k: v for k, v in env.items() if k != "VAULT_CACERT"}
        done = run("truto", "auth", "token", env=without)
        assert done.returncode == 6 and "VAULT_CACERT" in done.stderr and "certificate" in done.stderr, done.stderr
        done = run("truto", "auth", "token", env=dict(without, VAULT_SKIP_VERIFY="1"))
        assert done.returncode == 6, "VAULT_SKIP_VERIFY must not turn verification off"
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------
# doctor


def test_doctor_shows_path_and_token_source_and_online_checks_seal_and_read(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    done = run("truto", "doctor", "-o", "json", env=venv)
    rows = [r for r in json.loads(done.stdout)["checks"] if r["check"] == "vault"]
    assert len(rows) == 1 and rows[0]["status"] == "ok"
    assert f"secret/{team_path}" in rows[0]["message"] and "VAULT_TOKEN" in rows[0]["message"]
    done = run("truto", "doctor", "--online", "-o", "json", env=venv)
    rows = [r for r in json.loads(done.stdout)["checks"] if r["check"] == "vault"]
    assert [r["status"] for r in rows] == ["ok", "ok", "ok"], rows
    assert "unsealed" in rows[1]["message"] and "can read" in rows[2]["message"]
    assert GOOD_TOKEN not in done.stdout and venv["VAULT_TOKEN"] not in done.stdout

    bao.policy("elsewhere", 'path "secret/data/elsewhere/*" { capabilities = ["read"] }')
    done = run("truto", "doctor", "--online", "-o", "json", env=dict(venv, VAULT_TOKEN=bao.token(["elsewhere"])))
    assert done.returncode == 1
    rows = [r for r in json.loads(done.stdout)["checks"] if r["check"] == "vault"]
    assert rows[-1]["status"] == "fail" and "denied" in rows[-1]["message"]


def test_doctor_without_any_vault_token_fails_the_vault_check(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    env = {k: v for k, v in venv.items() if k != "VAULT_TOKEN"}
    done = run("truto", "doctor", "-o", "json", env=dict(env, TRUTO_VAULT_SECRET_ID="do-not-show-me"))
    checks = json.loads(done.stdout)["checks"]
    vault_rows = [r for r in checks if r["check"] == "vault"]
    assert vault_rows[0]["status"] == "fail" and "AppRole" in vault_rows[0]["message"]  # half an AppRole
    assert "TRUTO_VAULT_ROLE_ID is not set" in vault_rows[0]["fix"]
    assert "do-not-show-me" not in done.stdout
    done = run("truto", "doctor", "-o", "json", env=env)
    vault_rows = [r for r in json.loads(done.stdout)["checks"] if r["check"] == "vault"]
    assert vault_rows[0]["status"] == "fail" and "VAULT_TOKEN" in vault_rows[0]["fix"]


def test_vault_namespace_is_sent(run, bao, stub_api, venv):
    """VAULT_NAMESPACE, as the vault CLI sends it (X-Vault-Namespace): the secret is found in the
    namespace only, and the same path outside it is another secret."""
    namespace = f"ns{next(_paths)}"
    bao.ok("POST", f"sys/namespaces/{namespace}", {})
    bao.ok("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}}, namespace=namespace)
    bao.ok("POST", "secret/data/teams/in-ns", {"data": {"apiToken": GOOD_TOKEN}}, namespace=namespace)
    env = dict(venv, VAULT_TOKEN=bao.root_token, VAULT_NAMESPACE=namespace)
    done = vault_login(run, bao, "teams/in-ns", stub_api, env=env)
    assert done.returncode == 0, done.stderr
    done = run("truto", "auth", "token", env=env)
    assert done.stdout == GOOD_TOKEN + "\n", done.stderr
    done = run("truto", "auth", "token", env={k: v for k, v in env.items() if k != "VAULT_NAMESPACE"})
    assert done.returncode == 6 and "no secret at secret/teams/in-ns" in done.stderr, done.stderr


def test_auth_status_shows_the_path_and_a_missing_vault_token(run, bao, team_path, stub_api, venv):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    done = run("truto", "auth", "status", "-o", "json", env=venv)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"secret/{team_path}" in done.stdout and GOOD_TOKEN not in done.stdout
    done = run("truto", "auth", "status", env={k: v for k, v in venv.items() if k != "VAULT_TOKEN"})
    assert done.returncode == 1 and f"vault (secret/{team_path})" in done.stdout and "no Vault token" in done.stdout, (
        done.stdout
    )


def test_join_of_a_path_with_nothing_at_it_saves_nothing(run, bao, team_path, stub_api, venv, config_dir):
    done = vault_login(run, bao, team_path, stub_api, env=venv)
    assert done.returncode == 6
    assert (
        f"no secret at secret/{team_path}" in done.stderr
        and bao.address in done.stderr
        and "--with-token" in done.stderr
    )
    assert not (config_dir / "config.json").exists()


def test_moving_a_vault_profile_to_the_keyring_keeps_a_copy_and_leaves_the_team_secret(
    run, bao, team_path, stub_api, venv, read_config
):
    bao.kv_put(team_path, {"apiToken": GOOD_TOKEN})
    assert vault_login(run, bao, team_path, stub_api, env=venv).returncode == 0
    versions = bao.kv_versions(team_path)
    moved = run("truto", "profiles", "set", "secret-store", "keyring", "-p", "default", env=venv)
    assert moved.returncode == 0, moved.stderr
    profile = read_config()["profiles"]["default"]
    assert profile["secretStore"] == "keyring" and "vault" not in profile
    assert bao.kv_versions(team_path) == versions  # the team's secret is not ours to remove
    bao.kv_put(team_path, {"apiToken": OTHER_TOKEN})  # rotated in Vault: the local copy stays
    got = git_get(run, stub_api, venv)
    assert f"password={GOOD_TOKEN}\n" in got.stdout, got.stderr
