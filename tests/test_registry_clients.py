"""The real container clients against a real registry on 127.0.0.1 (registry_support): skopeo
(containers/image), the docker CLI where installed (login, logout and manifest inspect need no
daemon), and docker-py's auth resolution. Each flow checks what the registry received (its log
names the user it authenticated; the http origin in front records the Basic credentials), not
only exit codes.

Over http, the registry sits behind TrutoOrigin, one origin serving the Truto API and the registry,
so `truto login --api-url http://127.0.0.1:PORT` verifies the token as a user would, and the
profile's origin is the registry's, the key docker asks truto for.
"""

import base64
import json
import os
import shutil
import ssl
import urllib.request
import warnings

import pytest
from conftest import GOOD_TOKEN
from registry_support import IMAGE, REGISTRY, TAG, Registry, TrutoOrigin, cert_dir_for, push_image, tls_certificate

pytestmark = pytest.mark.skipif(
    REGISTRY is None or shutil.which("skopeo") is None,
    reason="needs Debian's docker-registry and skopeo (scripts/test installs them)",
)
needs_docker_cli = pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not installed")

PUSHER = ("pusher", "push-secret-7c1d")  # seeds the image with explicit credentials, never through a helper
DOCKER_USER = ("ci-bot", "ci-bot-secret-93ae")  # what docker/skopeo login store into the helper
SECRETS = (GOOD_TOKEN, PUSHER[1], DOCKER_USER[1])


@pytest.fixture
def client_env(env, tmp_path):
    """The test's environment plus a registries.conf of our own, so no machine-wide skopeo setting
    (mirrors, insecure registries, credential helpers) takes part."""
    conf = tmp_path / "registries.conf"
    conf.write_text("")
    return dict(env, CONTAINERS_REGISTRIES_CONF=str(conf))


class Site:
    """A registry and the origin in front of it; certs/cert only over https."""

    def __init__(self, registry, origin, certs=None, cert=None):
        self.registry, self.origin, self.certs, self.cert = registry, origin, certs, cert
        self.host = origin.host
        self.scheme = registry.scheme

    def skopeo_tls(self):
        return ("--cert-dir", self.certs) if self.certs else ("--tls-verify=false",)

    def manifest_requests(self):
        return len(self.registry.authorized(f"/v2/{IMAGE}/manifests/"))


def start_site(directory, env, over):
    os.makedirs(directory)
    tls = certs = None
    if over == "https":
        tls = tls_certificate(str(directory))
        certs = cert_dir_for(str(directory), tls[0])
    registry = Registry(
        str(directory), {"default": GOOD_TOKEN, PUSHER[0]: PUSHER[1], DOCKER_USER[0]: DOCKER_USER[1]}, tls=tls
    ).start()
    try:
        push_image(registry, *PUSHER, str(directory), env, cert_dir=certs)
        origin = TrutoOrigin(registry, [GOOD_TOKEN])
    except BaseException:
        registry.stop()
        raise
    return Site(registry, origin, certs, tls[0] if tls else None)


@pytest.fixture(params=["http", "https"])
def site(request, tmp_path, client_env):
    started = start_site(tmp_path / "registry", client_env, request.param)
    yield started
    started.origin.close()
    started.registry.stop()


@pytest.fixture
def http_site(tmp_path, client_env):
    started = start_site(tmp_path / "registry", client_env, "http")
    yield started
    started.origin.close()
    started.registry.stop()


def docker_config_path(env):
    return os.path.join(env["DOCKER_CONFIG"], "config.json")


def write_docker_config(env, doc):
    os.makedirs(env["DOCKER_CONFIG"], exist_ok=True)
    with open(docker_config_path(env), "w") as f:
        json.dump(doc, f)


def write_cred_helpers(env, *hosts):
    write_docker_config(env, {"credHelpers": {h: "truto" for h in hosts}})


def clean(done):
    for secret in SECRETS:
        assert secret not in done.stdout and secret not in done.stderr, "a secret in a client's output"
    return done


def skopeo(run, env, *args, tls_args=(), input=None):
    """skopeo with the test's docker config.json as its only auth file (containers-auth.json(5))."""
    command, rest = args[0], args[1:]
    return clean(run("skopeo", command, "--authfile", docker_config_path(env), *tls_args, *rest, input=input, env=env))


def truto_login_http(run, env, origin):
    done = run("truto", "login", "--api-url", f"http://{origin.host}", "--token", GOOD_TOKEN, env=env)
    assert done.returncode == 0, done.stderr
    assert "Registry Team" in done.stderr  # verified against the origin's /team, as a real login is
    done = run("truto", "auth", "setup-docker", env=env)
    assert done.returncode == 0, done.stderr
    with open(docker_config_path(env)) as f:
        assert json.load(f) == {"credHelpers": {origin.host: "truto"}}


# ---------------------------------------------------------------------------------------------
# an http profile wired into docker: the registry receives the profile's token


def test_truto_login_over_http_then_skopeo_inspect_sends_the_token(run, client_env, http_site):
    truto_login_http(run, client_env, http_site.origin)
    done = skopeo(
        run, client_env, "inspect", f"docker://{http_site.host}/{IMAGE}:{TAG}", tls_args=http_site.skopeo_tls()
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Name"] == f"{http_site.host}/{IMAGE}"
    assert set(http_site.origin.basic_users()) == {("default", GOOD_TOKEN)}
    assert http_site.manifest_requests() > 0  # and the registry accepted it


@needs_docker_cli
def test_truto_login_over_http_then_docker_manifest_inspect_sends_the_token(run, client_env, http_site):
    truto_login_http(run, client_env, http_site.origin)
    done = clean(run("docker", "manifest", "inspect", "--insecure", f"{http_site.host}/{IMAGE}:{TAG}", env=client_env))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["schemaVersion"] == 2
    assert set(http_site.origin.basic_users()) == {("default", GOOD_TOKEN)}
    assert http_site.manifest_requests() > 0


def test_truto_login_over_http_then_docker_py_resolves_the_token_the_registry_accepts(
    run, client_env, http_site, monkeypatch
):
    origin = http_site.origin
    truto_login_http(run, client_env, origin)
    auth = docker_py_auth(client_env, monkeypatch, origin.host)
    assert (auth["Username"], auth["Password"]) == ("default", GOOD_TOKEN)
    # docker-py hands that to the daemon, which would send it to the registry: send it there ourselves.
    basic = base64.b64encode(f"{auth['Username']}:{auth['Password']}".encode()).decode()
    before = http_site.manifest_requests()
    request = urllib.request.Request(
        f"http://{origin.host}/v2/{IMAGE}/manifests/{TAG}",
        method="HEAD",
        headers={"Authorization": f"Basic {basic}", "Accept": "application/vnd.oci.image.manifest.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
    assert origin.basic_users() == [("default", GOOD_TOKEN)] and http_site.manifest_requests() == before + 1


def test_doctor_checks_the_wiring_by_asking_the_helper(run, client_env, http_site):
    truto_login_http(run, client_env, http_site.origin)
    done = run("truto", "doctor", "-o", "json", env=client_env)
    [row] = [c for c in json.loads(done.stdout)["checks"] if c["check"] == "docker"]
    assert row["status"] == "ok" and "answered as user 'default'" in row["message"], row
    assert GOOD_TOKEN not in done.stdout + done.stderr


def docker_py_auth(env, monkeypatch, registry):
    """What docker-py resolves for registry from the config.json docker reads (it runs our helper)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import docker.auth

    monkeypatch.setenv("PATH", env["PATH"])  # docker-py finds credential helpers on this process's PATH
    config = docker.auth.load_config(config_path=docker_config_path(env), credstore_env=env)
    return config.resolve_authconfig(registry)


# ---------------------------------------------------------------------------------------------
# logins the clients store into the helper: later uses send them, logout erases what was stored


def test_skopeo_login_inspect_logout(run, client_env, site, read_config):
    write_cred_helpers(client_env, site.host)
    tls = site.skopeo_tls()
    done = skopeo(
        run,
        client_env,
        "login",
        "-u",
        DOCKER_USER[0],
        "--password-stdin",
        site.host,
        tls_args=tls,
        input=DOCKER_USER[1],
    )
    assert done.returncode == 0, done.stderr
    [(name, profile)] = read_config()["profiles"].items()
    assert (profile["dockerServerUrl"], profile.get("username", name)) == (site.host, DOCKER_USER[0])
    with open(docker_config_path(client_env)) as f:
        assert DOCKER_USER[1] not in f.read()  # in the keyring, not in docker's file
    site.origin.seen.clear()
    before = site.manifest_requests()
    done = skopeo(run, client_env, "inspect", f"docker://{site.host}/{IMAGE}:{TAG}", tls_args=tls)
    assert done.returncode == 0, done.stderr
    assert set(site.origin.basic_users()) == {DOCKER_USER} and site.manifest_requests() > before
    done = skopeo(run, client_env, "logout", site.host)
    assert done.returncode == 0, done.stderr
    assert read_config()["profiles"] == {}
    site.origin.seen.clear()
    done = skopeo(run, client_env, "inspect", f"docker://{site.host}/{IMAGE}:{TAG}", tls_args=tls)
    # nothing is sent any more (containers/image sends an empty Basic credential when it has none)
    assert done.returncode != 0 and set(site.origin.basic_users()) <= {("", "")}


@needs_docker_cli
def test_docker_login_manifest_inspect_logout(run, client_env, site, read_config):
    # docker logs in without a daemon (client side): to a loopback registry over http, or over
    # https with a certificate it does not verify (docker counts 127.0.0.0/8 as insecure).
    write_cred_helpers(client_env, site.host)
    done = clean(
        run(
            "docker", "login", "-u", DOCKER_USER[0], "--password-stdin", site.host, input=DOCKER_USER[1], env=client_env
        )
    )
    assert done.returncode == 0, done.stderr
    [(name, profile)] = read_config()["profiles"].items()
    assert (profile["dockerServerUrl"], profile.get("username", name)) == (site.host, DOCKER_USER[0])
    site.origin.seen.clear()
    before = site.manifest_requests()
    # --insecure lets manifest inspect use http; over https it skips verifying a loopback
    # registry's certificate by itself, as login does.
    insecure = ["--insecure"] if site.scheme == "http" else []
    done = clean(run("docker", "manifest", "inspect", *insecure, f"{site.host}/{IMAGE}:{TAG}", env=client_env))
    assert done.returncode == 0, done.stderr
    assert set(site.origin.basic_users()) == {DOCKER_USER} and site.manifest_requests() > before
    done = clean(run("docker", "logout", site.host, env=client_env))
    assert done.returncode == 0, done.stderr
    assert read_config()["profiles"] == {}


def test_docker_py_store_resolves_and_erases(client_env, site, monkeypatch, read_config):
    write_cred_helpers(client_env, site.host)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from docker.credentials import Store
        from docker.credentials.errors import CredentialsNotFound

    monkeypatch.setenv("PATH", client_env["PATH"])
    store = Store("truto", environment=client_env)
    store.store(site.host, *DOCKER_USER)
    auth = docker_py_auth(client_env, monkeypatch, site.host)
    assert (auth["Username"], auth["Password"]) == DOCKER_USER
    basic = base64.b64encode(f"{auth['Username']}:{auth['Password']}".encode()).decode()
    request = urllib.request.Request(f"{site.scheme}://{site.host}/v2/", headers={"Authorization": f"Basic {basic}"})
    context = ssl.create_default_context(cafile=site.cert) if site.cert else None
    with urllib.request.urlopen(request, timeout=30, context=context) as answer:
        assert answer.status == 200
    assert site.origin.basic_users() == [DOCKER_USER] and site.registry.authorized("/v2/")
    store.erase(site.host)
    with pytest.raises(CredentialsNotFound):
        store.get(site.host)
    assert read_config()["profiles"] == {}


# ---------------------------------------------------------------------------------------------
# which config.json key each client reads: why setup-docker writes credHelpers


def test_creds_store_reaches_docker_and_docker_py_but_not_skopeo(run, client_env, http_site, monkeypatch):
    origin = http_site.origin
    done = run("truto", "login", "--api-url", f"http://{origin.host}", "--token", GOOD_TOKEN, env=client_env)
    assert done.returncode == 0, done.stderr
    write_docker_config(client_env, {"credsStore": "truto"})
    # docker-py: credHelpers[host], else credsStore
    auth = docker_py_auth(client_env, monkeypatch, origin.host)
    assert (auth["Username"], auth["Password"]) == ("default", GOOD_TOKEN)
    if shutil.which("docker"):  # the docker CLI: the same rule
        done = clean(run("docker", "manifest", "inspect", "--insecure", f"{origin.host}/{IMAGE}:{TAG}", env=client_env))
        assert done.returncode == 0 and set(origin.basic_users()) == {("default", GOOD_TOKEN)}, done.stderr
        origin.seen.clear()
    # containers/image (skopeo, podman, buildah) reads auths and credHelpers only
    done = skopeo(run, client_env, "inspect", f"docker://{origin.host}/{IMAGE}:{TAG}", tls_args=http_site.skopeo_tls())
    assert done.returncode != 0 and set(origin.basic_users()) <= {("", "")}
    # ... and its login writes the password into the file, base64-encoded, past the helper
    done = skopeo(
        run,
        client_env,
        "login",
        "-u",
        DOCKER_USER[0],
        "--password-stdin",
        origin.host,
        tls_args=http_site.skopeo_tls(),
        input=DOCKER_USER[1],
    )
    assert done.returncode == 0, done.stderr
    with open(docker_config_path(client_env)) as f:
        stored = json.load(f)["auths"][origin.host]["auth"]
    assert base64.b64decode(stored).decode() == ":".join(DOCKER_USER)
