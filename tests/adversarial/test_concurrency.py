"""1. Concurrency: many writers at once (helper `store`, `truto login`, `truto logout`) never lose
each other's changes, never leave config.json invalid, and never leave config.json and the keyring
disagreeing (a profile without its secret, or a secret without its profile)."""

import subprocess

import pytest
from conftest import BIN, keyring_items, stub_api_module

from .conftest import assert_valid_config, git_input, new_canary


@pytest.fixture(autouse=True)
def own_keyring(private_keyring_session):
    """A keyring session per test: dozens of writers at once are a load the tests running beside
    this one must not share."""


def start(argv, env, data=None):
    p = subprocess.Popen(
        [str(a) for a in argv],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    p.data = data
    return p


def finish(procs, timeout=180):
    results = []
    for p in procs:
        out, err = p.communicate(input=p.data, timeout=timeout)
        results.append((p.args, p.returncode, out, err))
    return results


def service_items(config_dir):
    """{keyring user name: secret} of this config dir's keyring service, read over D-Bus directly."""
    service = f"truto:{config_dir}"
    return {user: secret for s, user, secret in keyring_items(service) if s == service}


def test_30_stores_and_15_logins_at_once_all_land(env, config_dir):
    store_secrets = {i: new_canary() for i in range(30)}
    login_tokens = {i: new_canary() for i in range(15)}
    api = stub_api_module.make_server(list(login_tokens.values()))
    try:
        procs = []
        # Interleaved, so both kinds contend for the lock and the keyring at the same moments.
        for i in range(30):
            procs.append(
                start(
                    [BIN / "git-credential-truto", "store"],
                    env,
                    git_input(protocol="https", host=f"h{i}.example", username=f"g{i}", password=store_secrets[i]),
                )
            )
            if i % 2 == 0:
                j = i // 2
                procs.append(
                    start(
                        [
                            BIN / "truto",
                            "login",
                            "--token",
                            login_tokens[j],
                            "--api-url",
                            api.url,
                            "--profile-name",
                            f"l{j}",
                            "-f",
                        ],
                        env,
                    )
                )
        results = finish(procs)
    finally:
        api.shutdown()
        api.server_close()
    failed = [(a, rc, err) for a, rc, _, err in results if rc != 0]
    assert not failed, failed

    doc = assert_valid_config(config_dir / "config.json")
    expected = {f"g{i}" for i in range(30)} | {f"l{j}" for j in range(15)}
    assert set(doc["profiles"]) == expected
    items = service_items(config_dir)
    for i, secret in store_secrets.items():
        assert items.get(f"g{i}:apiToken") == secret
    for j, token in login_tokens.items():
        assert items.get(f"l{j}:apiToken") == token
    # And through our own read path, for a sample.
    for i in (0, 17, 29):
        p = subprocess.run(
            [str(BIN / "git-credential-truto"), "get"],
            env=env,
            capture_output=True,
            text=True,
            input=git_input(protocol="https", host=f"h{i}.example"),
        )
        assert f"password={store_secrets[i]}\n" in p.stdout


def test_logout_racing_store_leaves_a_consistent_store(run, env, config_dir):
    old = {i: new_canary() for i in range(10)}
    new = {i: new_canary() for i in range(10)}
    fresh = {i: new_canary() for i in range(10)}
    for i in range(10):
        p = run(
            BIN / "truto",
            "login",
            "--token",
            old[i],
            "--api-url",
            f"https://r{i}.example",
            "--profile-name",
            f"p{i}",
            "-f",
            "--no-verify",
        )
        assert p.returncode == 0, p.stderr
    procs = []
    for i in range(10):
        procs.append(start([BIN / "truto", "logout", "--profile-name", f"p{i}", "-f"], env))
        procs.append(
            start(
                [BIN / "git-credential-truto", "store"],
                env,
                git_input(protocol="https", host=f"r{i}.example", username=f"p{i}", password=new[i]),
            )
        )
        procs.append(
            start(
                [BIN / "git-credential-truto", "store"],
                env,
                git_input(protocol="https", host=f"n{i}.example", username=f"n{i}", password=fresh[i]),
            )
        )
    results = finish(procs)
    failed = [(a, rc, err) for a, rc, _, err in results if rc != 0]
    assert not failed, failed

    doc = assert_valid_config(config_dir / "config.json")
    items = service_items(config_dir)
    for i in range(10):
        assert items.get(f"n{i}:apiToken") == fresh[i], "a store racing logouts was lost"
        profile = doc["profiles"].get(f"p{i}")
        if profile is None:  # logout came last: nothing of p{i} may remain
            assert f"p{i}:apiToken" not in items, f"p{i} was logged out but its secret stayed in the keyring"
        else:  # the store came last: the profile and its new secret, both
            assert profile["apiUrl"] == f"https://r{i}.example" and "apiToken" in profile["secrets"]
            assert items.get(f"p{i}:apiToken") == new[i], f"p{i} is in config.json without its secret"
    # Every secret in the keyring belongs to a profile config.json lists.
    for user in items:
        assert user.partition(":")[0] in doc["profiles"], f"orphan keyring item {user}"
