"""The write and delete fast path (secrets/secret_service.py set_password, delete_password) against
keyring itself, differentially, on the real gnome-keyring of the test session: an item written by
the fast path is the item keyring writes (label, attributes, secret, content type), each replaces the
other's, each deletes the other's, and under every keyring setting that changes where keyring writes
(the worlds of test_fast_path_equivalence.py) the fast path steps aside and touches nothing.

Each operation runs in a fresh process with the setting in its environment, as a user's shell would.
"""

import json
import os
import sys
import textwrap

import pytest
from test_fast_path_equivalence import WORLDS, probe_env  # noqa: F401 (a fixture)

# One process = one operation. `dump` lists every item of the service with the Secret Service's own
# calls on the service object and on items only (never a collection's properties: see _read).
PROBE = textwrap.dedent("""
    import json, sys
    op, service, username = sys.argv[1:4]
    if op in ("fast-set", "fast-delete"):
        from truto_credential_helper.secrets import secret_service
        try:
            if op == "fast-set":
                secret_service.set_password(service, username, sys.argv[4], 10)
            else:
                print(json.dumps({"deleted": secret_service.delete_password(service, username, 10)}))
                sys.exit(0)
            print(json.dumps({"done": True}))
        except secret_service.Unanswerable as e:
            print(json.dumps({"declined": str(e)}))
        sys.exit(0)
    import keyring
    if op == "set":
        keyring.set_password(service, username, sys.argv[4])
    elif op == "delete":
        try:
            keyring.delete_password(service, username)
        except keyring.errors.PasswordDeleteError:
            print(json.dumps({"error": "PasswordDeleteError"}))
    elif op == "get":
        print(json.dumps({"answer": keyring.get_password(service, username)}))
    elif op == "dump":
        import secretstorage
        conn = secretstorage.dbus_init()
        items = []
        for item in secretstorage.search_items(conn, {"service": service}):
            attributes = item.get_attributes()
            # gnome-keyring adds this to every item when it reloads the collection from disk (after
            # any write, by anyone, a moment later): not part of what a client wrote.
            if attributes.get("xdg:schema") == "org.freedesktop.Secret.Generic":
                del attributes["xdg:schema"]
            items.append({"collection": item.item_path.rsplit("/", 1)[0], "label": item.get_label(),
                          "attributes": attributes, "secret": item.get_secret().hex(),
                          "content_type": item.get_secret_content_type()})
        print(json.dumps(sorted(items, key=json.dumps)))
""")

USERNAME = "default:apiToken"
VALUE = "tök-✓-value"  # not ASCII: the secret's bytes are UTF-8 either way


def op(run, env, *args):
    r = run(sys.executable, "-c", PROBE, *args, env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout) if r.stdout.strip() else None


@pytest.fixture
def service():
    return f"truto:write-equivalence/{os.getpid()}/{os.urandom(4).hex()}"


@pytest.fixture
def clean(run, probe_env, service):
    yield
    for _ in range(4):
        op(run, probe_env, "delete", service, USERNAME)


def test_fast_write_is_the_item_keyring_writes(run, probe_env, service, clean):
    assert op(run, probe_env, "set", service, USERNAME, VALUE) is None
    by_keyring = op(run, probe_env, "dump", service, USERNAME)
    assert len(by_keyring) == 1
    op(run, probe_env, "delete", service, USERNAME)
    assert op(run, probe_env, "dump", service, USERNAME) == []
    assert op(run, probe_env, "fast-set", service, USERNAME, VALUE) == {"done": True}
    by_fast_path = op(run, probe_env, "dump", service, USERNAME)
    assert json.dumps(by_fast_path, sort_keys=True) == json.dumps(by_keyring, sort_keys=True), (
        by_fast_path,
        by_keyring,
    )
    assert op(run, probe_env, "get", service, USERNAME) == {"answer": VALUE}


@pytest.mark.parametrize("first, second", [("set", "fast-set"), ("fast-set", "set"), ("fast-set", "fast-set")])
def test_writes_replace_each_other(run, probe_env, service, clean, first, second):
    op(run, probe_env, first, service, USERNAME, "first value")
    op(run, probe_env, second, service, USERNAME, VALUE)
    items = op(run, probe_env, "dump", service, USERNAME)
    assert [bytes.fromhex(i["secret"]).decode() for i in items] == [VALUE], items
    assert op(run, probe_env, "get", service, USERNAME) == {"answer": VALUE}


@pytest.mark.parametrize("writer", ["set", "fast-set"])
def test_fast_delete_removes_what_either_wrote(run, probe_env, service, clean, writer):
    op(run, probe_env, writer, service, USERNAME, VALUE)
    op(run, probe_env, "set", service, "other:apiToken", "kept")
    assert op(run, probe_env, "fast-delete", service, USERNAME) == {"deleted": True}
    assert op(run, probe_env, "get", service, USERNAME) == {"answer": None}
    assert op(run, probe_env, "get", service, "other:apiToken") == {"answer": "kept"}
    # keyring's own delete now finds nothing, as after its own delete
    assert op(run, probe_env, "delete", service, USERNAME) == {"error": "PasswordDeleteError"}


def test_keyring_deletes_what_the_fast_path_wrote(run, probe_env, service, clean):
    op(run, probe_env, "fast-set", service, USERNAME, VALUE)
    assert op(run, probe_env, "delete", service, USERNAME) is None
    assert op(run, probe_env, "dump", service, USERNAME) == []


def test_fast_delete_of_nothing_is_keyrings_nothing_to_delete(run, probe_env, service, clean):
    assert op(run, probe_env, "fast-delete", service, USERNAME) == {"deleted": False}
    assert op(run, probe_env, "delete", service, USERNAME) == {"error": "PasswordDeleteError"}


def test_fast_delete_steps_aside_when_keyring_must_choose(run, probe_env, service, clean):
    """Two items keyring would pick the first of, in an order only the collection knows."""
    op(run, probe_env, "set", service, USERNAME, "default application id")
    op(run, dict(probe_env, KEYRING_PROPERTY_APPID="another application"), "set", service, USERNAME, "another")
    assert op(run, probe_env, "fast-delete", service, USERNAME) == {
        "declined": "several items match in the default collection"
    }
    assert len(op(run, probe_env, "dump", service, USERNAME)) == 2  # nothing deleted


@pytest.mark.parametrize("world", sorted(WORLDS))
def test_fast_write_and_delete_step_aside_under_every_setting(run, probe_env, tmp_path, service, clean, world):
    setting = WORLDS[world]
    world_env = dict(probe_env, **(setting(tmp_path) if callable(setting) else setting))
    op(run, probe_env, "set", service, USERNAME, "before")
    before = op(run, probe_env, "dump", service, USERNAME)
    assert "declined" in op(run, world_env, "fast-set", service, USERNAME, VALUE)
    assert "declined" in op(run, world_env, "fast-delete", service, USERNAME)
    assert op(run, probe_env, "dump", service, USERNAME) == before  # untouched


def test_locked_collection_is_left_to_keyring(private_keyring_session, run, probe_env, service, clean):
    """keyring unlocks a locked collection first (a prompt): the fast path neither writes nor
    deletes there, and says nothing-to-delete only for a collection it knows is unlocked."""
    from test_secret_service_compat import locked_collection

    from truto_credential_helper.secrets import secret_service

    op(run, probe_env, "set", service, "present:apiToken", "kept")
    with locked_collection():
        with pytest.raises(secret_service.Unanswerable):
            secret_service.set_password(service, USERNAME, VALUE, 10)
        with pytest.raises(secret_service.Unanswerable, match="locked"):
            secret_service.delete_password(service, USERNAME, 10)  # nothing there, but locked
        with pytest.raises(secret_service.Unanswerable, match="locked"):
            secret_service.delete_password(service, "present:apiToken", 10)
    assert op(run, probe_env, "get", service, USERNAME) == {"answer": None}
    assert op(run, probe_env, "get", service, "present:apiToken") == {"answer": "kept"}
    op(run, probe_env, "delete", service, "present:apiToken")
