"""The documents link to each other by relative path and #anchor: every such link must reach an
existing file and, with an anchor, an existing heading, as GitHub renders them. The README is the
way in, so every document in docs/ is linked from it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [ROOT / "README.md", ROOT / "SECURITY.md"] + DOCS

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


def prose(text):
    """The text outside fenced code blocks (a link or heading inside one is not rendered)."""
    return FENCE.sub("", text)


def slug(heading):
    """GitHub's anchor for a heading: the rendered text lowercased, every character other than a
    letter, digit, '_', '-' or space removed, each space made a '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path):
    """Every anchor GitHub gives the headings of a document; a repeated slug gets -1, -2, ..."""
    seen = {}
    found = set()
    for heading in HEADING.findall(prose(path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(path):
    """The targets of the links in a document that point into this repository."""
    text = CODE_SPAN.sub("", prose(path.read_text(encoding="utf-8")))
    return [t for t in LINK.findall(text) if not re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", t)]


def broken_links(path, root=ROOT):
    root = root.resolve()
    problems = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if root not in dest.parents:
            problems.append(f"{target}: outside the repository")
        elif not dest.exists():
            problems.append(f"{target}: no such file")
        elif anchor and (dest.suffix != ".md" or anchor not in anchors(dest)):
            problems.append(f"{target}: no heading with anchor #{anchor} in {dest.relative_to(root).as_posix()}")
    return problems


@pytest.mark.parametrize(
    "heading, expected",
    [
        ("Teams and CI at scale", "teams-and-ci-at-scale"),
        ("How `get` stays within budget", "how-get-stays-within-budget"),
        ("Vault / OpenBao profiles", "vault--openbao-profiles"),
        ("truto_credential_helper.credentials()", "truto_credential_helpercredentials"),
        ("Use [git](https://git-scm.com) here", "use-git-here"),
    ],
)
def test_slug_follows_githubs_rule(heading, expected):
    assert slug(heading) == expected


def test_repeated_headings_get_numbered_anchors(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("# A\n## Use\n```sh\n# not a heading\n```\n## Use\n", encoding="utf-8")
    assert anchors(doc) == {"a", "use", "use-1"}


def test_broken_links_are_found(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_text("# B\n## Here\n", encoding="utf-8")
    doc = tmp_path / "a.md"
    doc.write_text(
        "[ok](docs/b.md#here) [gone](docs/c.md) [no anchor](docs/b.md#there) [self](#b-side)\n"
        "`[in code](nowhere.md)` [web](https://example.com/x.md) [up](../x.md)\n\n## B side\n",
        encoding="utf-8",
    )
    assert broken_links(doc, root=tmp_path) == [
        "docs/c.md: no such file",
        "docs/b.md#there: no heading with anchor #there in docs/b.md",
        "../x.md: outside the repository",
    ]


def test_the_documents_exist():
    assert DOCS, "docs/ holds no document"
    for path in DOCUMENTS:
        assert path.is_file(), path


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert broken_links(path) == []


def test_the_readme_links_every_document_in_docs():
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in relative_links(ROOT / "README.md")}
    assert [p.name for p in DOCS if p.resolve() not in linked] == []
    assert (ROOT / "SECURITY.md").resolve() in linked
