"""git's credential-helper wire format (git-credential(1)): `key=value` lines in, `key=value` lines out.

Parses a request into a Credential and formats an answer; knows nothing of profiles or storage.
"""

from ..credential import AUTHTYPE_FORM, Credential, answer_form, normalize_host, normalize_path
from ..errors import EXIT_USAGE, TrutoError

MAX_INPUT = 1 << 20  # 1 MiB: far above any real request, small enough to refuse without harm
AUTHTYPE = "authtype"  # the capability git 2.46+ declares for authtype/credential answers
_TRUE = ("1", "true", "yes", "on")


class RequestError(TrutoError):
    """The request on stdin is not git's credential format: the caller's mistake, exit 2."""

    exit_code = EXIT_USAGE


def read_request(stream, limit=MAX_INPUT):
    """The request's bytes from a binary stream: up to a blank line or EOF, as git's own helpers
    read (a script may keep stdin open after the blank line). Never holds more than limit+1 bytes."""
    chunks = []
    size = 0
    while True:
        line = stream.readline(limit + 1 - size)
        if not line:
            break
        chunks.append(line)
        size += len(line)
        if size > limit:
            raise RequestError(
                f"the request is larger than {limit // (1 << 20)} MiB; send only the credential's attributes"
            )
        if line in (b"\n", b"\r\n"):
            break
    return b"".join(chunks)


def parse(data):
    """A request Credential from git's key=value lines. Refuses what git itself never sends:
    invalid UTF-8, a line without '=', a NUL or carriage return (CVE-2020-5260's class)."""
    if len(data) > MAX_INPUT:
        raise RequestError("the request is larger than 1 MiB; send only the credential's attributes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RequestError(f"the request is not valid UTF-8 (byte {e.start}); send UTF-8 key=value lines")
    request = Credential()
    lists = {"capability[]": [], "wwwauth[]": []}
    for number, line in enumerate(text.split("\n"), 1):
        if line == "":
            break  # blank line (or the end after the last newline) ends the request
        key, sep, value = line.partition("=")
        if not sep:
            raise RequestError(f"line {number} of the request has no '='; each line must be key=value")
        if "\0" in line or "\r" in line:
            raise RequestError(
                f"line {number} of the request ('{_safe_key(key)}') holds a NUL or carriage return; refusing it"
            )
        if key in lists:
            if value == "":
                lists[key].clear()  # an empty multi-valued attribute resets the list
            else:
                lists[key].append(value)
        elif key == "url":
            # As git's credential_from_url: everything read so far is replaced by the URL's parts.
            request = _from_url(value)
            for values in lists.values():
                values.clear()
        else:
            _apply(request, key, value)
    request.capabilities = frozenset(lists["capability[]"])
    request.wwwauth = tuple(lists["wwwauth[]"])
    if request.host is not None and request.protocol is not None:
        request.host = normalize_host(request.protocol, request.host)
    return request


def _safe_key(key):
    # The key names the line in an error; a value never appears (it may be a password).
    return key[:40].replace("\0", "?").replace("\r", "?")


def _apply(request, key, value):
    if key in ("protocol", "username", "password", "authtype", "credential", "oauth_refresh_token", "profile"):
        setattr(request, key, value)
        if key == "protocol":
            request.protocol = value.lower()
    elif key == "host":
        request.host = value
    elif key == "path":
        request.path = normalize_path(value)
    elif key == "password_expiry_utc":
        # As git: an unparsable or zero expiry means "does not expire".
        request.password_expiry_utc = int(value) if value.isascii() and value.isdigit() and int(value) > 0 else None
    elif key == "ephemeral":
        request.ephemeral = value.lower() in _TRUE
    # Anything else (state[], continue, future keys) is ignored, as git's helpers do.


def _from_url(url):
    """A request from url=..., split exactly as git's credential_from_url (credential.c) splits it,
    so the helper sees the host git and curl see: the authority ends at the first '/', '?' or '#';
    user name and password come before the first '@' in it (split at the first ':'), and every part
    is percent-decoded as git's url_decode_mem does. A decoded line break is refused, as git does."""
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        raise RequestError("the url attribute has no scheme; give it as https://host[/path]")
    rest = url[len(scheme) + 3 :]
    slash = len(rest)
    for i, c in enumerate(rest):
        if c in "/?#":
            slash = i
            break
    at, colon = rest.find("@"), rest.find(":")
    username = password = None
    host_start = 0
    if at != -1 and at < slash:
        if colon == -1 or at <= colon:
            username = _url_decode_mem(rest[:at])
        else:
            username = _url_decode_mem(rest[:colon])
            password = _url_decode_mem(rest[colon + 1 : at])
        host_start = at + 1
    host = _url_decode_mem(rest[host_start:slash])
    path = rest[slash:].lstrip("/")
    if path:
        path = _url_decode_mem(path)
        trimmed = path.rstrip("/")
        path = trimmed or path[:1]  # git trims trailing slashes but keeps a path's first character
    parts = (("protocol", scheme), ("host", host), ("path", path), ("username", username), ("password", password))
    for name, value in parts:
        if value is not None and ("\n" in value or "\r" in value or "\0" in value):
            raise RequestError(f"the url attribute's {name} holds a line break or NUL once decoded; refusing it")
    return Credential(protocol=scheme.lower(), host=host, path=path or None, username=username, password=password)


def _url_decode_mem(text):
    """git's url_decode_mem: %XX sequences decoded, except %00 and anything before a first ':'."""
    colon = text.find(":")
    if colon > 0:
        return text[:colon] + _percent_decode(text[colon:])
    return _percent_decode(text)


_HEX = "0123456789abcdefABCDEF"


def _percent_decode(text):
    if "%" not in text:
        return text
    raw = text.encode("utf-8")
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x25 and i + 2 < len(raw) and chr(raw[i + 1]) in _HEX and chr(raw[i + 2]) in _HEX:
            value = int(raw[i + 1 : i + 3], 16)
            if value > 0:  # as git's hex2chr check: %00 stays as it is
                out.append(value)
                i += 3
                continue
        out.append(c)
        i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError("the url attribute is not valid UTF-8 once percent-decoded; refusing it")


def format_answer(answer, request):
    """The `get` answer for git: authtype/credential to a client that declared the authtype
    capability and whose credential has an authtype, else protocol/host/username/password."""
    lines = []
    bearer = answer_form(answer, request) == AUTHTYPE_FORM and answer.credential is not None
    if AUTHTYPE in request.capabilities:
        lines.append(("capability[]", AUTHTYPE))
    lines.append(("protocol", request.protocol or answer.protocol))
    lines.append(("host", request.host if request.host is not None else answer.host))
    if request.protocol is None and answer.path:
        lines.append(("path", answer.path))  # an empty or profile= request learns the whole origin
    if answer.username is not None and not (bearer and answer.username == ""):
        # An authtype credential stored without a user name has none to give: no empty username=
        # line (git 2.46+'s helper_test_authtype), while user name + password keep an empty one.
        lines.append(("username", answer.username))
    if bearer:
        lines.append(("authtype", answer.authtype))
        lines.append(("credential", answer.credential))
    else:
        lines.append(("password", answer.password))
    if answer.password_expiry_utc is not None:
        lines.append(("password_expiry_utc", str(answer.password_expiry_utc)))
    if answer.oauth_refresh_token is not None:
        lines.append(("oauth_refresh_token", answer.oauth_refresh_token))
    return format_lines(lines)


def format_lines(pairs):
    out = []
    for key, value in pairs:
        if value is None:
            continue
        if "\n" in value or "\r" in value or "\0" in value:
            # A stored value that would inject lines into git's protocol is never sent.
            raise TrutoError(
                f"the stored '{key}' holds a line break or NUL, so it cannot be sent to git; store it again"
            )
        out.append(f"{key}={value}\n")
    return "".join(out).encode("utf-8")
