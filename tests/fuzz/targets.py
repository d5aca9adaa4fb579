"""The fuzz targets: each takes arbitrary bytes and may fail only with its parser's documented error
class. Any other exception is a crash: libFuzzer (tests/fuzz/run.py, atheris) reports it with the
input, and the input becomes a regression case in tests/fuzz/test_fuzz.py.

Plain functions, so the committed corpus also runs through them without atheris (any Python).
"""

import io
import os
import tempfile

from truto_credential_helper import config
from truto_credential_helper.errors import TrutoError
from truto_credential_helper.protocols import docker, git
from truto_credential_helper.secrets import secret_service
from truto_credential_helper.secrets.file import FileStore


def git_request(data):
    """git's key=value request, read from stdin as the helper reads it: RequestError only."""
    try:
        git.parse(git.read_request(io.BytesIO(data)))
    except git.RequestError:
        pass


def docker_request(data):
    """docker's requests: a bare server URL (get, erase) and the JSON of store: DockerError only."""
    for parse in (docker.parse_server_url, docker.parse_store):
        try:
            parse(docker.read_input(io.BytesIO(data)))
        except docker.DockerError:
            pass


def dbus_reply(data):
    """One message off the bus, decoded as the fast path decodes it: Unanswerable, or a malformed-data
    error that get_password turns into Unanswerable (MALFORMED)."""
    if len(data) < 16:
        return  # the connection waits for more bytes
    try:
        size, order, kind, header_len = secret_service.frame(data)
        if len(data) >= size:
            secret_service.parse_reply(data[:size], order, header_len)
    except (secret_service.Unanswerable,) + secret_service.MALFORMED:
        pass


_config_dir = None


def config_files(data):
    """config.json (today's format or the standalone CLI's, which config.load converts) and
    credentials.json, read from a real directory as every command reads them: TrutoError only."""
    global _config_dir
    if _config_dir is None:
        _config_dir = tempfile.mkdtemp(prefix="truto-fuzz-config.")
    for name in ("config.json", "credentials.json"):
        path = os.path.join(_config_dir, name)
        with open(path, "wb") as f:
            f.write(data)
        try:
            if name == "config.json":
                config.load(_config_dir)
            else:
                FileStore(_config_dir).get("default", "apiToken")
        except TrutoError:
            pass
        finally:
            os.unlink(path)


TARGETS = {
    "git": git_request,
    "docker": docker_request,
    "dbus": dbus_reply,
    "config": config_files,
}
