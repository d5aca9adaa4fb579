"""The small Truto API client the `truto` command uses: requests with a Bearer token, bounded in
time, failures mapped to exit codes, the token never in a message. Three parts: the bounded send
(ApiClient._send_bounded), the retry policy (RetryPolicy, on urllib3's Retry) under one overall
deadline, and the status-to-error map (status_error); request() and pages() on top.

`requests` is imported inside functions only, so commands that never call the API (and the
credential helper's get path) do not pay for it.
"""

import os
import sys
import time

from . import jsondepth
from .credential import checked_secret_url, origin_from_url
from .errors import ApiUnavailable, TokenRejected, TrutoError
from .settings import ENV_TIMEOUT, seconds
from .untrusted import LINE_LIMIT, clean, clean_data, hold, mask, masked  # noqa: F401 (mask: callers read it from here)

TYPE_CHECKING = False  # typing is not imported at run time: `get` never loads it
if TYPE_CHECKING:
    from typing import Any, Callable, ContextManager, Iterator

DEFAULT_TIMEOUT = 10.0
RETRIES = 2  # after the first attempt: a short bounded retry on connection errors and 5xx
BACKOFF = 0.3  # seconds before the first retry, doubled for the next
MAX_RETRY_AFTER = 5.0  # a 429 asking us to wait longer than this fails instead of stalling the command
MAX_BODY = 8 << 20  # no answer of the Truto API comes near this; a hostile or broken server is cut off


class NotFound(TrutoError):
    """404: the caller knows what was looked up and usually rewords this."""


def timeout_seconds() -> float:
    return seconds(ENV_TIMEOUT, DEFAULT_TIMEOUT)


def check_api_url(url: str, source: str = "the API URL") -> str:
    """The URL normalized (no trailing slash), or UsageError when it is not one we may send a token
    to: not http(s), or plain http to anything but this machine."""
    return checked_secret_url(url, source, "API URL", "the token")


def ca_bundle() -> "str | bool":
    """What to verify TLS against. requests reads REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE itself but
    not OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR, which corporate setups commonly export."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        if os.environ.get(name):
            return os.environ[name]
    return True


class ApiClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        source: str = "the API URL",
        verbose: bool = False,
        waiting: "Callable[[], ContextManager[object]] | None" = None,
    ) -> None:
        self.base_url = check_api_url(base_url, source)
        self.token = hold(token)
        self.verbose = verbose
        self.waiting = waiting  # a context manager factory shown around each call (the CLI's spinner)
        self.timeout = timeout_seconds()
        self._session = None

    # -- public

    def request(self, method: str, path: str, params: "dict | None" = None, body: object = None) -> dict:
        """The decoded JSON body of `method` base_url + path (body: sent as JSON), every string in it
        cleaned of secrets and control characters: what the server says is printed as data."""
        if self.waiting is None:
            return clean_data(self._json(self._request(method, path, params, body)))
        with self.waiting():
            return clean_data(self._json(self._request(method, path, params, body)))

    def get(self, path: str, params: "dict | None" = None) -> dict:
        return self.request("GET", path, params)

    def pages(self, path: str, params: "dict | None" = None) -> "Iterator[dict]":
        """Each page of a list the Truto API pages with a cursor ({"result": [...], "next_cursor":
        ...}), following next_cursor until a page has none. A page without a result list, or a
        cursor the server already sent (it would loop forever), is an error."""
        params = dict(params or {})
        seen = set()
        while True:
            page = self.get(path, params)
            if not isinstance(page, dict) or not isinstance(page.get("result"), list):
                raise ApiUnavailable(f"the API answered GET {path} without a 'result' list; check the API URL")
            yield page
            cursor = page.get("next_cursor")
            if not cursor:
                return
            if not isinstance(cursor, str) or cursor in seen:
                raise ApiUnavailable(f"the API sent a next_cursor for GET {path} it had sent before; check the API URL")
            seen.add(cursor)
            params["next_cursor"] = cursor

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

    def _request(self, method, path, params, body=None):
        """One request under the overall TRUTO_TIMEOUT deadline: sent (bounded), retried as
        RetryPolicy decides, and its status mapped to an error by status_error."""
        import requests

        url = self.base_url + path
        headers = {"Authorization": f"Bearer {self.token}"}
        deadline = time.monotonic() + self.timeout
        policy = RetryPolicy(method, url, deadline)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ApiUnavailable(
                    f"{self._where()} did not answer within {self.timeout:g} s; check the API URL or raise TRUTO_TIMEOUT"
                )
            request = requests.Request(method, url, headers=headers, params=params, json=body)
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
                if policy.pause_after_connection_error(reason):
                    continue
                raise ApiUnavailable(f"cannot reach {self._where()} ({reason}); check the API URL and your network")
            except requests.exceptions.Timeout:
                raise ApiUnavailable(
                    f"{self._where()} did not answer within {self.timeout:g} s; check the API URL or raise TRUTO_TIMEOUT"
                )
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
            if policy.pause_after_status(response):
                continue
            error = status_error(self._where(), response, self._server_message)
            if error is not None:
                raise error
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
                    prepared,
                    timeout=remaining,
                    allow_redirects=False,
                    verify=ca_bundle(),
                    stream=True,
                    **self._env_settings(prepared.url),
                )
                try:
                    chunks, size = [], 0
                    for chunk in response.iter_content(65536):
                        size += len(chunk)
                        if size > MAX_BODY:
                            raise ApiUnavailable(
                                f"{self._where()} sent an answer larger than {MAX_BODY >> 20} MiB; check the API URL"
                            )
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
            raise ApiUnavailable(
                f"{self._where()} answered {response.status_code} with a body that is not JSON ({kind}); check the API URL"
            )
        if not isinstance(body, dict):  # every Truto API answer is an object
            raise ApiUnavailable(
                f"{self._where()} answered {response.status_code} with JSON that is not an object; check the API URL"
            )
        return body


def status_error(where: str, response: "Any", server_message: "Callable[[Any], str]") -> "TrutoError | None":
    """The error a finished (not retried) response means, or None for a success. server_message:
    response -> the API's own cleaned explanation (": ..."), or ""."""
    status = response.status_code
    if status == 429:
        after = (
            f"; retry after {clean(response.headers['Retry-After'], 40)} s" if "Retry-After" in response.headers else ""
        )
        return ApiUnavailable(f"{where} is rate limiting requests (429){after}")
    if status >= 500:
        return ApiUnavailable(
            f"{where} is failing ({status} {clean(response.reason)}{server_message(response)}); try again later"
        )
    if 300 <= status < 400:
        target = clean(_location_host(response.headers.get("Location")))
        return ApiUnavailable(
            f"{where} redirected the request ({status}) to {target}; truto does not follow redirects "
            "with your token: set the API URL to the address the API is really served from"
        )
    if status in (401, 403):
        return TokenRejected(
            f"the API at {where} rejected the token ({status}{server_message(response)}); "
            "check it, or log in again with `truto login`"
        )
    if status == 404:
        return NotFound(f"not found at {where} (404{server_message(response)})")
    if status >= 400:
        return TrutoError(f"the API refused the request ({status}{server_message(response)})")
    return None


class RetryPolicy:
    """Whether to try a request again, and after how long: urllib3's Retry (what requests' own
    adapters use) counts the attempts and reads Retry-After; this adds the overall deadline, so no
    pause outlasts TRUTO_TIMEOUT. Retried: connection failures and 5xx (after a doubling pause), and
    429 only when Retry-After asks for at most MAX_RETRY_AFTER seconds."""

    def __init__(self, method: str, url: str, deadline: float) -> None:
        from urllib3.util.retry import Retry

        class _Retry(Retry):
            def get_backoff_time(self):  # BACKOFF before the first retry, doubled for the next
                return BACKOFF * (2 ** max(0, len(self.history) - 1))

        self.method, self.url, self.deadline = method, url, deadline
        self.retry = _Retry(
            total=RETRIES,
            connect=RETRIES,
            read=0,
            redirect=0,
            status=RETRIES,
            other=0,
            backoff_factor=BACKOFF,
            status_forcelist=frozenset(range(500, 600)) | {429},
            allowed_methods=None,
            respect_retry_after_header=False,
            raise_on_status=False,
            raise_on_redirect=False,
        )

    def pause_after_connection_error(self, reason: str) -> bool:
        """Sleep and return True when the request should be sent again after a connection failure."""
        from urllib3.exceptions import NewConnectionError

        error = NewConnectionError(None, reason)  # type: ignore[arg-type]  # no connection: Retry counts only its kind
        return self._next(error=error, pause=None)

    def pause_after_status(self, response: "Any") -> bool:
        """Sleep and return True when a response's status asks for the request again."""
        status = response.status_code
        if not self.retry.is_retry(self.method, status):
            return False
        if status == 429:  # only when told how long, and not long
            wait = retry_after(response.headers.get("Retry-After"))
            if wait is None or wait > MAX_RETRY_AFTER:
                return False
            return self._next(response=_Status(status), pause=wait)
        return self._next(response=_Status(status), pause=None)

    def _next(self, pause, **outcome):
        from urllib3.exceptions import MaxRetryError

        try:
            retry = self.retry.increment(self.method, self.url, **outcome)
        except MaxRetryError:
            return False
        if pause is None:
            pause = retry.get_backoff_time()
        if time.monotonic() + pause >= self.deadline:
            return False
        self.retry = retry
        time.sleep(pause)
        return True


def retry_after(value: "str | None") -> "float | None":
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date, read by urllib3's
    Retry), None when absent or unusable."""
    from urllib3.exceptions import InvalidHeader
    from urllib3.util.retry import Retry

    if not value:
        return None
    try:
        return float(Retry().parse_retry_after(value))
    except (InvalidHeader, ValueError, TypeError, OverflowError):
        return None


class _Status:
    """What Retry.increment reads of a response: its status, and no redirect."""

    def __init__(self, status):
        self.status = status

    def get_redirect_location(self):
        return False


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
