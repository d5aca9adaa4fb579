"""The docker client's config.json, and the containers auth file podman, buildah and skopeo read
first and write their logins to (containers-auth.json(5), the same format): `credHelpers` entries
naming this helper.

Every other key is kept as it was (docker and its plugins keep auths, proxies, contexts there);
writes are atomic (locked_io.write_file: temp file in the same directory, fsync, rename), through a
symlinked file to its target as docker itself does, and leave the file 0600.
"""

import json
import os

from . import jsondepth
from .credential import origin_from_url
from .errors import ConfigError

HELPER = "truto"  # docker runs docker-credential-truto


def config_path():
    directory = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(directory, "config.json")


def containers_auth_path():
    """The containers tools' primary (read/write) auth file, as containers/image picks it on
    Linux: REGISTRY_AUTH_FILE (the default of their --authfile), else
    $XDG_RUNTIME_DIR/containers/auth.json, else /run/containers/<uid>/auth.json."""
    explicit = os.environ.get("REGISTRY_AUTH_FILE")
    if explicit:
        return explicit
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        if not os.path.isdir(runtime):
            # containers/image refuses such a setting too, rather than create the directory
            raise ConfigError(
                f"XDG_RUNTIME_DIR names {runtime}, which does not exist (podman and buildah refuse it too); "
                "create it or unset XDG_RUNTIME_DIR"
            )
        return os.path.join(runtime, "containers", "auth.json")
    return f"/run/containers/{os.getuid()}/auth.json"


def registry_host(api_url):
    """The key docker looks credHelpers up by: host, with :port unless it is the default one."""
    return origin_from_url(api_url)[1]  # already lower-case, without the scheme's default port


def unanswerable(api_url):
    """Why docker could never get this API URL's credential through the helper, or None. docker,
    docker-py and containers/image ask for the credHelpers key without a scheme, which the helper
    reads as https, and as http too only for a loopback host (protocols.docker.origins_of)."""
    from .protocols.docker import origins_of

    origin = origin_from_url(api_url)
    if origin[:2] in [o[:2] for o in origins_of(origin[1])]:
        return None
    return (
        f"{api_url} is plain http and {origin[1]} is not a loopback host: docker asks the helper for "
        f"'{origin[1]}' without a scheme, which means https, and an http token goes only to loopback "
        f"registries (localhost, 127.0.0.0/8, ::1)"
    )


def load(path=None):
    """The document, or {} when the file does not exist; ConfigError when it is not a JSON object."""
    path = path or config_path()
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror}); check the file")
    if not data.strip():
        return {}  # docker treats an empty file as an empty config
    try:
        doc = jsondepth.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        where = f" at line {e.lineno} column {e.colno}" if hasattr(e, "lineno") else ""
        raise ConfigError(f"{path}: is not valid JSON{where}; fix it (docker cannot read it either), then retry")
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: is not a JSON object; fix it, then retry")
    helpers = doc.get("credHelpers")
    if helpers is not None and not isinstance(helpers, dict):
        raise ConfigError(f"{path}: credHelpers is not a JSON object; fix it, then retry")
    return doc


def save(doc, path=None):
    """Atomically, through a symlink to its target (as docker does), 0600 (docker's and
    containers/image's own mode for it)."""
    from .locked_io import write_file

    path = os.path.realpath(path or config_path())
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{directory}: cannot be created ({e.strerror}); check DOCKER_CONFIG or REGISTRY_AUTH_FILE")
    write_file(directory, os.path.basename(path), (json.dumps(doc, indent="\t") + "\n").encode("utf-8"))


def helper_for(doc, host):
    """Which credential helper docker uses for host: credHelpers first, then credsStore."""
    helpers = doc.get("credHelpers") or {}
    if host in helpers:
        return helpers[host]
    return doc.get("credsStore")


def set_up(host, path=None):
    """credHelpers[host] = "truto"; returns False when it already was."""
    doc = load(path)
    if (doc.get("credHelpers") or {}).get(host) == HELPER:
        return False
    doc.setdefault("credHelpers", {})[host] = HELPER
    save(doc, path)
    return True


def remove(host, path=None):
    """Drop credHelpers[host] when it names this helper (and credHelpers when that empties it)."""
    doc = load(path)
    helpers = doc.get("credHelpers") or {}
    if helpers.get(host) != HELPER:
        return False
    del helpers[host]
    if not helpers:
        del doc["credHelpers"]
    save(doc, path)
    return True
