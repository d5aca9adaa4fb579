"""A quick verdict on a document against a JSON Schema, for the keywords config.schema.json uses,
without importing jsonschema, whose import alone outweighs a whole `get`, on every command that
writes config.json.

The schema file stays the one source of truth: this interprets it, it does not restate it. The
verdict is True (valid), False (invalid) or None (this subset cannot tell: a keyword it does not
know, a value whose comparison jsonschema makes subtler, such as a float where an integer is
expected); the caller runs jsonschema for anything but True, so every message about an invalid file
is still jsonschema's. tests/unit/test_schema_subset.py holds the verdicts to jsonschema's over
generated documents.
"""

import re

# Annotations: no effect on validity.
IGNORED = {"$schema", "$id", "title", "description", "$comment", "$defs", "examples", "default"}
TYPES = {"object": dict, "array": list, "string": str}


def verdict(schema, instance, root=None):
    """True, False or None (unknown) for `instance` against `schema` (a dict or a boolean)."""
    root = schema if root is None else root
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, dict):
        return None
    result = True
    for keyword, value in schema.items():
        if keyword in IGNORED:
            continue
        if keyword in ("then", "else"):
            continue  # applied with "if"
        check = _KEYWORDS.get(keyword)
        if check is None:
            return None  # a keyword this subset does not know: let jsonschema decide
        outcome = check(value, instance, schema, root)
        if outcome is None:
            return None
        if outcome is False:
            result = False  # keep going: an unknown elsewhere still makes the whole unknown
    return result


def _all(outcomes):
    result = True
    for outcome in outcomes:
        if outcome is None:
            return None
        if outcome is False:
            result = False
    return result


def _type(value, instance, schema, root):
    if value == "integer":
        if isinstance(instance, bool):
            return False
        if isinstance(instance, int):
            return True
        return None if isinstance(instance, float) else False  # 1.0 is an integer to jsonschema
    if value not in TYPES:
        return None
    return isinstance(instance, TYPES[value])


def _equal(value, instance):
    """jsonschema's equality (its _utils.equal) where it is plain: against a string, only an equal
    string; against an int, an int that is not a bool (True is not 1 there); a float may equal an
    int to jsonschema (1.0 == 1): no verdict."""
    if isinstance(value, str):
        return isinstance(instance, str) and instance == value
    if type(value) is int:
        if isinstance(instance, float):
            return None
        return type(instance) is int and instance == value
    return None


def _const(value, instance, schema, root):
    return _equal(value, instance)


def _enum(value, instance, schema, root):
    if not isinstance(value, list):
        return None
    outcomes = [_equal(v, instance) for v in value]
    return True if True in outcomes else None if None in outcomes else False


def _ref(value, instance, schema, root):
    if not isinstance(value, str) or not value.startswith("#/$defs/"):
        return None
    target = root.get("$defs", {}).get(value[len("#/$defs/") :])
    return None if target is None else verdict(target, instance, root)


def _required(value, instance, schema, root):
    return not isinstance(instance, dict) or all(name in instance for name in value)


def _properties(value, instance, schema, root):
    if not isinstance(instance, dict):
        return True
    return _all(verdict(sub, instance[name], root) for name, sub in value.items() if name in instance)


def _additional(value, instance, schema, root):
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        return None
    known = schema.get("properties", {})
    return _all(verdict(value, v, root) for k, v in instance.items() if k not in known)


def _property_names(value, instance, schema, root):
    if not isinstance(instance, dict):
        return True
    return _all(verdict(value, name, root) for name in instance)


def _items(value, instance, schema, root):
    if not isinstance(instance, list):
        return True
    if "prefixItems" in schema:
        return None
    return _all(verdict(value, item, root) for item in instance)


def _min_items(value, instance, schema, root):
    return not isinstance(instance, list) or len(instance) >= value


def _unique(value, instance, schema, root):
    if not isinstance(instance, list) or not value:
        return True
    if not (all(isinstance(item, str) for item in instance) or all(type(item) is int for item in instance)):
        return None  # jsonschema's equality is subtler for the rest (1 == 1.0, True != 1)
    return len(set(instance)) == len(instance)


def _pattern(value, instance, schema, root):
    return not isinstance(instance, str) or re.search(value, instance) is not None


def _max_length(value, instance, schema, root):
    return not isinstance(instance, str) or len(instance) <= value


def _min_length(value, instance, schema, root):
    return not isinstance(instance, str) or len(instance) >= value


def _minimum(value, instance, schema, root):
    if isinstance(instance, bool) or not isinstance(instance, (int, float)):
        return True
    return None if isinstance(instance, float) else instance >= value


def _if(value, instance, schema, root):
    condition = verdict(value, instance, root)
    if condition is None:
        return None
    branch = schema.get("then", True) if condition else schema.get("else", True)
    return verdict(branch, instance, root)


_KEYWORDS = {
    "type": _type,
    "const": _const,
    "enum": _enum,
    "$ref": _ref,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
    "propertyNames": _property_names,
    "items": _items,
    "minItems": _min_items,
    "uniqueItems": _unique,
    "pattern": _pattern,
    "maxLength": _max_length,
    "minLength": _min_length,
    "minimum": _minimum,
    "if": _if,
}
