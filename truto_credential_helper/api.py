"""The small Truto API client the `truto` command uses: GET with a Bearer token, bounded in time,
failures mapped to exit codes, the token never in a message.

`requests` is imported inside functions only, so commands that never call the API (and the
credential helper's get path) do not pay for it.
"""
import os
import sys
import time

from . import jsondepth
from .credential import origin_from_url
from .errors import ApiUnavailable, TokenRejected, TrutoError, UsageError
from .settings import ENV_TIMEOUT, seconds
from .untrusted import LINE_LIMIT, clean, clean_data, hold, mask, masked  # noqa: F401 (mask: callers read it from here)

DEFAULT_TIMEOUT = 10.0
RETRIES = 2  # after the first attempt: a short bounded retry on connection errors and 5xx
BACKOFF = 0.3  # seconds before the first retry, doubled for the next
MAX_RETRY_AFTER = 5.0  # a 429 asking us to wait longer than this fails instead of stalling the command
MAX_BODY = 8 << 20  # no answer of the Truto API comes near this; a hostile or broken server is cut off


class NotFound(TrutoError):
    """404: the caller knows what was looked up and usually rewords this."""


def timeout_seconds():
    return seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT)


def is_loopback(host):
    """host as credential.normalize_host gives it (lower case, maybe ':port', IPv6 in brackets)."""
    if host.startswith("["):
        name = host[1:].partition("]")[0]
    else:
        name = host.partition(":")[0]
    if name == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_api_url(url, source="the API URL"):
    """The URL normalized (no trailing slash), or UsageError when it is not one we may send a token
    to: not http(s), or plain http to anything but this machine."""
    try:
        scheme, host, _ = origin_from_url(url)
    except ValueError as e:
        raise UsageError(f"{source} {masked(url)} is not a valid API URL: {e}")
    if scheme == "http" and not is_loopback(host):
        raise UsageError(
            f"{source} uses plain http:// to another machine, which would send the token unencrypted; "
            "use https:// (plain http is allowed only for 127.0.0.1, ::1 and localhost)"
        )
    return url.rstrip("/")


def ca_bundle():
    """What to verify TLS against. requests reads REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE itself but
    not OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR, which corporate setups commonly export."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        if os.environ.get(name):
            return os.environ[name]
    return True


class ApiClient:
    def __init__(self, base_url, token, source="the API URL", verbose=False, waiting=None):
        self.base_url = check_api_url(base_url, source)
        self.token = hold(token)
        self.verbose = verbose
        self.waiting = waiting  # a context manager factory shown around each call (the CLI's spinner)
        self.timeout = timeout_seconds()
        self._session = None

    # -- public

    def get(self, path, params=None):
        """The decoded JSON body of GET base_url + path, every string in it cleaned of secrets and
        control characters: what the server says is printed as data."""
        if self.waiting is None:
            return clean_data(self._json(self._request("GET", path, params)))
        with self.waiting():
            return clean_data(self._json(self._request("GET", path, params)))

    # -- internals

    def _log(self, line):
        if self.verbose:
            print(clean(line, LINE_LIMIT), file=sys.stderr, flush=True)

    def session(self):
        if self._session is None:
            import requests

            from . import __version__

            self._session = requests.Session()
            self._session.headers["User-Agent"] = f"truto-credential-helper/{__version__}"
            self._session.headers["Accept"] = "application/json"
        return self._session

    def _request(self, method, path, params):
        import requests

        url = self.base_url + path
        headers = {"Authorization": f"Bearer {self.token}"}
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ApiUnavailable(f"{self._where()} did not answer within {self.timeout:g} s; check the API URL or raise TRUTO_TIMEOUT")
            request = requests.Request(method, url, headers=headers, params=params)
            prepared = self.session().prepare_request(request)
            self._log(f"> {method} {prepared.url}")
            for name, value in prepared.headers.items():
                shown = "Bearer " + mask(self.token) if name.lower() == "authorization" else value
                self._log(f"> {name}: {shown}")
            started = time.monotonic()
            try:
                response = self._send_bounded(prepared, remaining)
            except requests.exceptions.SSLError:
                raise ApiUnavailable(
                    f"TLS verification failed for {self._where()}; if your network uses its own certificate "
                    "authority, point SSL_CERT_FILE or REQUESTS_CA_BUNDLE at its certificate"
                )
            except requests.exceptions.ConnectionError as e:
                # ConnectTimeout is a ConnectionError too: retried while time remains.
                reason = _connection_reason(e)
                self._log(f"< connection failed: {reason}")
                if attempt < RETRIES and self._sleep_before_retry(attempt, deadline):
                    attempt += 1
                    continue
                raise ApiUnavailable(f"cannot reach {self._where()} ({reason}); check the API URL and your network")
            except requests.exceptions.Timeout:
                raise ApiUnavailable(f"{self._where()} did not answer within {self.timeout:g} s; check the API URL or raise TRUTO_TIMEOUT")
            except requests.exceptions.RequestException as e:
                raise ApiUnavailable(f"the request to {self._where()} failed ({type(e).__name__})")
            except UnicodeError:  # requests decodes a redirect's Location as UTF-8 even when not following it
                raise ApiUnavailable(f"{self._where()} sent headers that cannot be read; check the API URL")
            elapsed = (time.monotonic() - started) * 1000
            # The status line and every header are the server's words: each cleaned and capped.
            self._log(f"< {response.status_code} {clean(response.reason)} ({elapsed:.0f} ms)")
            for name in ("Content-Type", "Location", "Retry-After"):
                if name in response.headers:
                    self._log(f"< {name}: {clean(response.headers[name])}")

            status = response.status_code
            if status == 429:
                wait = _retry_after(response.headers.get("Retry-After"))
                if attempt < RETRIES and wait is not None and wait <= MAX_RETRY_AFTER and time.monotonic() + wait < deadline:
                    time.sleep(wait)
                    attempt += 1
                    continue
                after = f"; retry after {clean(response.headers['Retry-After'], 40)} s" if "Retry-After" in response.headers else ""
                raise ApiUnavailable(f"{self._where()} is rate limiting requests (429){after}")
            if status >= 500:
                if attempt < RETRIES and self._sleep_before_retry(attempt, deadline):
                    attempt += 1
                    continue
                raise ApiUnavailable(f"{self._where()} is failing ({status} {clean(response.reason)}{self._server_message(response)}); try again later")
            if 300 <= status < 400:
                target = clean(_location_host(response.headers.get("Location")))
                raise ApiUnavailable(
                    f"{self._where()} redirected the request ({status}) to {target}; truto does not follow redirects "
                    "with your token: set the API URL to the address the API is really served from"
                )
            if status in (401, 403):
                raise TokenRejected(
                    f"the API at {self._where()} rejected the token ({status}{self._server_message(response)}); "
                    "check it, or log in again with `truto login`"
                )
            if status == 404:
                raise NotFound(f"not found at {self._where()} (404{self._server_message(response)})")
            if status >= 400:
                raise TrutoError(f"the API refused the request ({status}{self._server_message(response)})")
            return response

    def _send_bounded(self, prepared, remaining):
        """Send and read the whole (capped) body within `remaining` seconds. requests' timeout is
        per socket read, so a server trickling bytes (or a hanging name lookup) would never trip it:
        the exchange runs in a daemon thread we stop waiting for at the deadline."""
        import threading

        import requests

        outcome = {}

        def exchange():
            try:
                response = self.session().send(
                    prepared, timeout=remaining, allow_redirects=False, verify=ca_bundle(), stream=True,
                    **self._env_settings(prepared.url),
                )
                try:
                    chunks, size = [], 0
                    for chunk in response.iter_content(65536):
                        size += len(chunk)
                        if size > MAX_BODY:
                            raise ApiUnavailable(f"{self._where()} sent an answer larger than {MAX_BODY >> 20} MiB; check the API URL")
                        chunks.append(chunk)
                finally:
                    response.close()
                response._content = b"".join(chunks)  # what requests itself stores once a body is read
                outcome["response"] = response
            except BaseException as e:  # raised again in the caller's thread
                outcome["error"] = e

        worker = threading.Thread(target=exchange, name="api", daemon=True)
        worker.start()
        worker.join(remaining)
        if worker.is_alive():
            raise requests.exceptions.Timeout()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]

    def _env_settings(self, url):
        # Proxies from the environment (HTTPS_PROXY, NO_PROXY); verify is decided by ca_bundle().
        settings = self.session().merge_environment_settings(url, {}, None, None, None)
        return {"proxies": settings.get("proxies") or {}}

    def _sleep_before_retry(self, attempt, deadline):
        pause = BACKOFF * (2 ** attempt)
        if time.monotonic() + pause >= deadline:
            return False
        time.sleep(pause)
        return True

    def _where(self):
        scheme, host, path = origin_from_url(self.base_url)
        return f"{scheme}://{host}" + (f"/{path}" if path else "")

    def _server_message(self, response):
        """The API's own one-line explanation, if it gave one (shortened, without the token)."""
        try:
            body = jsondepth.loads(response.content)
        except ValueError:
            return ""
        message = body.get("message") or body.get("error") if isinstance(body, dict) else None
        if not isinstance(message, str) or not message.strip():
            return ""
        return ": " + clean(message)

    def _json(self, response):
        try:
            body = jsondepth.loads(response.content)
        except ValueError:  # jsondepth.TooDeep too: absurdly nested JSON
            kind = clean(response.headers.get("Content-Type", "no content type"), 80)
            raise ApiUnavailable(f"{self._where()} answered {response.status_code} with a body that is not JSON ({kind}); check the API URL")
        if not isinstance(body, dict):  # every Truto API answer is an object
            raise ApiUnavailable(f"{self._where()} answered {response.status_code} with JSON that is not an object; check the API URL")
        return body


def _retry_after(value):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _location_host(location):
    if not location:
        return "an unnamed location"
    try:
        from urllib.parse import urlsplit

        host = urlsplit(location).hostname
    except ValueError:
        host = None
    return f"host '{host}'" if host else "another path on the same host"


def _connection_reason(error):
    """A short reason from a requests ConnectionError, without repeating its long repr."""
    import requests

    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "timed out connecting"
    text = str(error)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("Temporary failure in name resolution", "host name not found"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "network unreachable"),
        ("Connection reset", "connection reset"),
        ("RemoteDisconnected", "the server closed the connection"),
    ):
        if needle in text:
            return reason
    return "connection failed"
