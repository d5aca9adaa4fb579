"""`truto doctor`'s docker check: it asks the helper the credHelpers key docker will ask, through
the function `docker-credential-truto get` runs, and is ok only when that gets an answer."""

import json
import os

from conftest import GOOD_TOKEN
from helper_support import save_profile

LOOPBACK = "http://127.0.0.1:5000"


def login(run, url, name="work"):
    done = run("truto", "login", "--no-verify", "--token", GOOD_TOKEN, "--api-url", url, "--profile-name", name)
    assert done.returncode == 0, done.stderr


def docker_rows(run, env=None):
    done = run("truto", "doctor", "-o", "json", env=env)
    assert GOOD_TOKEN not in done.stdout + done.stderr
    report = json.loads(done.stdout)
    return done.returncode, [c for c in report["checks"] if c["check"] == "docker"]


def write_docker_config(env, doc):
    os.makedirs(env["DOCKER_CONFIG"], exist_ok=True)
    with open(os.path.join(env["DOCKER_CONFIG"], "config.json"), "w") as f:
        json.dump(doc, f)


def test_ok_names_who_the_helper_answers_as(run):
    login(run, LOOPBACK)
    assert run("truto", "auth", "setup-docker").returncode == 0
    code, [row] = docker_rows(run)
    assert row["status"] == "ok" and "127.0.0.1:5000" in row["message"]
    assert "answered as user 'work' (profile 'work')" in row["message"]


def test_a_key_that_gets_no_answer_fails_with_the_reason(run, env):
    # As an older setup-docker wrote it: an http registry that is not loopback (a profile git
    # stored for an http origin), which docker asks for as https, so the helper never answers it.
    save_profile(env, "work", "http://registry.example.test:5000", GOOD_TOKEN, active=True)
    write_docker_config(env, {"credHelpers": {"registry.example.test:5000": "truto"}})
    code, [row] = docker_rows(run)
    assert code == 1 and row["status"] == "fail"
    assert "answers nothing" in row["message"] and "not a loopback host" in row["message"]
    assert "truto auth setup-docker --remove -p work" in row["fix"]


def test_a_key_no_profile_answers_is_a_warning(run, env):
    # The profile moved to another port; docker still asks truto for the old key and gets nothing
    # until a docker login stores a credential for it.
    login(run, "http://127.0.0.1:5001")
    write_docker_config(env, {"credHelpers": {"127.0.0.1:5000": "truto", "127.0.0.1:5001": "truto"}})
    code, rows = docker_rows(run)
    assert code == 0
    assert [r["status"] for r in rows] == ["ok", "warn"]
    assert "no profile answers it" in rows[1]["message"] and "docker login 127.0.0.1:5000" in rows[1]["fix"]


def test_a_key_whose_secret_is_gone_fails(run, env):
    login(run, LOOPBACK)
    assert run("truto", "auth", "setup-docker").returncode == 0
    import secretstorage  # the token is deleted behind truto's back, as a keyring cleanup would

    conn = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(conn)
        for item in collection.search_items({"service": f"truto:{os.path.abspath(env['TRUTO_CONFIG_DIR'])}"}):
            item.delete()
    finally:
        conn.close()
    code, [row] = docker_rows(run)
    assert code == 1 and row["status"] == "fail" and "answers nothing" in row["message"]
    assert row["fix"] == "truto login -p work"


def test_creds_store_only_is_a_warning_naming_the_clients_that_ignore_it(run, env):
    login(run, LOOPBACK)
    write_docker_config(env, {"credsStore": "truto"})
    code, [row] = docker_rows(run)
    assert code == 0 and row["status"] == "warn"
    assert "skopeo" in row["message"] and row["fix"] == "truto auth setup-docker -p work"
