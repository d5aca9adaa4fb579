"""The API client's parts, each on its own: the status-to-error map, the retry policy (urllib3's
Retry under one deadline), and the paginator, against the stub API as a real HTTP server on
127.0.0.1 in this process."""

import importlib.util
import pathlib
import time

import pytest

from truto_credential_helper import api
from truto_credential_helper.errors import ApiUnavailable, TokenRejected, TrutoError

TOKEN = "tok-unit-7c1d"
ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_stub():
    spec = importlib.util.spec_from_file_location("stub_api", ROOT / "scripts" / "stub_api.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server():
    s = load_stub().make_server([TOKEN])
    yield s
    s.shutdown()
    s.server_close()


class Answer:
    def __init__(self, status, headers=None, reason="Reason"):
        self.status_code = status
        self.headers = headers or {}
        self.reason = reason


@pytest.mark.parametrize(
    "status, error, words",
    [
        (200, None, None),
        (204, None, None),
        (301, ApiUnavailable, "does not follow redirects"),
        (401, TokenRejected, "rejected the token (401"),
        (403, TokenRejected, "rejected the token (403"),
        (404, api.NotFound, "not found at"),
        (422, TrutoError, "refused the request (422"),
        (429, ApiUnavailable, "rate limiting"),
        (503, ApiUnavailable, "is failing (503"),
    ],
)
def test_each_status_maps_to_its_error(status, error, words):
    found = api.status_error("https://api.example", Answer(status), lambda response: "")
    if error is None:
        assert found is None
    else:
        assert type(found) is error and words in str(found)


def test_rate_limit_names_retry_after_cleaned():
    found = api.status_error("https://x", Answer(429, {"Retry-After": "7\x1b[2J"}), lambda response: "")
    assert "retry after 7" in str(found) and "\x1b" not in str(found)


def policy(seconds=10):
    return api.RetryPolicy("GET", "http://127.0.0.1/x", time.monotonic() + seconds)


def test_5xx_and_connection_failures_share_two_retries():
    p = policy()
    assert p.pause_after_status(Answer(502))
    assert p.pause_after_connection_error("connection refused")
    assert not p.pause_after_status(Answer(502))


def test_429_is_retried_only_when_retry_after_asks_for_little():
    assert not policy().pause_after_status(Answer(429))  # not told how long
    assert not policy().pause_after_status(Answer(429, {"Retry-After": str(int(api.MAX_RETRY_AFTER) + 1)}))
    assert not policy().pause_after_status(Answer(429, {"Retry-After": "soon"}))
    assert policy().pause_after_status(Answer(429, {"Retry-After": "0"}))


def test_no_pause_outlasts_the_deadline():
    assert not policy(seconds=0.1).pause_after_status(Answer(503))  # the first pause is longer


def test_client_errors_are_never_retried():
    for status in (400, 401, 403, 404, 301):
        assert not policy().pause_after_status(Answer(status))


def test_a_5xx_then_an_answer_is_one_request_retried(server):
    server.state.faults.append({"status": 503})
    team = api.ApiClient(server.url, TOKEN).get("/team")
    assert team["name"] == "Acme Integrations" and len(server.state.requests) == 2


def test_pages_follow_the_cursor_to_the_end(server):
    client = api.ApiClient(server.url, TOKEN)
    pages = list(client.pages("/api-token", {"limit": 10}))
    assert [len(p["result"]) for p in pages] == [10, 10, 10, 5]
    assert len({t["id"] for p in pages for t in p["result"]}) == 35
    assert "next_cursor=30" in server.state.requests[-1][1] and "limit=10" in server.state.requests[-1][1]


def test_a_cursor_sent_twice_ends_the_paging(server):
    again = {"status": 200, "body": {"result": [], "next_cursor": "same"}}
    server.state.faults.extend([again, again])
    with pytest.raises(ApiUnavailable, match="sent before"):
        list(api.ApiClient(server.url, TOKEN).pages("/api-token"))


def test_a_page_without_a_result_list_is_an_error(server):
    server.state.faults.append({"status": 200, "body": {"items": []}})
    with pytest.raises(ApiUnavailable, match="without a 'result' list"):
        next(api.ApiClient(server.url, TOKEN).pages("/api-token"))


def test_pages_are_cleaned_like_every_answer(server):
    server.state.faults.append({"status": 200, "body": {"result": [{"name": f"a\x1b[2Jb {TOKEN}"}]}})
    page = next(api.ApiClient(server.url, TOKEN).pages("/api-token"))
    name = page["result"][0]["name"]
    assert "\x1b" not in name and TOKEN not in name
