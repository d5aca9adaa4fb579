"""Which HTTP proxy an https request to Vault goes through, as Vault's Go client decides it, and
what the CONNECT tunnel through it needs (vault_http opens it).

VAULT_PROXY_ADDR (or its older name VAULT_HTTP_PROXY) is used for every https request, as Vault's
client uses it (http.ProxyURL: NO_PROXY does not apply). Otherwise HTTPS_PROXY / https_proxy with
NO_PROXY / no_proxy, read as Go's http.ProxyFromEnvironment reads them (golang.org/x/net's
httpproxy): loopback hosts (localhost, 127.0.0.0/8, ::1) are never proxied; NO_PROXY is a comma
list of `*`, IP addresses, CIDR ranges and domain names, each with an optional `:port`; `example.com`
matches it and its subdomains, `.example.com` and `*.example.com` only the subdomains. A proxy URL
without a scheme is http://; only http:// proxies are supported. The request always goes as a
CONNECT tunnel, so TLS runs end to end with the Vault server, its certificate checked against the
Vault host: the proxy relays bytes it cannot read, the Vault token among them.

Imported only when one of those variables is set.
"""

import os

from ..credential import split_authority
from ..errors import SecretStoreUnavailable


class Proxy:
    def __init__(self, host, port, authorization, source):
        self.host = host
        self.port = port
        self.authorization = authorization  # a Proxy-Authorization value, or None
        self.source = source  # the variable that named it, for messages

    @property
    def label(self):
        return f"the proxy {self.host}:{self.port} ({self.source})"


def _env(*names):
    for name in names:
        value = os.environ.get(name)
        if value:
            return name, value
    return None, None


def proxy_for(host, port):
    """The Proxy for an https request to host:port, or None to connect directly."""
    name, value = _env("VAULT_PROXY_ADDR", "VAULT_HTTP_PROXY")
    if value is None:
        name, value = _env("HTTPS_PROXY", "https_proxy")
        if value is None or not use_proxy(host, port, _env("NO_PROXY", "no_proxy")[1] or ""):
            return None
    return parse_proxy(name, value)


def parse_proxy(name, value):
    url = value.strip()
    if "://" not in url:
        url = "http://" + url  # as Go reads a proxy without a scheme
    scheme = url.partition("://")[0].lower()
    if scheme != "http":
        raise SecretStoreUnavailable(
            f"{name} names a {scheme}:// proxy; truto reaches Vault through an http:// proxy only "
            "(the tunnel inside it is TLS to Vault): set it to http://HOST:PORT"
        )
    authority = url.partition("://")[2].partition("/")[0]
    userinfo, at, _ = authority.rpartition("@")
    try:
        if "[" in userinfo or "]" in userinfo:  # as url.Parse and urlsplit refuse it
            raise ValueError("invalid IPv6 address")
        host, port = split_authority(authority.rpartition("@")[2])  # the one reading of an authority
    except ValueError:
        host, port = "", None
    if not host or port == 0:
        raise SecretStoreUnavailable(f"{name} is not a proxy URL (host and port); set it to http://HOST:PORT")
    host = host[1:-1] if host.startswith("[") else host
    port = port or 80
    authorization = None
    if at:
        import binascii

        from .. import untrusted

        user, _, password = userinfo.partition(":")
        credentials = f"{_unquote(user)}:{_unquote(password)}".encode("utf-8")
        untrusted.hold(_unquote(password))
        authorization = "Basic " + binascii.b2a_base64(credentials, newline=False).decode("ascii")
    return Proxy(host.lower(), port, authorization, name)


def _unquote(text):
    """Percent-decoding of a URL's user info, without urllib."""
    out, i = bytearray(), 0
    raw = text.encode("utf-8")
    while i < len(raw):
        if raw[i] == 0x25 and i + 2 < len(raw) and _is_hex(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "replace")


def _is_hex(two):
    return len(two) == 2 and all(c in b"0123456789abcdefABCDEF" for c in two)


def use_proxy(host, port, no_proxy):
    """Whether an https request to host:port goes through the environment's proxy (Go's useProxy)."""
    import ipaddress

    host = host.lower().strip()
    if host == "localhost":
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None and ip.is_loopback:
        return False
    for entry in no_proxy.split(","):
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return False
        try:
            network = ipaddress.ip_network(entry, strict=False) if "/" in entry else None
        except ValueError:
            network = None
        if network is not None:
            if ip is not None and ip in network:
                return False
            continue
        name, entry_port = _split_host_port(entry)
        if not name:
            continue
        try:
            entry_ip = ipaddress.ip_address(name)
        except ValueError:
            entry_ip = None
        if entry_ip is not None:
            if ip is not None and ip == entry_ip and entry_port in ("", str(port)):
                return False
            continue
        if name.startswith("*."):
            name = name[1:]
        exact = not name.startswith(".")
        suffix = name if name.startswith(".") else "." + name
        if (host.endswith(suffix) or (exact and host == suffix[1:])) and entry_port in ("", str(port)):
            return False
    return True


def _split_host_port(entry):
    """(host, port) of a NO_PROXY entry `host`, `host:port`, `[v6]:port`; as net.SplitHostPort,
    an entry with more than one colon and no brackets is a bare IPv6 address."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else ""
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, port
    return entry, ""
