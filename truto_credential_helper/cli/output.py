"""Output formats for the `truto` command: table (default), json, ndjson, csv, yaml.

Commands hand over flat records (dicts of str/int/float/bool/None) and the format decides the
bytes. Structured formats carry only data on stdout; messages go to stderr (see context.info).
"""

import json
import re
import sys

FORMATS = ("table", "json", "ndjson", "csv", "yaml")


def emit_rows(rows, fmt, columns, stream=None):
    """A list of records. columns: [(key, header)] in display order, for table and csv."""
    stream = stream or sys.stdout
    if fmt == "json":
        stream.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "ndjson":
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        write_csv(rows, [key for key, _ in columns], stream)
    elif fmt == "yaml":
        stream.write(yaml_document(rows))
    else:
        from .terminal import paint

        header, _, body = table(rows, columns).partition("\n")
        stream.write(paint(header, "bold", stream) + "\n" + body)  # bold only on a colour TTY


def emit_record(record, fmt, labels, stream=None):
    """One record. labels: [(key, label)] for the table form ('Label: value' lines)."""
    stream = stream or sys.stdout
    if fmt == "json":
        stream.write(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "ndjson":
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        write_csv([record], list(record), stream)
    elif fmt == "yaml":
        stream.write(yaml_document(record))
    else:
        width = max((len(label) for _, label in labels), default=0) + 1
        for key, label in labels:
            if key in record:
                stream.write(f"{label + ':':<{width}} {cell(record[key])}\n")


def emit_value(value, fmt, key="value", stream=None):
    """A single scalar: bare in a table, {key: value} in the structured formats."""
    if fmt == "table":
        (stream or sys.stdout).write(cell(value) + "\n")
    else:
        emit_record({key: value}, fmt, [(key, key)], stream)


# ---------------------------------------------------------------------------------------------
# table and csv

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def cell(value):
    """A value as shown to a person: control characters (a terminal escape sequence from an API
    answer, say) escaped rather than sent to the terminal."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def table(rows, columns):
    headers = [header.upper() for _, header in columns]
    body = [[cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    lines = []
    for cells in [headers] + body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(lines) + "\n"


def csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(rows, keys, stream):
    import csv

    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow([csv_value(row.get(k)) for k in keys])


# ---------------------------------------------------------------------------------------------
# A tiny YAML emitter for our flat data (records and lists of records), not worth a dependency.

# A plain (unquoted) scalar must not be read back as anything but this string.
_PLAIN = re.compile(r"^[A-Za-z_/.][A-Za-z0-9_./@+-]*(?:[ :][A-Za-z0-9_./@+-]+)*$")
_RESERVED = re.compile(
    r"^(?:~|null|true|false|yes|no|on|off|y|n|\.nan|\.inf|-?\.inf|[-+]?[0-9_.:]+(?:e[-+]?[0-9]+)?|"
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$",
    re.IGNORECASE,
)


def yaml_scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            json.dumps(value)
            if value == value and value not in (float("inf"), float("-inf"))
            else json.dumps(str(value))
        )
    text = str(value)
    if _PLAIN.match(text) and not _RESERVED.match(text) and ": " not in text and not text.endswith(":"):
        return text
    # A JSON string is a valid YAML double-quoted scalar once the characters YAML does not allow
    # bare (DEL, C1 controls, line separators, BOM, non-characters) are escaped too.
    return _YAML_UNPRINTABLE.sub(_yaml_escape, json.dumps(text, ensure_ascii=False))


_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def _yaml_escape(match):
    code = ord(match.group())
    return f"\\u{code:04x}"


def yaml_key(key):
    return yaml_scalar(str(key))


def _yaml_mapping(record, indent):
    if not record:
        return [" " * indent + "{}"]
    return [" " * indent + f"{yaml_key(k)}: {yaml_scalar(v)}" for k, v in record.items()]


def yaml_document(data):
    """YAML for a record (dict of scalars) or a list of records."""
    if isinstance(data, dict):
        lines = _yaml_mapping(data, 0)
    elif not data:
        lines = ["[]"]
    else:
        lines = []
        for record in data:
            if not isinstance(record, dict):
                lines.append("- " + yaml_scalar(record))
                continue
            mapping = _yaml_mapping(record, 2)
            lines.append("- " + mapping[0][2:])
            lines.extend(mapping[1:])
    return "\n".join(lines) + "\n"
