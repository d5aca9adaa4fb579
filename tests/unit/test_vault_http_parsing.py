"""The Vault client's own HTTP/1.1 reader, against a scripted loopback socket server: the framing
edge cases (Content-Length, chunked, until EOF), answers split across reads, malformed and oversized
answers, and the bytes of the request. A real OpenBao proves the rest (tests/test_vault_*.py); these
are protocol cases no real server would produce on demand."""

import json
import socket
import threading
import time
from urllib.parse import quote as urllib_quote
from urllib.parse import urlsplit

import pytest

from truto_credential_helper.errors import SecretStoreUnavailable
from truto_credential_helper.secrets import vault_http
from truto_credential_helper.secrets.vault_http import Client, quote, split_address

DOC = {"data": {"data": {"apiToken": "tok"}, "metadata": {"version": 3}}}
BODY = json.dumps(DOC).encode()


class Scripted:
    """A one-connection server on 127.0.0.1 (or ::1): reads the request, then sends `pieces` one
    send() each, `pause` seconds apart, then closes. `request` is what it received."""

    def __init__(self, pieces, pause=0.0, family=socket.AF_INET, host="127.0.0.1"):
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.bind((host, 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.address = f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"
        self.pieces, self.pause, self.request = pieces, pause, b""
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(5)
            while b"\r\n\r\n" not in self.request:
                self.request += conn.recv(65536)
            head, _, body = self.request.partition(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    while len(body) < int(line.split(b":")[1]):
                        body += conn.recv(65536)
            self.request = head + b"\r\n\r\n" + body
            try:
                for piece in self.pieces:
                    conn.sendall(piece)
                    if self.pause:
                        time.sleep(self.pause)
            except OSError:
                pass  # the client gave up first (a timeout test)

    def close(self):
        self.thread.join(10)
        self.listener.close()


def ask(pieces, method="GET", body=None, timeout=5.0, token="s.token", pause=0.0, **server):
    """(Answer or the SecretStoreUnavailable raised, request bytes) of one request to a Scripted server."""
    server = Scripted(pieces, pause, **server)
    client = Client([server.address], time.monotonic() + timeout, timeout, "secret/teams/x")
    try:
        try:
            result = client.request(method, "secret/data/teams/x", token=token, body=body)
        except SecretStoreUnavailable as e:
            result = e
    finally:
        server.close()
    return result, server.request


def head(*lines):
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body, size=7, extension=""):
    out = b""
    for i in range(0, len(body), size):
        part = body[i : i + size]
        out += f"{len(part):x}{extension}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n"


def each_byte(data):
    return [data[i : i + 1] for i in range(len(data))]


# -- framing


def test_content_length_body_split_in_single_bytes():
    answer, _ = ask(
        each_byte(head("HTTP/1.1 200 OK", f"Content-Length: {len(BODY)}", "Content-Type: application/json") + BODY)
    )
    assert answer.status == 200 and answer.doc == DOC


def test_content_length_stops_at_the_length_even_if_more_follows():
    answer, _ = ask([head("HTTP/1.1 200 OK", f"content-length: {len(BODY)}") + BODY + b"garbage after the body"])
    assert answer.doc == DOC


@pytest.mark.parametrize("extension", ["", ";name=value", " ; a=b;c"])
def test_chunked_body_with_extensions_and_trailers_split_across_reads(extension):
    data = (
        head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked")
        + chunked(BODY, 5, extension)
        + b"X-Trailer: ignored\r\nAnother: one\r\n\r\n"
    )
    answer, _ = ask([data[i : i + 3] for i in range(0, len(data), 3)])
    assert answer.status == 200 and answer.doc == DOC


def test_chunked_is_found_case_insensitively_and_wins_over_content_length():
    data = head("HTTP/1.1 200 OK", "TRANSFER-ENCODING: Chunked", "Content-Length: 5") + chunked(BODY, 64) + b"\r\n"
    answer, _ = ask([data])
    assert answer.doc == DOC


def test_chunked_body_ending_at_eof_after_the_last_chunk():
    answer, _ = ask([head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked(BODY, 100)])
    assert answer.doc == DOC


def test_body_until_eof_without_length():
    answer, _ = ask([head("HTTP/1.0 200 OK"), BODY[:10], BODY[10:]])
    assert answer.doc == DOC


def test_bare_lf_line_ends_and_interim_answers():
    data = b'HTTP/1.1 100 Continue\n\nHTTP/1.1 404 Not Found\nContent-Length: 13\n\n{"errors":[]}'
    answer, _ = ask([data])
    assert answer.status == 404 and answer.errors == []


def test_no_body_for_204():
    answer, _ = ask([head("HTTP/1.1 204 No Content"), b"anything after is not read as a body"])
    assert answer.status == 204 and answer.doc == {}


# -- malformed answers: each a one-line "broken HTTP answer", never a traceback


@pytest.mark.parametrize(
    "data, why",
    [
        (b"", "RemoteDisconnected"),
        (b"HTTP/1.1 200 OK\r\nContent-Len", "IncompleteRead"),
        (b"ICY 200 OK\r\n\r\n", "BadStatusLine"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "BadStatusLine"),
        (b"HTTP/1.1 abc OK\r\n\r\n", "BadStatusLine"),
        (b"HTTP/2 200\r\n\r\n", "BadStatusLine"),
        (head("HTTP/1.1 200 OK", "Content-Type: application/json", " folded: continuation"), "folded header line"),
        (head("HTTP/1.1 200 OK", "\tfolded"), "folded header line"),
        (head("HTTP/1.1 200 OK", "no colon here"), "malformed header line"),
        (head("HTTP/1.1 200 OK", "Bad Name: x"), "malformed header line"),
        (head("HTTP/1.1 200 OK", ": no name"), "malformed header line"),
        (head("HTTP/1.1 200 OK", "Content-Length: 10") + b"{}", "IncompleteRead"),
        (head("HTTP/1.1 200 OK", "Content-Length: -1"), "bad Content-Length"),
        (head("HTTP/1.1 200 OK", "Content-Length: 2", "Content-Length: 3") + b"{}", "conflicting Content-Length"),
        (head("HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked"), "unsupported Transfer-Encoding"),
        (head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + b"zz\r\n{}\r\n0\r\n\r\n", "bad chunk size"),
        (head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + b"\r\n", "bad chunk size"),
        (head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + b"2\r\n{}XX0\r\n\r\n", "chunk without its CRLF"),
        (head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + b"10\r\n{}", "IncompleteRead"),
        (head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + b"2\r\n{}\r\n", "IncompleteRead"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 70000 + b"\r\n\r\n", "LineTooLong"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 101 + b"\r\n", "too many headers"),
    ],
)
def test_malformed_answer_is_a_broken_http_answer(data, why):
    error, _ = ask([data])
    assert isinstance(error, SecretStoreUnavailable), error
    assert f"broken HTTP answer ({why})" in str(error) and "\n" not in str(error)


# -- oversized answers are refused as before


def test_content_length_over_the_cap_is_refused_before_reading():
    error, _ = ask([head("HTTP/1.1 200 OK", f"Content-Length: {vault_http.MAX_BODY + 1}")])
    assert isinstance(error, SecretStoreUnavailable) and "larger than 4 MiB" in str(error)


@pytest.mark.parametrize("framing", ["chunked", "eof", "length"])
def test_body_over_the_cap_is_refused(monkeypatch, framing):
    monkeypatch.setattr(vault_http, "MAX_BODY", 1000)
    big = b'{"data": "' + b"x" * 2000 + b'"}'
    if framing == "chunked":
        data = head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked(big, 300) + b"\r\n"
    elif framing == "eof":
        data = head("HTTP/1.1 200 OK") + big
    else:
        data = head("HTTP/1.1 200 OK", f"Content-Length: {len(big)}") + big
    error, _ = ask([data])
    assert isinstance(error, SecretStoreUnavailable) and "sent an answer larger than" in str(error), error


def test_body_at_the_cap_is_read(monkeypatch):
    monkeypatch.setattr(vault_http, "MAX_BODY", len(BODY))
    answer, _ = ask([head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked") + chunked(BODY, 9) + b"\r\n"])
    assert answer.doc == DOC


# -- the deadline covers the whole exchange, not each read


def test_an_answer_trickling_in_past_the_deadline_times_out():
    data = head("HTTP/1.1 200 OK", f"Content-Length: {len(BODY)}") + BODY
    error, _ = ask(each_byte(data), timeout=0.6, pause=0.05)  # each byte well within the timeout
    assert isinstance(error, SecretStoreUnavailable) and "no answer within 0.6 s" in str(error), error


# -- the request


def test_request_bytes():
    answer, request = ask(
        [head("HTTP/1.1 200 OK", "Content-Length: 2") + b"{}"], method="POST", body={"data": {"k": "v"}}, token="s.tok"
    )
    assert answer.status == 200
    head_bytes, _, body = request.partition(b"\r\n\r\n")
    lines = head_bytes.decode().split("\r\n")
    assert lines[0] == "POST /v1/secret/data/teams/x HTTP/1.1"
    fields = dict(line.split(": ", 1) for line in lines[1:])
    assert fields["Host"].startswith("127.0.0.1:") and fields["Accept-Encoding"] == "identity"
    assert fields["Connection"] == "close" and fields["X-Vault-Token"] == "s.tok"
    assert fields["Content-Type"] == "application/json" and fields["Accept"] == "application/json"
    assert int(fields["Content-Length"]) == len(body) and json.loads(body) == {"data": {"k": "v"}}


def test_get_has_no_content_length_and_sends_the_namespace(monkeypatch):
    monkeypatch.setenv("VAULT_NAMESPACE", "team-a")
    _, request = ask([head("HTTP/1.1 200 OK", "Content-Length: 2") + b"{}"])
    text = request.decode()
    assert text.startswith("GET /v1/secret/data/teams/x HTTP/1.1\r\n")
    assert "\r\nX-Vault-Namespace: team-a\r\n" in text and "Content-Length" not in text


def test_ipv6_host_header_is_bracketed():
    try:
        server_args = dict(family=socket.AF_INET6, host="::1")
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    answer, request = ask([head("HTTP/1.1 200 OK", "Content-Length: 2") + b"{}"], **server_args)
    assert answer.status == 200
    assert b"\r\nHost: [::1]:" in request


@pytest.mark.parametrize("token", ["s.tok\r\nX-Injected: 1", "s.tok\nmore", "s.\x00tok"])
def test_a_token_with_a_line_break_is_never_sent_nor_shown(token):
    client = Client(["http://127.0.0.1:9"], time.monotonic() + 1, 1, "secret/x")
    with pytest.raises(SecretStoreUnavailable) as caught:
        client.request("GET", "secret/data/x", token=token)
    assert "X-Vault-Token" in str(caught.value) and token not in str(caught.value) and "s.tok" not in str(caught.value)


# -- the address and path helpers match urllib.parse's on what login accepts


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:8200",
        "https://Vault.Example.COM",
        "https://[::1]:8200/prefix/",
        "http://[FE80::1]",
        "https://vault.example:443/a/b",
        "HTTPS://v.example:0",
    ],
)
def test_split_address_matches_urlsplit(address):
    parts = urlsplit(address)
    expected = (
        parts.scheme,
        parts.hostname,
        parts.port or (443 if parts.scheme == "https" else 80),
        parts.path.rstrip("/"),
    )
    assert split_address(address) == expected


@pytest.mark.parametrize(
    "address", ["https://v.example:99999", "https://v.example:port", "https://[::1", "vault:8200", "ftp://v.example"]
)
def test_split_address_refuses_what_is_not_an_address(address):
    with pytest.raises(ValueError):
        split_address(address)


@pytest.mark.parametrize("text", ["secret", "teams/lean", "a b/é~x%+?#;", "名前/ü"])
def test_quote_matches_urllib(text):
    assert quote(text) == urllib_quote(text)
