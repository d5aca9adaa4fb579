"""scripts/release-check's listing of the sdist and the wheel against what each must and must not hold.

    python3 scripts/release_contents.py SDIST WHEEL FILES ROOT HOME

FILES: the tree's files the sdist was built from (NUL-separated, relative to ROOT). The sdist must
hold every one of them (a packager builds and tests from it as from a checkout), executable where
they are, and nothing else but what setuptools adds; the wheel only the package, its schemas, the
four launchers and its metadata with the licence. Neither holds a cache, a venv, compiled Python,
or this machine's paths (ROOT, HOME). Prints each problem on a line of its own; exit 1 if any.
"""

import os
import stat
import sys
import tarfile
import zipfile

NEVER = {".venv", ".nox", "__pycache__", ".pytest_cache", ".hypothesis", ".bench", "build", ".git", ".mypy_cache"}
NEVER_SUFFIXES = (".pyc", ".pyo", ".swp", "~")
NOT_SHIPPED = {".gitignore"}  # files of the checkout a source release has no use for
SDIST_MUST = [
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "SECURITY.md",
    "setup.cfg",
    "pyproject.toml",
    "MANIFEST.in",
    "noxfile.py",
    "PKG-INFO",
    "docs/design.md",
    "launchers/truto",
    "scripts/test",
    "scripts/bootstrap",
    "scripts/release-check",
    "tests/conftest.py",
    "tests/unit/conftest.py",
    "truto_credential_helper/__main__.py",
]
COMMANDS = ["truto", "truto-credential-helper", "git-credential-truto", "docker-credential-truto"]


def forbidden(name):
    parts = name.split("/")
    return bool(NEVER.intersection(parts)) or name.endswith(NEVER_SUFFIXES)


def machine_paths(read, names, paths):
    """Members whose bytes name one of this machine's paths."""
    needles = [p.encode() for p in paths if p and len(p) > 1]
    return [n for n in names if any(needle in read(n) for needle in needles)]


def check_sdist(path, tree, root, paths):
    problems = []
    with tarfile.open(path) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if m.isfile() and "/" in m.name}
        for name in SDIST_MUST:
            if name not in members:
                problems.append(f"sdist: {name} is missing")
        for name in sorted(n for n in tree - NOT_SHIPPED if not forbidden(n)):
            if name not in members:
                problems.append(f"sdist: {name} (in the tree) is missing")
            elif os.access(os.path.join(root, name), os.X_OK) and not members[name].mode & stat.S_IXUSR:
                problems.append(f"sdist: {name} is not executable, as it is in the tree")
        for name in sorted(members):
            added_by_setuptools = name == "PKG-INFO" or name.split("/")[0].endswith(".egg-info")
            if forbidden(name):
                problems.append(f"sdist: {name} must not be shipped")
            elif name not in tree and not added_by_setuptools:
                problems.append(f"sdist: {name} is not a file of the tree")
        read = lambda n: tar.extractfile(members[n]).read()  # noqa: E731
        problems += [f"sdist: {n} names a path of this machine" for n in machine_paths(read, sorted(members), paths)]
    return problems


def check_wheel(path, tree, paths):
    problems = []
    with zipfile.ZipFile(path) as whl:
        names = [n for n in whl.namelist() if not n.endswith("/")]
        dist_info = next((n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")), None)
        data = dist_info[: -len(".dist-info")] + ".data" if dist_info else None
        wanted = {n for n in tree if n.startswith("truto_credential_helper/") and n.endswith(".py")}
        wanted |= {"truto_credential_helper/schemas/" + n[len("schemas/") :] for n in tree if n.startswith("schemas/")}
        wanted |= {f"{data}/scripts/{c}" for c in COMMANDS}
        wanted |= {f"{dist_info}/METADATA", f"{dist_info}/RECORD"}
        for name in sorted(wanted - set(names)):
            problems.append(f"wheel: {name} is missing")
        if not {f"{dist_info}/licenses/LICENSE", f"{dist_info}/LICENSE"} & set(names):
            problems.append("wheel: the LICENSE is missing from its .dist-info")
        for name in names:
            top = name.split("/")[0]
            if forbidden(name):
                problems.append(f"wheel: {name} must not be shipped")
            elif top not in ("truto_credential_helper", dist_info, data):
                problems.append(f"wheel: {name} is outside the package and its metadata")
        problems += [f"wheel: {n} names a path of this machine" for n in machine_paths(whl.read, names, paths)]
    return problems


def main(argv):
    sdist, wheel, files, root, home = argv
    with open(files, "rb") as f:
        tree = {n.decode() for n in f.read().split(b"\0") if n}
    paths = [os.path.realpath(root), root, home]
    problems = check_sdist(sdist, tree, root, paths) + check_wheel(wheel, tree, paths)
    for problem in problems:
        print(f"release-check: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
