"""The Credential record and the one rule that decides whether a stored credential answers a request.

Both protocols (git, docker) and the `truto` command speak in these records, so every entry point
shares a single notion of "this profile is the credential for that request", as git's helpers share
credential_match().
"""

import time

DEFAULT_PORTS = {"https": 443, "http": 80}


class Credential:
    """A plain class rather than a @dataclass: `import dataclasses` pulls in inspect and typing, about
    half of what a whole `get` takes (docs/performance.md). Same constructor, equality and replace() semantics."""

    FIELDS = (
        "protocol",
        "host",
        "path",
        "username",
        "password",
        "authtype",
        "credential",
        "authtype_only",
        "password_expiry_utc",
        "oauth_refresh_token",
        "profile",
        "capabilities",
        "ephemeral",
        "wwwauth",
    )
    __match_args__ = FIELDS
    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value: unhashable, as a non-frozen dataclass

    def __init__(
        self,
        protocol=None,  # "https" / "http"
        host=None,  # lower-case host, ":port" only when not the scheme's default
        path=None,  # without leading slash, as git sends it; None or "" = no path
        username=None,
        password=None,
        authtype=None,  # git 2.46+: pre-encoded credential with its auth scheme
        credential=None,
        authtype_only=False,  # stored by git as authtype+credential: useless to a client without that capability
        password_expiry_utc=None,
        oauth_refresh_token=None,
        profile=None,  # our extension: the profile this credential is / asks for
        capabilities=frozenset(),
        ephemeral=False,
        wwwauth=(),  # git 2.46+: the server's WWW-Authenticate challenges after a 401, one per header
    ):
        self.protocol = protocol
        self.host = host
        self.path = path
        self.username = username
        self.password = password
        self.authtype = authtype
        self.credential = credential
        self.authtype_only = authtype_only
        self.password_expiry_utc = password_expiry_utc
        self.oauth_refresh_token = oauth_refresh_token
        self.profile = profile
        self.capabilities = capabilities
        self.ephemeral = ephemeral
        self.wwwauth = wwwauth

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.FIELDS)

    def is_empty_request(self):
        """A request naming nothing: answered by the selected profile (our extension for scripts)."""
        return not (self.protocol or self.host or self.path or self.username or self.profile)

    def __repr__(self):  # never print secrets, even in a debugger or a traceback
        shown = ", ".join(
            f"{k}={getattr(self, k)!r}"
            for k in ("protocol", "host", "path", "username", "profile", "authtype")
            if getattr(self, k) is not None
        )
        return f"Credential({shown})"


def replace(credential, **changes):
    """A copy of `credential` with some fields changed (dataclasses.replace for Credential)."""
    values = {k: getattr(credential, k) for k in Credential.FIELDS}
    values.update(changes)
    return Credential(**values)


def normalize_host(protocol, host):
    """Lower-case the host and drop the scheme's default port, so 'API.truto.one:443' == 'api.truto.one'.
    A host whose port is not one (split_authority) is kept as it came: it is no origin, and matches none."""
    host = host.strip().lower()
    try:
        name, port = split_authority(host)
    except ValueError:
        return host
    if port is None or port == DEFAULT_PORTS.get(protocol):
        return name
    return f"{name}:{port}"


def port_number(text):
    """The port `text` spells, or None: ASCII digits only, up to 65535. int() also reads '+443',
    '4_43', ' 443' and full-width digits as 443, spellings no client sends for that port."""
    if text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 5 and int(text) <= 65535:
        return int(text)
    return None


def split_authority(hostport):
    """(host, port) of `host[:port]` or `[v6][:port]`, the one reading of a URL's authority here (an
    API URL, a docker server URL, git's host, a Vault address): host as written, an IPv6 literal with
    its brackets; port an int, or None when there is none ('h:' is 'h', as urlsplit reads it).
    ValueError: no host, a bracket anywhere but around the whole host, or a port port_number()
    does not read."""
    if hostport.startswith("["):
        inner, bracket, rest = hostport[1:].partition("]")
        if not bracket or ipv6_groups(inner) is None or (rest and not rest.startswith(":")):
            raise ValueError("invalid IPv6 address")
        host, port = f"[{inner}]", rest[1:]
    elif "[" in hostport or "]" in hostport:
        raise ValueError("invalid IPv6 address")
    else:
        host, _, port = hostport.partition(":")
    if not host:
        raise ValueError("no host")
    if not port:
        return host, None
    number = port_number(port)
    if number is None:
        raise ValueError("the port is not a number from 0 to 65535 in ASCII digits")
    return host, number


def normalize_path(path):
    path = (path or "").strip("/")
    return path or None


def origin_from_url(url):
    """(protocol, host, path) of an http(s) URL; ValueError when it is not one."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("the URL has no scheme (expected https://host)")
    scheme = scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError("the URL scheme is not http or https")
    hostport, _, path = rest.partition("/")
    for cut in "?#":
        if cut in path:
            raise ValueError("the URL must not have a query or fragment")
        if cut in hostport:
            raise ValueError("the URL must not have a query or fragment")
    if "@" in hostport:
        raise ValueError("the URL must not carry a user name or password")
    if not hostport or any(c.isspace() for c in url):
        raise ValueError("the URL has no valid host")
    if split_authority(hostport)[1] == 0:
        raise ValueError("the port is not a number from 1 to 65535")
    return scheme, normalize_host(scheme, hostport), normalize_path(path)


def checked_secret_url(url, source, kind, secret):
    """url without its trailing slash, or UsageError: not an http(s) URL (`source` says where it came
    from, `kind` what it should have been), or plain http to anything but this machine, which would
    send `secret` unencrypted. Never the URL itself in the error: a token pasted into the wrong
    option must not be echoed."""
    from .errors import UsageError
    from .untrusted import masked

    try:
        scheme, host, _ = origin_from_url(url)
    except ValueError as e:
        raise UsageError(f"{source} {masked(url)} is not a valid {kind}: {e}")
    if scheme == "http" and not is_loopback(host):
        raise UsageError(
            f"{source} uses plain http:// to another machine, which would send {secret} unencrypted; "
            "use https:// (plain http is allowed only for 127.0.0.1, ::1 and localhost)"
        )
    return url.rstrip("/")


def is_loopback(host):
    """Whether host (`name[:port]`, `[v6]:port`, as normalize_host writes it) is this machine by its
    spelling alone: localhost, 127.0.0.0/8 in dotted decimal, or ::1 (the set `ipaddress` calls
    loopback, parsed by hand to keep that import off the helper's get path). No DNS lookup: a
    name that resolves to 127.0.0.1 today can resolve elsewhere tomorrow."""
    if host.startswith("["):
        return _is_ipv6_loopback(host[1:].partition("]")[0])
    name = host.partition(":")[0]
    if name == "localhost":
        return True
    parts = name.split(".")
    return len(parts) == 4 and parts[0] == "127" and all(_is_octet(p) for p in parts)


def _is_ipv6_loopback(address):
    # ::1 in any spelling (0:0:0:0:0:0:0:1, 0::1, ...); ::ffff:127.0.0.1 is another address.
    return ipv6_groups(address) == [0] * 7 + [1]


_HEX = frozenset("0123456789abcdefABCDEF")


def ipv6_groups(address):
    """The eight 16-bit groups of an IPv6 address as ipaddress.IPv6Address reads it (one '::' for at
    least one zero group, a dotted IPv4 tail), or None. No zone (%eth0): nothing here needs one.
    By hand, to keep `import ipaddress` off the helper's get path."""
    head, sep, tail = address.partition("::")
    if "::" in tail:
        return None
    left, right = (head.split(":") if head else []), (tail.split(":") if tail else [])
    last = right if sep else left  # only the address's last group may be an IPv4 address
    if last and "." in last[-1]:
        octets = last[-1].split(".")
        if len(octets) != 4 or not all(_is_octet(o) for o in octets):
            return None
        number = int.from_bytes(bytes(int(o) for o in octets), "big")
        last[-1:] = [f"{number >> 16:x}", f"{number & 0xFFFF:x}"]
    if not all(0 < len(g) <= 4 and _HEX.issuperset(g) for g in left + right):
        return None
    fill = 8 - len(left) - len(right)
    if fill < 1 if sep else fill != 0:
        return None
    return [int(g, 16) for g in left + ["0"] * fill + right]


def _is_octet(text):
    """A decimal IPv4 octet as ipaddress reads one: ASCII digits, no leading zero, below 256."""
    return text.isascii() and text.isdigit() and len(text) <= 3 and int(text) < 256 and (text == "0" or text[0] != "0")


def url_from_origin(protocol, host, path=None):
    return f"{protocol}://{host}" + (f"/{path}" if path else "")


def matches(stored, request):
    """Whether `stored` is the credential `request` names: the identity rule git's helpers use.

    Protocol and host (with port) must be equal, so a secret never crosses to another host or from
    https down to http; username only when the request gives one; path only when both have one.
    A request naming a profile must name this one. Used as-is by erase and store.
    """
    if request.profile is not None and request.profile != stored.profile:
        return False
    if request.protocol is None and request.host is None:
        # Only a request that names a profile may omit the origin; never a wildcard otherwise.
        return request.profile is not None and request.username in (None, stored.username)
    if request.protocol != stored.protocol or request.host != stored.host:
        return False
    if request.username is not None and request.username != stored.username:
        return False
    if request.path and stored.path and request.path != stored.path:
        return False
    return True


def answers(stored, request, now=None):
    """Whether `stored` may be returned to `request` by get: it matches, has not expired, and the
    client can use one of its forms (see answer_form)."""
    if not matches(stored, request):
        return False
    if stored.password_expiry_utc is not None:
        if stored.password_expiry_utc <= (time.time() if now is None else now):
            return False
    return answer_form(stored, request) is not None


def answer_form(stored, request):
    """How `stored` is given to `request`: AUTHTYPE_FORM (authtype + credential), PASSWORD_FORM
    (user name + password) or None (the client cannot use it).

    An authtype credential stored by git only goes to a client that declared the capability. A
    token (authtype Bearer) goes in its authtype form only to such a client, and only when the
    server asked for that scheme or the client sent no challenge: a server that offers only Basic
    gets the user name and password."""
    capable = "authtype" in request.capabilities
    if stored.authtype_only:
        return AUTHTYPE_FORM if capable else None
    if capable and stored.authtype and (not request.wwwauth or offers_scheme(request.wwwauth, stored.authtype)):
        return AUTHTYPE_FORM
    return PASSWORD_FORM


AUTHTYPE_FORM = "authtype"
PASSWORD_FORM = "password"


def offers_scheme(challenges, scheme):
    """Whether one of the WWW-Authenticate values offers auth-scheme `scheme` (case-insensitive).

    RFC 9110 11.6.1: a value is a comma-separated list of challenges, each `auth-scheme [ token68 |
    #auth-param ]`; commas also separate auth-params, so an element starts a challenge when its
    first token is not followed by '=' (which would make it an auth-param's name)."""
    wanted = scheme.lower()
    for value in challenges:
        for element in _split_commas(value):
            element = element.lstrip(" \t")
            end = 0
            while end < len(element) and element[end] in _TCHAR:
                end += 1
            if end == 0 or element[end:].lstrip(" \t").startswith("="):
                continue  # empty, or an auth-param of the challenge before it
            if element[end : end + 1] not in ("", " ", "\t"):
                continue  # not a token at all
            if element[:end].lower() == wanted:
                return True
    return False


_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _split_commas(value):
    """A header value's comma-separated elements; commas inside quoted-strings do not split."""
    elements, current, quoted, escaped = [], [], False, False
    for c in value:
        if escaped:
            escaped = False
        elif quoted and c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c == "," and not quoted:
            elements.append("".join(current))
            current = []
            continue
        current.append(c)
    elements.append("".join(current))
    return elements
