"""podman and buildah (Debian's) after `truto auth setup-docker`, against the loopback registry of
registry_support: setup-docker wires their own auth file (containers-auth.json(5): credHelpers),
so their login stores through the helper, a pull sends what truto holds, and a logout goes
through the helper (a `truto login` profile is kept, with the helper's one line). Each flow
checks what the registry received and what each auth file holds, not only exit codes.

Hermetic: podman runs with a private storage root and runroot (vfs), its own XDG_RUNTIME_DIR,
HOME, TMPDIR, registries.conf and signature policy under the test's directory, no events log.
"""

import base64
import json
import os
import shutil
import tempfile

import pytest
from conftest import GOOD_TOKEN
from registry_support import IMAGE, REGISTRY, TAG, Registry, TrutoOrigin, push_image

pytestmark = pytest.mark.skipif(
    REGISTRY is None or shutil.which("skopeo") is None or shutil.which("podman") is None,
    reason="needs Debian's docker-registry, skopeo, podman and buildah (scripts/test installs them)",
)

PUSHER = ("pusher", "push-secret-7c1d")
USER = ("ci-bot", "ci-bot-secret-93ae")
SECRETS = (GOOD_TOKEN, PUSHER[1], USER[1])


@pytest.fixture
def site(tmp_path, env):
    directory = tmp_path / "registry"
    directory.mkdir()
    registry = Registry(str(directory), {"default": GOOD_TOKEN, PUSHER[0]: PUSHER[1], USER[0]: USER[1]}).start()
    try:
        push_image(registry, *PUSHER, str(directory), env)
        origin = TrutoOrigin(registry, [GOOD_TOKEN])
    except BaseException:
        registry.stop()
        raise
    yield origin
    origin.close()
    registry.stop()


@pytest.fixture
def cenv(env, tmp_path):
    """podman's and buildah's environment: the primary auth file is $XDG_RUNTIME_DIR's (the
    default), nothing of the machine's or the user's."""
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    for name in ("home", "tmp"):
        (tmp_path / name).mkdir()
    conf = tmp_path / "registries.conf"
    conf.write_text("")
    e = dict(env, XDG_RUNTIME_DIR=str(runtime), HOME=str(tmp_path / "home"), TMPDIR=str(tmp_path / "tmp"))
    e["CONTAINERS_REGISTRIES_CONF"] = str(conf)
    e.pop("REGISTRY_AUTH_FILE")
    return e


def auth_file(env):
    return env.get("REGISTRY_AUTH_FILE") or os.path.join(env["XDG_RUNTIME_DIR"], "containers", "auth.json")


def read_json(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(autouse=True)
def runroot(tmp_path):
    """podman refuses a runroot path over 50 characters: a short private one, removed after."""
    path = tempfile.mkdtemp(prefix="truto-podman.")
    (tmp_path / "runroot").symlink_to(path)  # where storage() finds it
    yield path
    shutil.rmtree(path, ignore_errors=True)


def storage(tmp_path):
    runroot = os.readlink(tmp_path / "runroot")
    return ["--root", str(tmp_path / "storage"), "--runroot", runroot, "--storage-driver", "vfs"]


def podman(run, env, tmp_path, *args, input=None):
    argv = ["podman", *storage(tmp_path), "--events-backend", "none", "--cgroup-manager", "cgroupfs", *args]
    return clean(run(*argv, input=input, env=env, timeout=120))


def buildah(run, env, tmp_path, *args, input=None):
    return clean(run("buildah", *storage(tmp_path), *args, input=input, env=env, timeout=120))


def clean(done):
    for secret in SECRETS:
        assert secret not in done.stdout + done.stderr, "a secret in a client's output"
    return done


def policy(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    return str(path)


def login_and_set_up(run, env, origin):
    done = run("truto", "login", "--api-url", f"http://{origin.host}", "--token", GOOD_TOKEN, env=env)
    assert done.returncode == 0, done.stderr
    done = run("truto", "auth", "setup-docker", env=env)
    assert done.returncode == 0, done.stderr
    return done


def kept_line(stderr, name="default"):
    return f"kept profile '{name}'" in stderr and f"`truto login -p {name}`" in stderr and "truto logout" in stderr


def test_setup_docker_wires_both_files_and_remove_unwires_both(run, cenv, site):
    done = login_and_set_up(run, cenv, site)
    assert read_json(auth_file(cenv)) == {"credHelpers": {site.host: "truto"}}
    assert read_json(os.path.join(cenv["DOCKER_CONFIG"], "config.json")) == {"credHelpers": {site.host: "truto"}}
    assert auth_file(cenv) in done.stderr
    assert os.stat(auth_file(cenv)).st_mode & 0o077 == 0
    done = run("truto", "auth", "setup-docker", "--remove", "-o", "json", env=cenv)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["containersAuthFile"] == auth_file(cenv) and report["containersChanged"] is True
    assert read_json(auth_file(cenv)) == {}


def test_registry_auth_file_is_the_one_wired_when_set(run, cenv, site, tmp_path):
    cenv = dict(cenv, REGISTRY_AUTH_FILE=str(tmp_path / "explicit" / "auth.json"))
    login_and_set_up(run, cenv, site)
    assert read_json(cenv["REGISTRY_AUTH_FILE"]) == {"credHelpers": {site.host: "truto"}}
    assert not os.path.exists(os.path.join(cenv["XDG_RUNTIME_DIR"], "containers", "auth.json"))


def test_truto_login_then_podman_pull_sends_the_token_and_logout_keeps_it(run, cenv, site, tmp_path, read_config):
    login_and_set_up(run, cenv, site)
    done = podman(
        run,
        cenv,
        tmp_path,
        "pull",
        "--tls-verify=false",
        "--signature-policy",
        policy(tmp_path),
        f"{site.host}/{IMAGE}:{TAG}",
    )
    assert done.returncode == 0, done.stderr
    assert set(site.basic_users()) == {("default", GOOD_TOKEN)}
    assert site.registry.authorized(f"/v2/{IMAGE}/manifests/")  # the registry accepted it
    images = podman(run, cenv, tmp_path, "images", "--format", "{{.Repository}}:{{.Tag}}")
    assert f"{site.host}/{IMAGE}:{TAG}" in images.stdout
    # podman logout goes through the helper: the login is the user's, kept, and the line says so
    done = podman(run, cenv, tmp_path, "logout", site.host)
    assert done.returncode == 0, done.stderr
    assert f"Removed login credentials for {site.host}" in done.stdout  # podman's own words
    assert kept_line(done.stderr), done.stderr
    assert list(read_config()["profiles"]) == ["default"]
    assert read_json(auth_file(cenv)) == {"credHelpers": {site.host: "truto"}}


@pytest.mark.parametrize("tool", ["podman", "buildah"])
def test_login_stores_through_the_helper_and_logout_erases_it(run, cenv, site, tmp_path, read_config, tool):
    login_and_set_up(run, cenv, site)
    client = podman if tool == "podman" else buildah
    site.seen.clear()
    done = client(
        run, cenv, tmp_path, "login", "-u", USER[0], "--password-stdin", "--tls-verify=false", site.host, input=USER[1]
    )
    assert done.returncode == 0, done.stderr
    assert set(site.basic_users()) == {USER}  # the registry checked the login
    with open(auth_file(cenv)) as f:
        text = f.read()
    assert USER[1] not in text and base64.b64encode(f"{USER[0]}:{USER[1]}".encode()).decode() not in text
    assert json.loads(text) == {"credHelpers": {site.host: "truto"}}  # no auths entry shadowing truto
    profiles = read_config()["profiles"]
    [stored] = [p for name, p in profiles.items() if name != "default"]
    assert stored["dockerServerUrl"] == site.host and stored["storedBy"] == "docker"
    if tool == "podman":
        site.seen.clear()
        done = podman(
            run,
            cenv,
            tmp_path,
            "pull",
            "--tls-verify=false",
            "--signature-policy",
            policy(tmp_path),
            f"{site.host}/{IMAGE}:{TAG}",
        )
        assert done.returncode == 0, done.stderr
        assert set(site.basic_users()) == {USER}  # the login podman stored answers it
    done = client(run, cenv, tmp_path, "logout", site.host)
    assert done.returncode == 0, done.stderr
    assert list(read_config()["profiles"]) == ["default"]  # the client's login erased, the user's kept
    assert kept_line(done.stderr), done.stderr


def test_doctor_checks_the_containers_auth_file(run, cenv, site):
    done = run("truto", "login", "--api-url", f"http://{site.host}", "--token", GOOD_TOKEN, env=cenv)
    assert done.returncode == 0, done.stderr

    def rows():
        done = run("truto", "doctor", "-o", "json", env=cenv)
        assert GOOD_TOKEN not in done.stdout + done.stderr
        return [c for c in json.loads(done.stdout)["checks"] if c["check"] == "containers"]

    [row] = rows()
    assert row["status"] == "info" and "truto auth setup-docker" in row["fix"]
    assert run("truto", "auth", "setup-docker", env=cenv).returncode == 0
    [row] = rows()
    assert row["status"] == "ok" and "answered as user 'default'" in row["message"], row
    # a login podman kept in the file itself (as before setup-docker) shadows truto: a warning
    doc = read_json(auth_file(cenv))
    doc = {"auths": {site.host: {"auth": base64.b64encode(b"u:p").decode()}}}
    with open(auth_file(cenv), "w") as f:
        json.dump(doc, f)
    [row] = rows()
    assert row["status"] == "warn" and f"podman logout {site.host}" in row["fix"]
