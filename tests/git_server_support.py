"""Real git over smart HTTP for the end-to-end tests: a loopback server (127.0.0.1, an ephemeral
port, started and stopped by the test) that demands Basic or Bearer authentication and runs
`git http-backend` as CGI behind it, recording every Authorization header it received; the two
gits (Debian's on PATH, and a git >= 2.46 from scripts/find-git); and a GIT_ASKPASS that records each
prompt, so a test sees when git asked the user."""

import base64
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

NEW_GIT_ENV = "TRUTO_TEST_GIT"  # set by scripts/test: the path of a git >= 2.46 (scripts/find-git)
HTTP_BACKEND = "http-backend"
NO_NEW_GIT = (
    "needs a git 2.46 or later, and scripts/find-git found none: put one on PATH, name a git source tarball "
    "in TRUTO_GIT_TARBALL, or place git-2.55.0.tar.gz in ../shared/vendor/, then run scripts/test"
)
NO_GIT_TREE = (
    "needs a git build tree (t/ and its test helpers), which a git on PATH lacks: name a git source tarball "
    "in TRUTO_GIT_TARBALL, or place git-2.55.0.tar.gz in ../shared/vendor/, then run scripts/test"
)


class Git:
    """One git client: argv prefix and the environment it needs (a build tree's git runs from it)."""

    def __init__(self, name, argv, env, tree=None):
        self.name = name
        self.argv = argv
        self.env = env
        self.tree = tree  # the build tree, with t/ (git's own tests), or None for an installed git

    def __repr__(self):
        return f"Git({self.name})"


def system_git():
    return Git("2.39", ["git"], {})


def not_available(reason):
    """A test that needs what this machine lacks is reported as not run, with why and what to do;
    in CI (CI=true) it fails, so a CI run never passes without it."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def built_git():
    """The new git (named "2.55", the version these tests were written against: any git >= 2.46
    speaks the same protocol): the build tree scripts/build-git made, or a git on PATH."""
    path = os.environ.get(NEW_GIT_ENV)
    if not path or not os.access(path, os.X_OK):
        not_available(NO_NEW_GIT)
    directory = os.path.dirname(path)
    if not os.path.isfile(os.path.join(directory, "GIT-BUILD-OPTIONS")):
        return Git("2.55", [path], {})
    return Git(
        "2.55",
        [path],
        {"GIT_EXEC_PATH": directory, "GIT_TEMPLATE_DIR": os.path.join(directory, "templates", "blt")},
        tree=directory,
    )


def git_build_tree():
    """The new git's build tree, for git's own test scripts (t0303)."""
    git = built_git()
    if git.tree is None:
        not_available(NO_GIT_TREE)
    return git.tree


def git_version(git, env):
    done = subprocess.run(git.argv + ["version"], env={**env, **git.env}, capture_output=True, text=True, check=True)
    return done.stdout.split()[2]


class Account:
    """What the server accepts: `Basic` with user + secret, or `Bearer` with the secret alone,
    for repositories under `prefix` (a path like "/a.git", or "" for all)."""

    def __init__(self, user, secret, prefix=""):
        self.user = user
        self.secret = secret
        self.prefix = prefix


class GitServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root, scheme):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = Path(root)
        self.scheme = scheme  # "Basic" or "Bearer": the only scheme it offers and takes
        self.accounts = []
        self.received = []  # (method, path, Authorization header or None), in order
        self.lock = threading.Lock()

    @property
    def host(self):
        return f"127.0.0.1:{self.server_address[1]}"

    def url(self, repo):
        return f"http://{self.host}/{repo}"

    def authorizations(self):
        with self.lock:
            return [auth for _, _, auth in self.received if auth is not None]

    def authenticate(self, path, header):
        """The user name the request authenticates as, or None."""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != self.scheme.lower():
            return None
        for account in self.accounts:
            if not path.startswith(account.prefix):
                continue
            if self.scheme == "Bearer" and value == account.secret:
                return account.user
            if self.scheme == "Basic" and value == basic(account.user, account.secret).partition(" ")[2]:
                return account.user
        return None


def basic(user, secret):
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # the test reads server.received instead
        pass

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def _serve(self):
        server = self.server
        header = self.headers.get("Authorization")
        path, _, query = self.path.partition("?")
        with server.lock:
            server.received.append((self.command, self.path, header))
        body = self._body()
        user = server.authenticate(path, header)
        if user is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", f'{server.scheme} realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._cgi(path, query, user, body)

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _cgi(self, path, query, user, body):
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REMOTE_USER": user,
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.server.root),
        }
        for name in ("Content-Encoding", "Git-Protocol"):
            if self.headers.get(name):
                env["HTTP_" + name.upper().replace("-", "_")] = self.headers[name]
        done = subprocess.run(["git", HTTP_BACKEND], input=body, env=env, capture_output=True)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def start_server(root, scheme):
    server = GitServer(root, scheme)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def stop_server(server):
    server.shutdown()
    server.server_close()


def make_bare_repo(root, name, env):
    """A bare repository `name` under root with one commit, made with the machine's git."""
    work = Path(root).parent / f"{name}-seed"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], env=env, check=True)
    (work / "README").write_text(f"{name}\n")
    ident = ["-c", "user.name=Test", "-c", "user.email=test@example.invalid"]
    subprocess.run(["git", "-C", str(work), "add", "README"], env=env, check=True)
    subprocess.run(["git", *ident, "-C", str(work), "commit", "-q", "-m", "seed"], env=env, check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(Path(root) / name)], env=env, check=True)
    subprocess.run(["git", "-C", str(Path(root) / name), "config", "http.receivepack", "true"], env=env, check=True)
    shutil.rmtree(work)


ASKPASS = """#!/bin/sh
# Records each prompt git shows the user, and answers as a user typing at it would.
printf '%s\\n' "$1" >> "{log}"
case "$1" in
  Username*) printf '%s\\n' "$ASKPASS_USER" ;;
  *) printf '%s\\n' "$ASKPASS_SECRET" ;;
esac
"""


def write_askpass(directory):
    """(script path, log path): the log holds one line per prompt git showed."""
    directory = Path(directory)
    log = directory / "askpass.log"
    script = directory / "askpass"
    script.write_text(ASKPASS.format(log=log))
    script.chmod(0o755)
    return script, log


def prompts(log):
    return log.read_text().splitlines() if log.exists() else []
