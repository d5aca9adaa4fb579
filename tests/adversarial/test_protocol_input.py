"""4. Hostile protocol input: oversized, malformed and ambiguous requests on the helpers' stdin get
the documented behaviour, never a traceback, and never a secret for an origin that was not stored."""

import json
import subprocess
import threading

import pytest
from conftest import BIN

from .conftest import assert_clean_error, assert_no_secret, git_input, no_traceback

GIT = BIN / "git-credential-truto"
DOCKER = BIN / "docker-credential-truto"
OVERSIZE = 20 << 20  # 20 MiB


@pytest.fixture
def stored(run, env, canary):
    """A credential stored by git for https://stored.example, and one by docker for registry.example:5000."""
    p = run(GIT, "store", input=git_input(protocol="https", host="stored.example", username="alice", password=canary))
    assert p.returncode == 0, p.stderr
    p = run(
        DOCKER,
        "store",
        input=json.dumps({"ServerURL": "registry.example:5000", "Username": "bob", "Secret": canary + "-d"}),
    )
    assert p.returncode == 0, p.stdout
    return canary


def feed_endless(argv, env, payload_line, total=OVERSIZE):
    """Write `total` bytes to the helper's stdin as fast as it reads them; returns (proc result,
    bytes the helper let us write before it stopped reading)."""
    proc = subprocess.Popen(
        [str(a) for a in argv], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    written = [0]

    def writer():
        try:
            while written[0] < total:
                n = min(len(payload_line), total - written[0])
                proc.stdin.write(payload_line[:n])
                written[0] += n
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    out, err = _drain(proc)
    t.join(30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), written[0]


def _drain(proc):
    # communicate() would also write stdin; read the two pipes ourselves.
    out, err = [], []
    ts = [
        threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),
        threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True),
    ]
    for t in ts:
        t.start()
    proc.wait(timeout=60)
    for t in ts:
        t.join(10)
    return (out[0] if out else b""), (err[0] if err else b"")


# One long line, and many short well-formed lines: a cap must hold for both shapes.
ONE_LINE = b"password=" + b"a" * (1 << 20)
MANY_LINES = b"wwwauth[]=Basic realm=x\n" * 4096


@pytest.mark.parametrize("payload", [ONE_LINE, MANY_LINES], ids=["one-line", "many-lines"])
@pytest.mark.parametrize("action", ["get", "store", "erase"])
def test_git_oversized_input_refused_without_reading_it_all(env, action, payload, read_config, config_dir):
    result, written = feed_endless([GIT, action], env, payload)
    assert_clean_error(result, code=2, mentions=["MiB"])
    # The pipe holds at most ~64 KiB beyond what the helper read: it stopped near its 1 MiB cap.
    assert written < 4 << 20, written
    assert not (config_dir / "config.json").exists()


@pytest.mark.parametrize("action", ["get", "store", "erase"])
def test_docker_oversized_input_refused_without_reading_it_all(env, action, config_dir):
    payload = b'{"ServerURL": "https://x.example", "Username": "u", "Secret": "' + b"s" * (1 << 20)
    result, written = feed_endless([DOCKER, action], env, payload)
    # docker's convention: the error on stdout, exit 1.
    assert_clean_error(result, code=1, where="stdout", mentions=["MiB"])
    assert written < 4 << 20, written
    assert not (config_dir / "config.json").exists()


@pytest.mark.parametrize(
    "data,what",
    [
        (b"protocol=https\nhost=stored.example\xff\xfe\n\n", "UTF-8"),
        (b"protocol=https\nhost=stored.example\0evil\n\n", "NUL"),
        (b"protocol=https\nhost=stored.example\rhost=evil.example\n\n", "carriage return"),
        (b"protocol=https\nhost stored.example\n\n", "'='"),
    ],
)
@pytest.mark.parametrize("action", ["get", "store", "erase"])
def test_git_malformed_request_is_refused(run, stored, action, data, what, read_config):
    before = read_config()
    data = data if action != "store" else data.replace(b"\n\n", b"\nusername=x\npassword=pw\n\n")
    proc = run(GIT, action, input=data)
    line = assert_clean_error(proc, code=2, mentions=[what])
    assert proc.stdout == b""
    assert_no_secret(stored, proc.stdout, proc.stderr)
    assert read_config() == before, "a refused request changed the store"
    assert "pw" not in line


def test_git_crlf_line_endings_are_not_a_way_around_matching(run, stored):
    # A CR before the newline is not part of git's format; refusing it is the safe reading.
    proc = run(GIT, "get", input=b"protocol=https\r\nhost=stored.example\r\n\r\n")
    no_traceback(proc)
    assert_no_secret(stored, proc.stderr)
    if proc.returncode == 0:
        assert stored.encode() in proc.stdout  # read as CRLF lines: the very origin that was stored


def test_git_duplicate_keys_last_one_wins_as_in_git(run, stored):
    # git's credential_read: a later key replaces an earlier one. The secret of stored.example must
    # not come back for a request whose final host is another.
    proc = run(GIT, "get", input="protocol=https\nhost=stored.example\nhost=other.example\n\n")
    no_traceback(proc)
    assert_no_secret(stored, proc.stdout, proc.stderr)
    proc = run(GIT, "get", input="protocol=https\nhost=other.example\nhost=stored.example\n\n")
    assert proc.returncode == 0 and f"password={stored}\n" in proc.stdout


def test_git_lines_after_the_blank_line_are_not_read(run, stored):
    proc = run(GIT, "get", input="protocol=https\nhost=other.example\n\nhost=stored.example\n")
    assert proc.returncode == 0, proc.stderr
    assert_no_secret(stored, proc.stdout, proc.stderr)


@pytest.mark.parametrize(
    "attrs",
    [
        {"protocol": "https", "host": "stored.example" + "a" * 100000},
        {"protocol": "https", "host": "a" * 200000 + ".stored.example"},
        {"protocol": "https", "host": "stored.example:99999999999999999999"},
        {"protocol": "https", "host": "stored.example:-443"},
        {"protocol": "https", "host": "[::1"},
        {"protocol": "https", "host": ""},
        {"protocol": "javascript", "host": "stored.example"},
        {"protocol": "http", "host": "stored.example"},
        {"protocol": "", "host": "stored.example"},
        {"url": "https://"},
        {"url": "://stored.example"},
        {"url": "stored.example"},
        {"url": "https://evil.example@stored.example.evil.example/"},
        {"url": "https://stored.example@evil.example/"},
        {"url": "https://stored.example:notaport/"},
        {"url": "https://stored.example%2fevil.example/"},
        {"url": "http://stored.example/"},
        {"url": "https://" + "x" * 500000},
        {"protocol": "https", "host": "stored.example.", "username": "alice"},
        {"protocol": "https", "host": "xn--stored.example"},
        {"protocol": "https", "host": "stored.examp\u0435"},  # Cyrillic e
    ],
)
def test_git_absurd_urls_never_answer_another_origin(run, stored, attrs):
    proc = run(GIT, "get", input=git_input(**attrs))
    no_traceback(proc)
    assert_no_secret(stored, proc.stdout, proc.stderr)
    assert "unexpected internal error" not in proc.stderr


def test_git_url_host_is_percent_decoded_as_git_decodes_it(run, stored):
    # git's credential_from_url turns %73tored.example into stored.example before any helper sees
    # it: the helper, given the url itself, must name the same origin.
    proc = run(GIT, "get", input=git_input(url="https://%73tored.example/"))
    assert proc.returncode == 0 and f"password={stored}\n" in proc.stdout


@pytest.mark.parametrize(
    "url",
    [
        "https://",
        "://",
        "http://registry.example:5000",
        "registry.example:5000@evil.example",
        "registry.example:99999",
        "registry.example:5000\0",
        "x" * 900000,
        "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
        "https://registry.example:5000?x=1",
        "https://registry.example:5001",
        "registry.example",
        "https://[::1",
        "\t\n",
    ],
)
def test_docker_absurd_server_urls_never_answer_another_origin(run, stored, url):
    proc = run(DOCKER, "get", input=url.encode("utf-8", "surrogateescape") if isinstance(url, str) else url)
    no_traceback(proc)
    assert_no_secret(stored + "-d", proc.stdout, proc.stderr)
    assert b"unexpected internal error" not in proc.stdout
    assert proc.returncode == 1 and proc.stdout.strip(), "docker expects an error message on stdout"


@pytest.mark.parametrize(
    "doc",
    [
        {"ServerURL": "registry.example:5000", "Username": "bob\nhost=evil.example", "Secret": "s"},
        {"ServerURL": "registry.example:5000", "Username": "bob", "Secret": "s\npassword=injected"},
        {"ServerURL": "registry.example:5000\nhost=evil.example", "Username": "bob", "Secret": "s"},
        {"ServerURL": "registry.example:5000", "Username": "bob\r", "Secret": "s"},
        {"ServerURL": "registry.example:5000", "Username": "bob\0", "Secret": "s"},
        {"ServerURL": "registry.example:5000", "Username": "bob", "Secret": 12},
        {"ServerURL": "registry.example:5000", "Username": ["bob"], "Secret": "s"},
        {"ServerURL": "", "Username": "bob", "Secret": "s"},
        {"ServerURL": "registry.example:5000", "Username": "", "Secret": "s"},
        {"ServerURL": "ftp://registry.example", "Username": "bob", "Secret": "s"},
        {"ServerURL": "https://user:pw@registry.example", "Username": "bob", "Secret": "s"},
        [1, 2, 3],
        "just a string",
    ],
)
def test_docker_store_refuses_what_could_inject_or_mislead(run, stored, doc, read_config):
    before = read_config()
    proc = run(DOCKER, "store", input=json.dumps(doc))
    assert_clean_error(proc, code=1, where="stdout")
    assert read_config() == before
    # And nothing stored by docker can ever inject lines into git's answer.
    g = run(GIT, "get", input=git_input(protocol="https", host="registry.example:5000"))
    no_traceback(g)
    assert "evil.example" not in g.stdout and "injected" not in g.stdout


def test_docker_store_bad_json_and_bad_utf8(run, stored, read_config):
    before = read_config()
    for data in (
        b'{"ServerURL": "registry.example:5000", "Username": "bob", "Secret": "s"',
        b"\xff\xfe{}",
        b"",
        b"null",
    ):
        proc = run(DOCKER, "store", input=data)
        assert_clean_error(proc, code=1, where="stdout")
    assert read_config() == before


@pytest.mark.parametrize("action", ["frobnicate", "GET", "get ", "", "--", "capability", "store\n"])
def test_git_unknown_action_is_ignored_silently(run, stored, action):
    proc = run(GIT, action, input=git_input(protocol="https", host="stored.example"))
    if action in ("", "--"):
        no_traceback(proc)  # not an action at all: ignored or a usage error, never an answer
        assert proc.returncode in (0, 2) and proc.stdout == ""
        return
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == "", proc


def test_docker_unknown_action_is_an_error_on_stdout(run, stored):
    proc = run(DOCKER, "frobnicate", input="registry.example:5000")
    assert_clean_error(proc, code=1, where="stdout", mentions=["frobnicate"])


def test_empty_input(run, stored, read_config):
    before = read_config()
    for action in ("store", "erase"):
        proc = run(GIT, action, input="")
        no_traceback(proc)
        assert proc.stdout == ""
    assert read_config() == before, "an empty request stored or erased something"
    proc = run(DOCKER, "get", input="")
    assert_clean_error(proc, code=1, where="stdout", mentions=["server URL"])
    proc = run(DOCKER, "erase", input="")
    assert_clean_error(proc, code=1, where="stdout", mentions=["server URL"])
    proc = run(DOCKER, "store", input="")
    assert_clean_error(proc, code=1, where="stdout")
    assert read_config() == before


def test_erase_without_origin_erases_nothing(run, stored, read_config):
    before = read_config()
    for data in ("username=alice\n\n", "protocol=https\n\n", "path=x\n\n", "wwwauth[]=Basic\n\n"):
        proc = run(GIT, "erase", input=data)
        no_traceback(proc)
    assert read_config() == before, "an erase naming no origin removed credentials"


def test_store_refuses_values_with_newline_injection_through_url(run, stored, read_config):
    # %0a decoded inside a user name would give git an extra line; never stored as such.
    run(GIT, "store", input=git_input(url="https://bob%0ahost=evil.example@new.example/", password="pw"))
    proc = run(GIT, "get", input=git_input(protocol="https", host="new.example"))
    no_traceback(proc)
    assert "evil.example" not in proc.stdout
    assert len([line for line in proc.stdout.splitlines() if line.startswith("host=")]) <= 1
