"""Which origin a docker server URL names. docker, docker-py and skopeo ask for a registry without a
scheme and reach a loopback registry over plain http, so a scheme-less name of a loopback host is
answered by its https profile first, else its http one; every other scheme-less name is https only,
and an explicit scheme names exactly that scheme. Run through the installed docker-credential-truto,
as docker runs it; the pure rule itself is in unit/test_docker_origins.py."""

import json

import pytest
from conftest import GOOD_TOKEN, OTHER_TOKEN
from helper_support import save_profile


def get(run, server_url):
    done = run("docker-credential-truto", "get", input=server_url)
    if done.returncode != 0:
        assert done.stdout == "credentials not found in native keychain\n", done.stdout
        return None
    answer = json.loads(done.stdout)
    assert answer["ServerURL"] == server_url
    return answer["Username"], answer["Secret"]


@pytest.mark.parametrize(
    "api_url,asked",
    [
        ("http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("http://127.3.2.1:5000", "127.3.2.1:5000"),
        ("http://localhost:5000", "localhost:5000"),
        ("http://LOCALHOST:5000", "localhost:5000"),
        ("http://[::1]:5000", "[::1]:5000"),
        ("http://127.0.0.1", "127.0.0.1"),  # port 80 for http, as docker's http fallback uses
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
    ],
)
def test_an_http_profile_answers_the_scheme_less_name_of_its_loopback_host(run, env, api_url, asked):
    save_profile(env, "reg", api_url, GOOD_TOKEN)
    assert get(run, asked) == ("reg", GOOD_TOKEN)


@pytest.mark.parametrize(
    "api_url,asked",
    [
        ("http://registry.example:5000", "registry.example:5000"),  # not loopback: no scheme means https
        ("http://10.0.0.5:5000", "10.0.0.5:5000"),
        ("http://127.0.0.1.nip.io:5000", "127.0.0.1.nip.io:5000"),  # resolves to loopback, is not by its spelling
        ("http://[::ffff:127.0.0.1]:5000", "[::ffff:127.0.0.1]:5000"),
        ("http://127.0.0.1:5000", "127.0.0.1:5001"),  # another port
        ("http://127.0.0.1:5000", "localhost:5000"),  # another host name
        ("http://127.0.0.1:5000", "https://127.0.0.1:5000"),  # an explicit https is never answered by http
        ("https://127.0.0.1:5000", "http://127.0.0.1:5000"),  # nor an explicit http by https
        ("https://registry.example:5000", "http://registry.example:5000"),
    ],
)
def test_no_secret_crosses_to_another_scheme_host_or_port(run, env, api_url, asked):
    save_profile(env, "reg", api_url, GOOD_TOKEN)
    assert get(run, asked) is None


def test_https_answers_a_loopback_name_before_http(run, env):
    save_profile(env, "plain", "http://127.0.0.1:5000", OTHER_TOKEN)
    save_profile(env, "tls", "https://127.0.0.1:5000", GOOD_TOKEN)
    assert get(run, "127.0.0.1:5000") == ("tls", GOOD_TOKEN)
    assert get(run, "http://127.0.0.1:5000") == ("plain", OTHER_TOKEN)


def test_a_docker_login_of_a_loopback_registry_answers_before_the_http_profile(run, env):
    save_profile(env, "default", "http://127.0.0.1:5000", GOOD_TOKEN, active=True)
    done = run(
        "docker-credential-truto",
        "store",
        input=json.dumps({"ServerURL": "127.0.0.1:5000", "Username": "ci-bot", "Secret": "dock-1"}),
    )
    assert done.returncode == 0, done.stdout
    assert get(run, "127.0.0.1:5000") == ("ci-bot", "dock-1")


def test_erase_of_a_loopback_name_erases_what_docker_stored_under_either_scheme(run, read_config):
    for url, user in (("127.0.0.1:5000", "a"), ("http://127.0.0.1:5000", "b"), ("http://127.0.0.1:5001", "c")):
        done = run(
            "docker-credential-truto", "store", input=json.dumps({"ServerURL": url, "Username": user, "Secret": "s"})
        )
        assert done.returncode == 0, done.stdout
    done = run("docker-credential-truto", "erase", input="127.0.0.1:5000")
    assert done.returncode == 0, done.stdout
    assert [p.get("username", n) for n, p in read_config()["profiles"].items()] == ["c"]
    done = run("docker-credential-truto", "erase", input="127.0.0.1:5000")
    assert (done.returncode, done.stdout) == (1, "credentials not found in native keychain\n")


def test_erase_of_a_non_loopback_name_never_touches_its_http_credential(run, read_config):
    done = run(
        "docker-credential-truto",
        "store",
        input=json.dumps({"ServerURL": "http://registry.example:5000", "Username": "u", "Secret": "s"}),
    )
    assert done.returncode == 0, done.stdout
    assert run("docker-credential-truto", "erase", input="registry.example:5000").returncode == 1
    assert list(read_config()["profiles"]) == ["u"]
