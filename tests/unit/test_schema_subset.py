"""schema_subset.verdict against jsonschema, over generated config.json documents (pure, in-process):
where the subset says valid or invalid, jsonschema agrees; and it gives a verdict (so writes skip
jsonschema's import) on every document of the shapes truto writes. Also against every other
schema in schemas/, and a schema with a keyword the subset does not know (no verdict)."""

import json
from pathlib import Path

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from truto_credential_helper.schema_subset import verdict

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
SCHEMA = json.loads((SCHEMAS / "config.schema.json").read_text())
VALIDATOR = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)

NAMES = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._@+-]{0,8}\Z") | st.sampled_from(
    ["", "-x", "a b", "é", "a\n", "x" * 129]
)
URLS = st.sampled_from(
    [
        "https://api.truto.one",
        "http://127.0.0.1:8080/base",
        "https://a.example/p/q",
        "ftp://x",
        "https://user@host",
        "https://h?q",
        "https://h/#f",
        "https://h\n",
        " https://h",
        "",
    ]
)
TEXT = st.text(max_size=6) | st.sampled_from(["x" * 257, "x" * 1025])
ODD = (
    st.none()
    | st.booleans()
    | st.integers(-2, 3)
    | st.floats(allow_nan=False)
    | st.just(1.0)
    | st.lists(st.integers(), max_size=2)
)
VAULT = st.fixed_dictionaries(
    {},
    optional={
        "addresses": st.lists(URLS, max_size=3) | ODD,
        "mount": st.sampled_from(["secret", "/secret", "a b", "kv"]) | ODD,
        "path": st.sampled_from(["teams/x", "teams/x/", "p"]) | ODD,
        "extra": TEXT,
    },
)
PROFILE = st.fixed_dictionaries(
    {},
    optional={
        "apiUrl": URLS | ODD,
        "secretStore": st.sampled_from(["keyring", "file", "vault", "pass", "other"]) | ODD,
        "secrets": st.lists(
            st.sampled_from(["apiToken", "anthropicApiKey", "firecrawlApiKey", "oauthRefreshToken", "x"]), max_size=3
        )
        | ODD,
        "storedBy": st.sampled_from(["truto", "git", "docker", "me"]) | ODD,
        "credentialType": st.sampled_from(["token", "password", "authtype", "x"]) | ODD,
        "authtype": st.sampled_from(["Basic", "bad type", ""]) | ODD,
        "username": TEXT | ODD,
        "dockerServerUrl": TEXT | ODD,
        "defaultIntegratedAccount": TEXT | ODD,
        "passwordExpiryUtc": st.integers(-5, 2**40) | ODD,
        "vault": VAULT | ODD,
        "unknownSetting": TEXT,
    },
)
DOCS = (
    st.fixed_dictionaries(
        {},
        optional={
            "version": st.just(1) | ODD,
            "activeProfile": NAMES | ODD,
            "profiles": st.dictionaries(NAMES, PROFILE | ODD, max_size=3) | ODD,
            "other": TEXT,
        },
    )
    | ODD
)


# Per run of the in-process tier, which runs on every Python 3.9-3.13 in CI: thousands a CI run.
EXAMPLES = 500


def is_valid(doc, validator=VALIDATOR):
    return not any(True for _ in validator.iter_errors(doc))


@settings(max_examples=EXAMPLES, deadline=None)
@given(DOCS)
def test_verdict_agrees_with_jsonschema(doc):
    v = verdict(SCHEMA, doc)
    if v is not None:
        assert v == is_valid(doc), (v, doc)


# The shapes truto itself writes: what must not need jsonschema.
WRITTEN_PROFILE = st.fixed_dictionaries(
    {
        "apiUrl": st.sampled_from(["https://api.truto.one", "http://127.0.0.1:8080"]),
        "secretStore": st.sampled_from(["keyring", "file", "pass"]),
        "secrets": st.lists(st.sampled_from(["apiToken", "anthropicApiKey"]), unique=True, max_size=2),
    },
    optional={
        "storedBy": st.sampled_from(["truto", "git", "docker"]),
        "username": st.text(max_size=5),
        "credentialType": st.sampled_from(["token", "password", "authtype"]),
        "authtype": st.just("Basic"),
        "passwordExpiryUtc": st.integers(0, 2**40),
        "dockerServerUrl": st.just("https://index.docker.io/v1/"),
    },
)
WRITTEN = st.fixed_dictionaries(
    {
        "version": st.just(1),
        "profiles": st.dictionaries(
            st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._@+-]{0,8}\Z"), WRITTEN_PROFILE, max_size=4
        ),
    },
    optional={"activeProfile": st.just("default")},
)


@settings(max_examples=300, deadline=None)
@given(WRITTEN)
def test_documents_truto_writes_get_a_verdict_without_jsonschema(doc):
    assert is_valid(doc)
    assert verdict(SCHEMA, doc) is True


def test_other_schemas_agree_where_they_give_a_verdict():
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        validator = jsonschema.validators.validator_for(schema)(schema)
        for doc in ({}, {"profiles": {}}, [], "x", {"version": 1, "profiles": {"a": {}}}):
            v = verdict(schema, doc)
            assert v is None or v == is_valid(doc, validator), (path.name, doc)


def test_unknown_keyword_gives_no_verdict():
    schema = dict(SCHEMA, maxProperties=1)
    assert verdict(schema, {"profiles": {}, "version": 1}) is None
    assert verdict({"type": "integer"}, 1.0) is None and is_valid(
        1.0, jsonschema.Draft202012Validator({"type": "integer"})
    )


FIELDS = [
    "apiUrl",
    "secretStore",
    "secrets",
    "storedBy",
    "credentialType",
    "authtype",
    "username",
    "dockerServerUrl",
    "defaultIntegratedAccount",
    "passwordExpiryUtc",
    "vault",
    "unknownSetting",
]
VALUES = (
    URLS
    | TEXT
    | ODD
    | VAULT
    | st.sampled_from(["vault", "keyring", "x" * 256, "x" * 2049, ["apiToken", "apiToken"]])
    | st.fixed_dictionaries(
        {
            "addresses": st.lists(URLS, min_size=1, max_size=2),
            "mount": st.just("secret"),
            "path": st.sampled_from(["teams/a", "x" * 1025]),
        }
    )
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(WRITTEN, st.sampled_from(FIELDS), VALUES, st.booleans(), st.booleans())
def test_verdict_agrees_one_change_away_from_a_written_document(doc, field, value, remove, vault_store):
    for profile in doc["profiles"].values():
        if vault_store:
            profile["secretStore"] = "vault"
        if remove:
            profile.pop(field, None)
        else:
            profile[field] = value
    v = verdict(SCHEMA, doc)
    if v is not None:
        assert v == is_valid(doc), (v, doc)


EDGES = [
    ("secrets", ["apiToken", "apiToken"]),
    ("secrets", []),
    ("passwordExpiryUtc", True),
    ("passwordExpiryUtc", -1),
    ("passwordExpiryUtc", 1.0),
    ("passwordExpiryUtc", 0),
    ("authtype", "Basic\n"),
    ("apiUrl", "https://h/\n"),
    ("vault", {"addresses": [], "mount": "secret", "path": "a"}),
    ("vault", {"addresses": ["https://v", "https://v"], "mount": "secret", "path": "a"}),
    ("vault", {"addresses": ["https://v"], "mount": "secret"}),
    ("secretStore", "vault"),
    ("storedBy", None),
]


def test_verdict_agrees_on_edge_values():
    for field, value in EDGES:
        for version in (1, True, 1.0, 2):
            doc = {
                "version": version,
                "profiles": {
                    "a": {"apiUrl": "https://api.truto.one", "secretStore": "keyring", "secrets": [], field: value}
                },
            }
            v = verdict(SCHEMA, doc)
            assert v is not None or 1.0 in (version, value), (field, value, version)
            assert v is None or v == is_valid(doc), (field, value, version)
