"""The output formats: pure functions, plain unit tests. YAML is checked with a real YAML parser
(PyYAML, a test extra only: the package itself writes YAML without it)."""

import csv
import io
import json

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from truto_credential_helper.cli import output

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**12), 10**12), st.text(max_size=40))
records = st.dictionaries(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12), scalars, max_size=6
)


def system_yaml_load(text):
    return yaml.safe_load(text)


def test_yaml_round_trips_through_a_real_parser():
    tricky = [
        "",
        " lead",
        "trail ",
        "yes",
        "No",
        "null",
        "~",
        "123",
        "1e3",
        "0x1F",
        "2026-01-10T09:00:00Z",
        "a: b",
        "#comment",
        "- item",
        "[x]",
        "{y}",
        "'q'",
        '"dq"',
        "multi\nline",
        "tab\there",
        "ünï 🔑",
        "...",
        "---",
        "a #b",
        "@at",
        "`tick",
        "%pct",
        "*star",
        "&amp",
        "!bang",
        "|pipe",
        ">gt",
        "?q",
        ",c",
        "x:",
        "\u2028",
        "\x85",
        "plain-value",
        "with space",
        "http://h:1/p",
        "cli-macbook",
    ]
    data = [{"k": t, "n": i, "b": i % 2 == 0, "none": None} for i, t in enumerate(tricky)]
    assert system_yaml_load(output.yaml_document(data)) == data
    assert system_yaml_load(output.yaml_document({})) == {}
    assert system_yaml_load(output.yaml_document([])) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(records, max_size=4))
def test_yaml_round_trips_arbitrary_flat_records(rows):
    assert system_yaml_load(output.yaml_document(rows)) == rows


def test_plain_strings_stay_unquoted_for_people():
    assert (
        output.yaml_document({"name": "cli-macbook", "url": "https://api.truto.one"})
        == "name: cli-macbook\nurl: https://api.truto.one\n"
    )


def test_csv_quotes_and_round_trips():
    rows = [{"a": 'x,"y"', "b": None, "c": True}, {"a": "line\nbreak", "b": 3, "c": False}]
    buf = io.StringIO()
    output.emit_rows(rows, "csv", [("a", "a"), ("b", "b"), ("c", "c")], buf)
    assert list(csv.DictReader(io.StringIO(buf.getvalue()))) == [
        {"a": 'x,"y"', "b": "", "c": "true"},
        {"a": "line\nbreak", "b": "3", "c": "false"},
    ]


def test_ndjson_is_one_object_per_line():
    buf = io.StringIO()
    output.emit_rows([{"a": "x\ny"}, {"a": 2}], "ndjson", [], buf)
    assert [json.loads(line) for line in buf.getvalue().splitlines()] == [{"a": "x\ny"}, {"a": 2}]


def test_table_aligns_and_escapes_terminal_control_characters():
    text = output.table(
        [{"id": "t1", "name": "evil\x1b[2Jname"}, {"id": "t22", "name": None}], [("id", "id"), ("name", "name")]
    )
    assert "\x1b" not in text and "\\x1b[2Jname" in text
    lines = text.splitlines()
    assert lines[0].startswith("ID   NAME") and lines[2].startswith("t22  -")
