"""A Secret Service reply of another type than the call's (ReadAlias answering a uint32, SearchItems
`au`, OpenSession's path as `u`, GetSecret a string...) is a broken answer: the fast path steps aside
and keyring decides, so every command ends in keyring's one line and exit 6, never in an internal
error. A scripted Secret Service on a real Unix socket plays the broken daemon."""

import pytest

from truto_credential_helper.secrets import os_keyring
from truto_credential_helper.secrets import secret_service as ss
from truto_credential_helper.secrets.os_keyring import KeyringStore

from .secret_service_support import ITEM, service  # noqa: F401  (a fixture)

# member -> replies of the wrong type (signature, body)
WRONG = {
    "Hello": [("u", (1,))],
    "ReadAlias": [("u", (7,)), ("s", ("/org/freedesktop/secrets/collection/login",)), ("ao", ([],))],
    "SearchItems": [("au", ([1],)), ("aoas", ([ITEM], [])), ("ao", ([ITEM],)), ("", ())],
    "OpenSession": [("vu", (("s", ""), 5)), ("v", (("s", ""),)), ("uo", (1, "/s"))],
    "GetSecret": [("s", ("the-secret",)), ("(oayay)", (("/s", b"", b"x"),)), ("(ouays)", (("/s", 1, b"x", "t"),))],
    "CreateItem": [("ou", (ITEM, 0)), ("o", (ITEM,))],
    "Delete": [("u", (0,)), ("s", ("/",))],
    "Unlock": [("au", ([1], "/")), ("aoo", ([1],))][:1],
}
CALLS = {  # the fast path's calls, and the members each one asks
    "get": (
        lambda: ss.get_password("svc", "default:apiToken", 5),
        ("Hello", "ReadAlias", "SearchItems", "OpenSession", "GetSecret"),
    ),
    "set": (
        lambda: ss.set_password("svc", "default:apiToken", "new", 5),
        ("Hello", "ReadAlias", "OpenSession", "CreateItem"),
    ),
    "delete": (
        lambda: ss.delete_password("svc", "default:apiToken", 5),
        ("Hello", "ReadAlias", "SearchItems", "Delete"),
    ),
    "delete-none": (lambda: ss.delete_password("svc", "default:apiToken", 5), ("Unlock",)),
}
CASES = [
    (call, member, wrong)
    for call, (_, members) in CALLS.items()
    for member in members
    for wrong in WRONG[member]
    if not (call == "delete" and member == "SearchItems" and wrong[0] == "")
]


@pytest.mark.parametrize("call,member,wrong", CASES, ids=[f"{c}-{m}-{w[0] or 'none'}" for c, m, w in CASES])
def test_a_reply_of_another_type_is_left_to_keyring(service, call, member, wrong):
    answers = {member: wrong, "CreateItem": ("oo", (ITEM, "/")), "Delete": ("o", ("/",))}
    if call == "delete-none":  # nothing found: the fast path asks whether the collection is unlocked
        answers.update(SearchItems=("aoao", ([], [])), Unlock=wrong if member == "Unlock" else ("aoo", ([], "/")))
    answers[member] = wrong
    service(lambda member, attempt: None, answers)
    with pytest.raises(ss.Unanswerable) as caught:
        CALLS[call][0]()
    assert "answered" in str(caught.value) or "type" in str(caught.value)


def test_the_right_types_are_answered(service):
    service(lambda member, attempt: None, {"CreateItem": ("oo", (ITEM, "/")), "Delete": ("o", ("/",))})
    assert ss.get_password("svc", "default:apiToken", 5) == "the-secret"
    ss.set_password("svc", "default:apiToken", "new", 5)
    assert ss.delete_password("svc", "default:apiToken", 5) is True


@pytest.fixture
def keyring_of_the_bus(monkeypatch, service):  # noqa: F811
    """keyring_of_the_bus(answers): from then on, the OS keyring store speaks to a scripted Secret
    Service answering `answers` (the tier's in-memory store stands in for it until then), keyring's
    fallback the `fail` backend: keyring's verdict is exit 6."""

    def start(answers):
        monkeypatch.setattr(os_keyring, "KeyringStore", KeyringStore)
        monkeypatch.setenv("TRUTO_KEYRING_TIMEOUT", "5")
        return service(lambda member, attempt: None, answers)

    return start


COMMANDS = {
    "git-get": (("git-credential-truto", "get"), b"protocol=https\nhost=stored.example\n\n"),
    "git-store": (
        ("git-credential-truto", "store"),
        b"protocol=https\nhost=new.example\nusername=u\npassword=p-1\n\n",
    ),
    "docker-get": (("docker-credential-truto", "get"), b"stored.example"),
    "auth-token": (("truto", "auth", "token", "-p", "stored"), b""),
    "logout": (("truto", "logout", "--profile-name", "stored", "-f"), b""),
}


@pytest.mark.parametrize(
    "member,wrong",
    [
        ("ReadAlias", ("u", (7,))),
        ("SearchItems", ("au", ([1],))),
        ("OpenSession", ("vu", (("s", ""), 5))),
        ("GetSecret", ("s", ("x",))),
    ],
)
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_ends_in_one_line_and_exit_6(cli, keyring_of_the_bus, name, member, wrong):
    login = cli("truto", "login", "--token", "tok-stored-1", "--api-url", "https://stored.example",
                "--profile-name", "stored", "-f", "--no-verify")  # fmt: skip
    assert login.returncode == 0, login.stderr
    keyring_of_the_bus({member: wrong, "CreateItem": ("ou", (ITEM, 0)), "Delete": ("u", (0,))})
    argv, stdin = COMMANDS[name]
    p = cli(*argv, stdin=stdin)
    out, err = p.stdout.decode(), p.stderr.decode()
    line = (out if name.startswith("docker") else err).strip()
    assert p.returncode == (1 if name.startswith("docker") else 6), (out, err)
    assert len(line.splitlines()) == 1 and "keyring" in line.lower(), line
    assert "internal error" not in out + err and "Traceback" not in out + err and "tok-stored-1" not in out + err
