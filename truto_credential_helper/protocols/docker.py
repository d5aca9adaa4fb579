"""docker-credential-helpers' wire format: JSON {"ServerURL", "Username", "Secret"} for store and
get, a bare server URL for get and erase, {url: username} for list. Messages as
credentials/error.go spells them, so docker recognises them. Knows nothing of storage.
"""

from .. import jsondepth
from ..credential import Credential, is_loopback, origin_from_url
from ..errors import TrutoError

MAX_INPUT = 1 << 20
NOT_FOUND = "credentials not found in native keychain"
MISSING_SERVER_URL = "no credentials server URL"
MISSING_USERNAME = "no credentials username"
ACTIONS = "store|get|erase|list|version"


class DockerError(TrutoError):
    """An error docker reads from our stdout; docker's helpers always exit 1."""


class NotFound(DockerError):
    def __init__(self):
        super().__init__(NOT_FOUND)


def read_input(stream, limit=MAX_INPUT):
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise DockerError(f"the input is larger than {limit // (1 << 20)} MiB; send one server URL or one credential")
    return data


def _text(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DockerError(f"the input is not valid UTF-8 (byte {e.start})")


def origin_of(server_url):
    """(protocol, host, path) of a docker server URL: with or without scheme or trailing slash,
    as docker writes them (`127.0.0.1:5000`, `https://index.docker.io/v1/`). No scheme = https."""
    return origin_from_url(server_url if "://" in server_url else "https://" + server_url)


def origins_of(server_url):
    """Every origin a server URL names for get and erase, in the order they answer. A URL with a
    scheme names its own origin. A scheme-less one names https, and for a loopback host also http:
    docker and containers/image reach a loopback registry over plain http when https fails (docker's
    registry package counts 127.0.0.0/8 as insecure), and ask the helper with no scheme either way.
    Any other host stays https only, so an http credential never goes to a name that means https."""
    found = [origin_of(server_url)]
    if "://" not in server_url:
        http = origin_from_url("http://" + server_url)
        if is_loopback(http[1]):
            found.append(http)
    return found


def parse_server_url(data):
    """(server_url as docker sent it, [request Credential, ...]) for get and erase: one request per
    origin the URL names (origins_of); none when the URL cannot name any credential of ours."""
    server_url = _text(data).strip()
    if not server_url:
        raise DockerError(MISSING_SERVER_URL)
    try:
        origins = origins_of(server_url)
    except ValueError:
        return server_url, []
    return server_url, [Credential(protocol=protocol, host=host, path=path) for protocol, host, path in origins]


def parse_store(data):
    """(server_url, Credential with username and password) from store's JSON. Keys match
    case-insensitively and unknown keys are ignored, as Go's encoding/json decodes them."""
    try:
        doc = jsondepth.loads(_text(data))
    except ValueError as e:
        raise DockerError(
            f'the input is not valid JSON ({getattr(e, "msg", "parse error")}); send {{"ServerURL", "Username", "Secret"}}'
        )
    if not isinstance(doc, dict):
        raise DockerError('the input is not a JSON object; send {"ServerURL", "Username", "Secret"}')
    fields = {}
    for key, value in doc.items():
        name = key.lower()
        if name in ("serverurl", "username", "secret"):
            if value is not None and not isinstance(value, str):
                raise DockerError(f"{key} must be a string")
            fields[name] = value or ""
    server_url, username, secret = fields.get("serverurl", ""), fields.get("username", ""), fields.get("secret", "")
    if not server_url:
        raise DockerError(MISSING_SERVER_URL)
    if not username:
        raise DockerError(MISSING_USERNAME)
    for name, value in (("ServerURL", server_url), ("Username", username), ("Secret", secret)):
        if any(c in value for c in "\r\n\0"):
            raise DockerError(f"{name} holds a line break or NUL; refusing it")
    try:
        protocol, host, path = origin_of(server_url)
    except ValueError as e:
        raise DockerError(f"the server URL cannot be stored: {e}")
    return server_url, Credential(protocol=protocol, host=host, path=path, username=username, password=secret)


def format_get(server_url, username, secret):
    return _dump({"ServerURL": server_url, "Username": username, "Secret": secret})


def format_list(entries):
    return _dump(entries)


def _dump(doc):
    if all(type(k) is str and type(v) is str for k, v in doc.items()):
        # json.dumps(doc) for a flat object of strings, by the C function it uses for them: importing
        # json (and the `re` it compiles) would cost a docker `get` more than writing its answer.
        from _json import encode_basestring_ascii as quote

        return ("{" + ", ".join(quote(k) + ": " + quote(v) for k, v in doc.items()) + "}\n").encode("utf-8")
    import json

    return (json.dumps(doc) + "\n").encode("utf-8")
