"""The package's modules depend on each other in one direction: the graph of every import, those
inside functions included (a deferred import hides a cycle from Python, not from a reader), has no
cycle. Built from the source's syntax tree, so it sees imports no test run happens to execute.
"""

import ast
import pathlib

PACKAGE = "truto_credential_helper"
SOURCE = pathlib.Path(__file__).resolve().parents[2]  # the checkout: its code, not an installed copy
ROOT = SOURCE / PACKAGE


def modules():
    """{dotted name: (path, is_package)} of every module of the package."""
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = [PACKAGE] + list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imports_of(name, path, is_package, known):
    """The package's modules that `name` imports anywhere in its body. `from .x import y` counts
    as an import of x.y when that is a module, else of x; a parent package's __init__ that Python
    runs on the way to a submodule is not counted (it is the submodule that is named)."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in known else module)
    return {m for m in found if m in known and m != name}


def graph():
    known = modules()
    return {name: imports_of(name, path, is_package, known) for name, (path, is_package) in known.items()}


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan), and self-loops."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle():
    found = cycles(graph())
    assert not found, "modules that import each other (directly or around a loop): " + "; ".join(
        " <-> ".join(m.replace(PACKAGE + ".", "") for m in c) for c in found
    )


def test_the_graph_sees_deferred_and_relative_imports():
    """The checker itself: a cycle closed by an import inside a function is found."""
    edges = graph()
    assert f"{PACKAGE}.legacy" in edges[f"{PACKAGE}.config"]  # config.load's deferred `from . import legacy`
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_lower_floors_import_nothing_above_them():
    """The bottom of the layering, named: errors imports nothing of ours; settings and kinds only
    errors; untrusted (the sanitiser every reader of a secret holds it with) only settings; config
    reads today's format and converts the legacy one, never opening a secret store, on the floors
    below it: file_trust (whose files are trusted), locked_io (the lock and atomic writes), memos
    (cache files) and config_validation, none of which knows config.json's whereabouts or a store;
    write_order (the order of a profile's writes) is handed its store and config by its callers, so
    it names only the store interface."""
    edges = {k.replace(PACKAGE + ".", ""): {m.replace(PACKAGE + ".", "") for m in v} for k, v in graph().items()}
    assert edges["errors"] == set()
    assert edges["kinds"] == set()
    assert edges["settings"] <= {"errors"}
    assert edges["untrusted"] <= {"settings"}
    assert edges["legacy"] <= {"errors", "console", "settings", "kinds", "untrusted"}
    assert edges["file_trust"] <= {"errors", "console", "settings"}
    assert edges["locked_io"] <= {"errors", "console", "settings", "lean_context", "file_trust"}
    assert edges["memos"] <= {"file_trust", "locked_io"}
    assert edges["config_validation"] <= {"errors", "memos", "jsondepth", "schema_subset", "credential"}
    assert not {m for m in edges["config"] if m == "secrets" or m.startswith("secrets.")}
    assert edges["write_order"] <= {"secrets.base"}


def test_every_package_is_installed():
    """A subpackage missing from setup.cfg's list would work from the source tree only."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(SOURCE / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    packages = {name for name, (_, is_package) in modules().items() if is_package}
    assert packages <= listed
