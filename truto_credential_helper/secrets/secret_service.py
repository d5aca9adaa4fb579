"""A small client of the freedesktop Secret Service: the fast path of reads, writes and deletes.

`import keyring` alone takes several times as long as a whole `get` (jaraco.context pulls in urllib
and email; backend discovery imports every backend), and even jeepney's imports are a quarter of what
a `get` may take (see docs/performance.md). So this module speaks the few D-Bus calls a read needs itself, over a
unix socket, with only _socket and int.to_bytes/from_bytes (no struct: one shared library fewer to load).

It finds the item exactly as keyring's SecretService backend does: attributes {service, username},
in the default collection (the service's SearchItems, kept to the collection ReadAlias("default")
names), its secret decoded as UTF-8. Anything that is not that plain case raises Unanswerable and
the caller goes through `keyring`, which then prompts, fails or answers exactly as it always did:
no session bus, any keyring setting that changes where keyring reads (see applies()), no default
collection, a locked collection or item, several matching items, a D-Bus error, a missing item
(keyring may chain to another backend), undecodable bytes.

The session uses the "plain" algorithm: the spec's encryption only keeps secrets out of swap and bus
caches, "of questionable value" for a Python process that holds the secret in pageable memory
anyway (Secret Service API, "Transfer of Secrets"); the socket is the user's own private bus.

Every socket operation is bounded by one deadline; when it passes, TimedOut is raised.
"""

import os
import sys
import time

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
SECRET_IFACE = "org.freedesktop.Secret."
MAX_MESSAGE = 1 << 27  # D-Bus's own limit (128 MiB): anything larger is a broken peer
# The largest reply the fast path decodes: decoding runs outside the socket deadline, and a hostile
# peer's 128 MiB array of booleans would take over a minute; its real replies are a few KiB.
MAX_REPLY = 1 << 20
SESSION_COLLECTION = "/org/freedesktop/secrets/collection/session"  # in memory: never keyring's default
MAX_NESTING = 64  # D-Bus's own limit on containers within containers (32 arrays + 32 structs)


class Unanswerable(Exception):
    """This read is not the plain case: let `keyring` handle it. The message is for TRUTO_DEBUG."""


class TimedOut(Exception):
    """The bus or the Secret Service did not answer before the deadline."""


class Transient(Unanswerable):
    """The Secret Service answered that an object or method it always has is not there: gnome-keyring
    between two states (objects being re-exported). Asked again a moment later, it answers."""


# GDBus's answers for a call on an object path or interface not exported at that moment.
TRANSIENT_ERRORS = {
    "org.freedesktop.DBus.Error.UnknownMethod",
    "org.freedesktop.DBus.Error.UnknownObject",
    "org.freedesktop.DBus.Error.UnknownInterface",
}
RETRIES = 3  # attempts after the first, each after a short pause, all within the one deadline
RETRY_PAUSE = 0.02  # seconds, doubled each time


# What the decoder (frame, parse_reply, unmarshal) raises on bytes that are not D-Bus, besides
# Unanswerable; get_password turns them into Unanswerable. Anything else from it is a bug.
MALFORMED = (IndexError, KeyError, TypeError, ValueError, OverflowError)


def applies(memo_dir=None):
    """Whether keyring itself would read this item through its SecretService backend, the default
    collection and the default attribute names, told without importing it. Anything keyring reads
    that could change that makes the fast path step aside (keyring/core.py `_detect_backend`,
    keyring/backend.py `set_properties_from_env`, keyring/backends/SecretService.py):

    - PYTHON_KEYRING_BACKEND, set at all (even empty: keyring then fails, and must say so);
    - any KEYRING_PROPERTY_<NAME> variable: keyring sets property <name> on every backend from each
      variable whose name merely contains KEYRING_PROPERTY_ (scheme, preferred_collection, appid...);
    - keyringrc.cfg in keyring's config root (it names a backend, or adds a keyring-path to import);
    - a KDE desktop, where keyring ranks KWallet above the Secret Service;
    - a keyring backend installed as a plugin: keyring loads every one and takes the highest priority.
    keyring reads nothing else: its data root (XDG_DATA_HOME/python_keyring) is only for plugins.
    memo_dir: the config directory, where plugin_installed() remembers what it found."""
    if not sys.platform.startswith("linux") or "PYTHON_KEYRING_BACKEND" in os.environ:
        return False
    if any("KEYRING_PROPERTY_" in name for name in os.environ):
        return False
    if "KDE" in os.environ.get("XDG_CURRENT_DESKTOP", "").split(":"):
        return False
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    if os.path.lexists(os.path.join(root, "python_keyring", "keyringrc.cfg")):
        return False
    global _plugin_installed
    if _plugin_installed is None:  # once per process, as keyring loads its plugins once per process
        _plugin_installed = plugin_installed(memo_dir)
    return not _plugin_installed


_plugin_installed = None


PLUGIN_MEMO_NAME = ".keyring-plugins"
SETTLE_NS = 10 * 10**9  # a directory changed this recently may still be being installed into


def plugin_installed(memo_dir=None):
    """keyring_plugin_installed(), remembered in memo_dir against a stamp of sys.path (each entry and
    its mtime): the scan opens every entry_points.txt, work a `get` need not repeat while nothing was
    installed or removed (docs/performance.md). Installing or removing a distribution adds or removes
    a *.dist-info directory, which changes its sys.path directory's mtime (pip replaces metadata
    directories, never edits them in place), so a stamp that still matches means the same plugins.
    Nothing is remembered while a directory changed in the last SETTLE_NS: an install may still be
    writing the entry_points.txt of a new *.dist-info."""
    if memo_dir is None:
        return keyring_plugin_installed()
    from ..memos import recall, remember

    stamp, settled = _path_stamp(sys.path)  # before the scan: a change during it shows next time
    remembered = recall(memo_dir, PLUGIN_MEMO_NAME)
    if remembered is not None:
        before, _, answer = remembered.rpartition(b"\n=")
        if before == stamp and answer in (b"0", b"1"):
            return answer == b"1"
    found = keyring_plugin_installed()
    if settled:
        remember(memo_dir, PLUGIN_MEMO_NAME, stamp + b"\n=" + (b"1" if found else b"0"))
    return found


def _path_stamp(path):
    """(each entry of `path` with its mtime, as bytes; whether all of them changed before SETTLE_NS)."""
    recent = time.time_ns() - SETTLE_NS
    lines, settled = [], True
    for entry in path:
        try:
            mtime = os.stat(entry or ".").st_mtime_ns
        except OSError:
            lines.append(os.fsencode(entry) + b"\0-")
            continue
        settled = settled and mtime < recent
        lines.append(os.fsencode(entry) + b"\0" + str(mtime).encode())
    return b"\n".join(lines), settled


# The backends keyring registers itself (its own entry_points.txt); any other entry in the group is
# a plugin. A future keyring adding one only makes the fast path step aside until it is listed here.
KEYRING_OWN_BACKENDS = {
    "keyring.backends." + name for name in ("kwallet", "SecretService", "Windows", "chainer", "libsecret", "macOS")
}


def keyring_plugin_installed(path=None):
    """Whether a distribution on sys.path declares a `keyring.backends` entry point of its own, found
    as importlib.metadata finds it (keyring's _load_plugins), by reading the entry_points.txt of each
    *.dist-info and *.egg-info there, without importing importlib.metadata, whose import alone takes
    many times as long as this scan (docs/performance.md)."""
    for entry in sys.path if path is None else path:
        directory = entry or "."
        try:
            names = os.listdir(directory)
        except OSError:
            if os.path.isfile(directory):
                return True  # a zip or egg on sys.path may hold a plugin: not worth opening here
            continue
        egg = os.path.basename(directory).lower().endswith(".egg")  # an egg on sys.path: its EGG-INFO
        for name in names:
            folded = name.lower()  # importlib.metadata matches these names in any case
            if folded.endswith((".dist-info", ".egg-info")) or (egg and folded == "egg-info"):
                try:
                    with open(os.path.join(directory, name, "entry_points.txt"), "rb") as f:
                        text = f.read()
                except OSError:
                    continue
                if b"keyring.backends" in text and _declares_foreign_backend(text):
                    return True
    return False


def _declares_foreign_backend(text):
    """Read as importlib_metadata's parser (keyring's before Python 3.12, importlib.metadata's since
    3.10) reads it, and where another reader differs, the wider reading: `[[group]]` is the group,
    a `;` line is an entry (only `#` starts a comment there), spaces inside the brackets are dropped."""
    section = None
    for line in text.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]").strip()
        elif section == "keyring.backends" and "=" in line and not line.startswith("#"):
            target = line.partition("=")[2].strip().partition(":")[0].strip()
            if target not in KEYRING_OWN_BACKENDS:
                return True
    return False


def get_password(service, username, timeout, memo_dir=None):
    """The secret keyring.get_password(service, username) would return. Raises Unanswerable when
    only keyring can say, TimedOut when the bus does not answer within `timeout` seconds."""
    return _direct(_read, timeout, memo_dir, service, username)


def set_password(service, username, password, timeout, memo_dir=None):
    """keyring.set_password(service, username, password), when keyring would write through its
    SecretService backend: the same item (label, attributes, content type) in the default collection,
    replacing the one with the same attributes. Unanswerable (nothing written) when only keyring can
    do it: no default collection, a locked one (gnome-keyring answers IsLocked), a prompt, any error."""
    return _direct(_write, timeout, memo_dir, service, username, password)


def delete_password(service, username, timeout, memo_dir=None):
    """keyring.delete_password(service, username) when exactly one unlocked item of the default
    collection matches (True), or none and the collection is unlocked (False: keyring raises
    PasswordDeleteError then). Unanswerable (nothing deleted) otherwise: keyring then deletes,
    prompts or fails as it always did. keyring deletes through its SecretService backend whenever
    applies(): a ChainerBackend deletes through its first backend, the Secret Service outside KDE."""
    return _direct(_delete, timeout, memo_dir, service, username)


def _direct(exchange, timeout, memo_dir, *args):
    if not applies(memo_dir):
        raise Unanswerable("keyring is configured for another backend, or this is not Linux")
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        raise Unanswerable("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)")
    try:
        path = bus_socket_path(address)
    except ValueError:  # a bad %-escape
        raise Unanswerable("the D-Bus session address is malformed") from None
    deadline = time.monotonic() + timeout
    pause, retries = RETRY_PAUSE, RETRIES
    while True:
        try:
            return exchange(path, deadline, *args)
        except Transient:
            # A call refused this way did nothing, and asking again is safe: reads change nothing,
            # a write replaces the same item, a delete finds the item still there or gone.
            if not retries or time.monotonic() + pause >= deadline:
                raise
            time.sleep(pause)
            pause, retries = pause * 2, retries - 1
        except MALFORMED as e:
            # A peer that speaks something else than the Secret Service (never its bytes: no secret in it)
            raise Unanswerable(f"unexpected D-Bus data ({type(e).__name__})") from None


# keyring's SecretService backend (set_password): its appid as the item's `application` attribute,
# its label, and secretstorage's default content type.
APPLICATION = "Python keyring library"
CONTENT_TYPE = "text/plain"


def item_label(service, username):
    return f"Password for '{username}' on '{service}'"


def _service_calls(conn, *calls):
    """Queue Hello and the given calls on the service object; their serials, Hello's first."""
    serials = [conn.call("/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "", (), dest="org.freedesktop.DBus")]
    for member, signature, args in calls:
        serials.append(conn.call(SERVICE_PATH, SECRET_IFACE + "Service", member, signature, args))
    return serials


def _write(path, deadline, service, username, password):
    conn = Connection(path, deadline)
    try:
        # As the read: the service object, then the collection the alias names, never a property of
        # a collection (see _read). CreateItem on a collection gnome-keyring is reloading fails with
        # an error, and keyring then writes as it always did.
        hello, alias, session = _service_calls(
            conn, ("ReadAlias", "s", ("default",)), ("OpenSession", "sv", ("plain", ("s", "")))
        )
        conn.reply(hello)
        collection = conn.reply(alias)[0]
        if collection in ("", "/"):
            raise Unanswerable("there is no default collection")  # keyring would create one
        session_path = conn.reply(session)[1]
        # The attributes in keyring's order (its _query, then application=appid).
        attributes = {"username": username, "service": service, "application": APPLICATION}
        properties = {
            SECRET_IFACE + "Item.Label": ("s", item_label(service, username)),
            SECRET_IFACE + "Item.Attributes": ("a{ss}", attributes),
        }
        secret = (session_path, b"", password.encode("utf-8"), CONTENT_TYPE)
        created = conn.call(
            collection, SECRET_IFACE + "Collection", "CreateItem", "a{sv}(oayays)b", (properties, secret, True)
        )
        item, prompt = conn.reply(created)
    finally:
        conn.close()
    if prompt != "/" or item in ("", "/"):
        raise Unanswerable("the Secret Service asks for a prompt to create the item")  # nothing created yet


def _delete(path, deadline, service, username):
    conn = Connection(path, deadline)
    try:
        hello, alias, search = _service_calls(
            conn,
            ("ReadAlias", "s", ("default",)),
            ("SearchItems", "a{ss}", ({"username": username, "service": service},)),
        )
        conn.reply(hello)
        collection = conn.reply(alias)[0]
        unlocked, locked = conn.reply(search)
        if collection in ("", "/"):
            raise Unanswerable("there is no default collection")
        inside = collection.rstrip("/") + "/"
        if not any(path.startswith(inside) for path in list(unlocked) + list(locked)):
            # keyring unlocks the collection (a prompt when locked), then finds nothing to delete.
            # Unlock on the service object says whether that needs a prompt, without the collection
            # property that can abort a reloading gnome-keyring; a prompt it returns is never run.
            done, prompt = conn.reply(
                conn.call(SERVICE_PATH, SECRET_IFACE + "Service", "Unlock", "ao", ([collection],))
            )
            if prompt != "/" or collection not in done:
                raise Unanswerable("the default collection is locked")
            return False
        # keyring deletes the first item its search of the default collection lists, unlocking it
        # first: act only when that is the one unlocked item found here.
        item = _only_unlocked_item(collection, unlocked, locked)
        prompt = conn.reply(conn.call(item, SECRET_IFACE + "Item", "Delete", "", ()))[0]
    finally:
        conn.close()
    if prompt != "/":
        raise Unanswerable("the Secret Service asks for a prompt to delete the item")
    return True


def _only_unlocked_item(collection, unlocked, locked):
    inside = collection.rstrip("/") + "/"
    items = [path for path in unlocked if path.startswith(inside)]
    if any(path.startswith(inside) for path in locked):
        raise Unanswerable("the item is locked")
    if len(items) != 1:
        raise Unanswerable(
            "no such item in the default collection" if not items else "several items match in the default collection"
        )
    return items[0]


def _collection_while_reloading(found):
    """The collection to read when ReadAlias("default") names none. gnome-keyring drops the alias for
    a moment while it reloads a collection after a write: the items found then all live in the
    collection it is reloading, which is keyring's. Asking again in that moment (or letting keyring
    ask for the collection's properties) is what can abort the daemon, so the answer comes from what
    was found. With no default collection at all, keyring would create one and find nothing: items
    only in the in-memory session collection, or in several, are not its answer."""
    collections = {path.rsplit("/", 1)[0] for path in found}
    if len(collections) != 1 or SESSION_COLLECTION in collections:
        raise Unanswerable("there is no default collection")
    return collections.pop()


def _read(path, deadline, service, username):
    conn = Connection(path, deadline)
    try:
        # Pipelined: one round trip for these four calls, a second one for the secret. Only calls on
        # the service object: gnome-keyring briefly unexports the collection objects now and then, and
        # a Properties.Get on them at that moment aborts the daemon (a GLib assertion in
        # invoke_get_property_in_idle_cb), leaving the user with a locked, restarted keyring.
        hello, alias, search, session = _service_calls(
            conn,
            ("ReadAlias", "s", ("default",)),
            ("SearchItems", "a{ss}", ({"username": username, "service": service},)),
            ("OpenSession", "sv", ("plain", ("s", ""))),
        )
        conn.reply(hello)
        collection = conn.reply(alias)[0]
        unlocked, locked = conn.reply(search)
        if collection in ("", "/"):
            collection = _collection_while_reloading(list(unlocked) + list(locked))
        # keyring searches the default collection only, unlocking what is locked, and takes the first
        # item the collection lists: answer only when that is the one unlocked item found here.
        item = _only_unlocked_item(collection, unlocked, locked)
        session_path = conn.reply(session)[1]
        secret = conn.call(item, SECRET_IFACE + "Item", "GetSecret", "o", (session_path,))
        value = conn.reply(secret)[0][2]
    finally:
        conn.close()
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise Unanswerable("the secret is not UTF-8") from None


def bus_socket_path(address):
    """The socket of the first unix:path= or unix:abstract= entry of a D-Bus address, as jeepney
    (keyring's transport) picks it."""
    for entry in address.split(";"):
        transport, _, params = entry.partition(":")
        if transport != "unix":
            continue
        kv = dict(p.partition("=")[::2] for p in params.split(",") if p)
        if "abstract" in kv:
            return "\0" + unescape(kv["abstract"])
        if "path" in kv:
            return unescape(kv["path"])
    raise Unanswerable("the D-Bus session address has no unix socket")


def unescape(value):
    if "%" not in value:
        return value
    parts = value.split("%")
    out = [parts[0].encode()]
    for part in parts[1:]:
        out.append(bytes.fromhex(part[:2]) + part[2:].encode())
    return b"".join(out).decode()


# ---------------------------------------------------------------------------------------------
# The connection: EXTERNAL authentication, method calls, replies matched by serial.


# The D-Bus type of the reply to each call made here (the Secret Service API's out-arguments). A reply
# of another type is a broken answer: keyring then decides, never a value read as what it is not.
REPLY_TYPES = {
    "Hello": "s",
    "ReadAlias": "o",
    "SearchItems": "aoao",
    "OpenSession": "vo",
    "GetSecret": "(oayays)",
    "CreateItem": "oo",
    "Unlock": "aoo",
    "Delete": "o",
}


class Connection:
    def __init__(self, path, deadline):
        try:
            # The C module socket.py wraps: the same socket object, without socket.py's imports
            # (selectors, math, array...), which a `get` would load only to open one socket.
            from _socket import AF_UNIX, SOCK_STREAM, socket
        except ImportError:
            from socket import AF_UNIX, SOCK_STREAM, socket

        self.deadline = deadline
        self.serial = 0
        self.buffer = b""
        self.replies = {}
        self.expected = {}  # serial -> the D-Bus type its reply must have
        self.sock = socket(AF_UNIX, SOCK_STREAM)
        try:
            self._bounded(self.sock.connect, path)
        except TimedOut:
            self.sock.close()
            raise
        except OSError as e:
            self.sock.close()
            raise Unanswerable(f"cannot connect to the D-Bus session bus ({e.strerror})") from None
        # SASL EXTERNAL (the kernel vouches for our uid), pipelined with BEGIN as sd-bus does;
        # the bus's "OK <guid>" line is read back before the first reply.
        uid = str(os.getuid()).encode().hex().encode()
        self.pending_auth = True
        self.out = b"\0AUTH EXTERNAL " + uid + b"\r\nBEGIN\r\n"

    def _bounded(self, op, *args):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimedOut()
        self.sock.settimeout(remaining)
        try:
            return op(*args)
        except TimeoutError:  # socket.timeout is TimeoutError since 3.10; 3.9's is an OSError
            raise TimedOut() from None
        except OSError as e:
            if type(e).__name__ == "timeout":
                raise TimedOut() from None
            raise Unanswerable(f"D-Bus connection failed ({e.strerror or type(e).__name__})") from None

    def call(self, path, interface, member, signature, args, dest=BUS_NAME):
        """Queue a method call; returns its serial. Sent with the next read."""
        self.serial += 1
        self.out += method_call(self.serial, path, interface, member, dest, signature, args)
        self.expected[self.serial] = REPLY_TYPES[member]
        return self.serial

    def reply(self, serial):
        """The body of the reply to `serial`; Unanswerable on a D-Bus error or a reply of another type
        than the call's (REPLY_TYPES)."""
        if self.out:
            self._bounded(self.sock.sendall, self.out)
            self.out = b""
        while serial not in self.replies:
            self._read_message()
        kind, signature, body = self.replies.pop(serial)
        if kind == "error":
            raise (Transient if body in TRANSIENT_ERRORS else Unanswerable)(f"the Secret Service answered {body}")
        if signature != self.expected[serial]:
            raise Unanswerable(f"the Secret Service answered a '{self.expected[serial]}' call with '{signature}'")
        return body

    def _fill(self, size):
        while len(self.buffer) < size:
            chunk = self._bounded(self.sock.recv, 65536)
            if not chunk:
                raise Unanswerable("the D-Bus connection was closed")
            self.buffer += chunk

    def _read_message(self):
        if self.pending_auth:
            while b"\r\n" not in self.buffer:
                if len(self.buffer) > 4096:
                    raise Unanswerable("the D-Bus authentication reply is too long")
                self._fill(len(self.buffer) + 1)
            line, _, self.buffer = self.buffer.partition(b"\r\n")
            if not line.startswith(b"OK "):
                raise Unanswerable("the D-Bus session bus refused authentication")
            self.pending_auth = False
        self._fill(16)
        size, order, kind, header_len = frame(self.buffer)
        if kind in (2, 3) and size > MAX_REPLY:
            raise Unanswerable("D-Bus reply too large for the fast path")
        self._fill(size)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        if kind not in (2, 3):
            return  # a signal (NameAcquired...) or a call to us: not a reply, skipped unparsed
        fields, body = parse_reply(data, order, header_len)
        if 5 in fields:
            signature = fields.get(8, "")
            self.replies[fields[5]] = (
                ("error", "", fields.get(4, "an error")) if kind == 3 else ("return", signature, body)
            )

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------------------------------------
# D-Bus wire format (the subset a read needs): marshalling of basic types, arrays, structs,
# dict entries and variants, little-endian out, either endianness in.

# path, interface, member, error name, reply serial, destination, sender, signature
HEADER_FIELDS = {1: "o", 2: "s", 3: "s", 4: "s", 5: "u", 6: "s", 7: "s", 8: "g"}
ALIGN = {
    "y": 1,
    "g": 1,
    "v": 1,
    "n": 2,
    "q": 2,
    "b": 4,
    "i": 4,
    "u": 4,
    "s": 4,
    "o": 4,
    "a": 4,
    "h": 4,
    "x": 8,
    "t": 8,
    "d": 8,
    "(": 8,
    "{": 8,
}
# Fixed-size types: (bytes, signed); "d", a double, is the one that is not an integer (signed None).
FIXED: dict = {"y": (1, False), "n": (2, True), "q": (2, False), "b": (4, False), "i": (4, True), "u": (4, False)}
FIXED.update({"h": (4, False), "x": (8, True), "t": (8, False), "d": (8, None)})
BYTE_ORDER = {"<": "little", ">": "big"}


def _uint(data, pos, order, size=4, signed=False):
    """The integer of `size` bytes at data[pos:], as struct.unpack_from would read it."""
    if pos < 0 or pos + size > len(data):
        raise IndexError("D-Bus message too short")
    return int.from_bytes(data[pos : pos + size], BYTE_ORDER[order], signed=signed)


def _pack_fixed(c, value):
    size, signed = FIXED[c]
    if signed is None:
        import struct  # a double: never in the Secret Service calls made here

        return struct.pack("<d", value)
    return int(value).to_bytes(size, "little", signed=signed)


def _unpack_fixed(c, data, pos, order):
    size, signed = FIXED[c]
    value = _uint(data, pos, order, size, bool(signed))  # bounds checked for every type, doubles too
    if signed is None:  # a double: the same 8 bytes read as one
        import struct

        return struct.unpack("<d", value.to_bytes(8, "little"))[0]
    return value


def split_signature(signature):
    """'sa{ss}(oay)' -> ['s', 'a{ss}', '(oay)']: the complete types of a signature."""
    types, i = [], 0
    while i < len(signature):
        j = _type_end(signature, i)
        types.append(signature[i:j])
        i = j
    return types


def _type_end(sig, i):
    while sig[i] == "a":
        i += 1
    if sig[i] in "({":
        close = ")" if sig[i] == "(" else "}"
        i += 1
        while sig[i] != close:
            i = _type_end(sig, i)
    return i + 1


def _pad(buf, n):
    buf += b"\0" * (-len(buf) % n)


def marshal(buf, signature, value):
    """Append `value` of complete type `signature` to bytearray buf (aligned from buf's start)."""
    c = signature[0]
    if c in FIXED:
        _pad(buf, ALIGN[c])
        buf += _pack_fixed(c, value)
    elif c in "so":
        data = value.encode("utf-8")
        _pad(buf, 4)
        buf += len(data).to_bytes(4, "little") + data + b"\0"
    elif c == "g":
        data = value.encode("ascii")
        buf += bytes((len(data),)) + data + b"\0"
    elif c == "v":
        inner, inner_value = value
        marshal(buf, "g", inner)
        marshal(buf, inner, inner_value)
    elif c == "a":
        element = signature[1:]
        _pad(buf, 4)
        at = len(buf)
        buf += b"\0\0\0\0"
        _pad(buf, ALIGN[element[0]])
        start = len(buf)
        for item in value.items() if element[0] == "{" else value:
            marshal(buf, element, item)
        buf[at : at + 4] = (len(buf) - start).to_bytes(4, "little")
    elif c in "({":
        _pad(buf, 8)
        for member, item in zip(split_signature(signature[1:-1]), value):
            marshal(buf, member, item)
    else:
        raise ValueError(f"cannot marshal D-Bus type {signature!r}")


def unmarshal(data, pos, signature, order="<", depth=0):
    """(value, next position) of complete type `signature` at data[pos:] (aligned from data's start);
    `depth`: the containers this value is inside of."""
    c = signature[0]
    if c in FIXED:
        pos += -pos % ALIGN[c]
        return _unpack_fixed(c, data, pos, order), pos + FIXED[c][0]
    if c in "so":
        pos += -pos % 4
        n = _uint(data, pos, order)
        pos += 4
        return _text(data, pos, n), pos + n + 1
    if c == "g":
        n = data[pos]
        return _text(data, pos + 1, n), pos + n + 2
    if depth >= MAX_NESTING:  # a container: a hostile peer could nest them until the stack runs out
        raise Unanswerable(f"D-Bus value nested more than {MAX_NESTING} levels deep")
    if c == "v":
        inner, pos = unmarshal(data, pos, "g", order)
        if len(split_signature(inner)) != 1:
            raise Unanswerable("malformed D-Bus variant")
        value, pos = unmarshal(data, pos, inner, order, depth + 1)
        return (inner, value), pos
    if c == "a":
        element = signature[1:]
        pos += -pos % 4
        n = _uint(data, pos, order)
        pos += 4
        pos += -pos % ALIGN[element[0]]
        end = pos + n
        if end > len(data):
            raise Unanswerable("malformed D-Bus array")
        if element == "y":
            return bytes(data[pos:end]), end
        items = []
        while pos < end:
            item, after = unmarshal(data, pos, element, order, depth + 1)
            if after <= pos:  # an empty struct "()" or "{}": no valid type takes no bytes
                raise Unanswerable("malformed D-Bus array")
            items.append(item)
            pos = after
        return (dict(items) if element[0] == "{" else items), pos
    if c in "({":
        pos += -pos % 8
        values = []
        for member in split_signature(signature[1:-1]):
            value, pos = unmarshal(data, pos, member, order, depth + 1)
            values.append(value)
        return tuple(values), pos
    raise Unanswerable(f"unexpected D-Bus type {signature!r}")


def _text(data, pos, n):
    if pos + n >= len(data) or data[pos + n] != 0:
        raise Unanswerable("malformed D-Bus string")
    return bytes(data[pos : pos + n]).decode("utf-8", "replace")


def method_call(serial, path, interface, member, dest, signature, args):
    body = bytearray()
    for arg_type, arg in zip(split_signature(signature), args):
        marshal(body, arg_type, arg)
    fields = [(1, path), (2, interface), (3, member), (6, dest)] + ([(8, signature)] if signature else [])
    head = bytearray(b"l\x01\x00\x01") + len(body).to_bytes(4, "little") + serial.to_bytes(4, "little")
    marshal(head, "a(yv)", [(code, (HEADER_FIELDS[code], value)) for code, value in fields])
    _pad(head, 8)
    return bytes(head + body)


def frame(buffer):
    """(size, byte order, type, header length) of the message starting buffer (16 bytes or more)."""
    order = {108: "<", 66: ">"}.get(buffer[0])  # 'l' / 'B'
    if order is None or buffer[3] != 1:
        raise Unanswerable("not a D-Bus message")
    body_len, fields_len = _uint(buffer, 4, order), _uint(buffer, 12, order)
    header_len = 16 + fields_len + (-fields_len % 8)
    if header_len + body_len > MAX_MESSAGE:
        raise Unanswerable("D-Bus message too large")
    return header_len + body_len, order, buffer[1], header_len


def parse_reply(data, order, header_len):
    """({header field code: value}, body tuple) of one whole method return or error message."""
    raw_fields, _ = unmarshal(data, 12, "a(yv)", order)
    if any(HEADER_FIELDS.get(code, sig) != sig for code, (sig, _value) in raw_fields):
        raise Unanswerable("a D-Bus header field of the wrong type")
    fields = {code: value for code, (_sig, value) in raw_fields}
    body, pos = [], header_len
    for member in split_signature(fields.get(8, "")):
        value, pos = unmarshal(data, pos, member, order)
        body.append(value)
    return fields, tuple(body)
