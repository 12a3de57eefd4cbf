"""--docs PATHS → files: folders walked, globs, hidden files and environments skipped unless named,
every skip listed with its reason; a file's text as parts (whole, notebook cells, PDF pages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sources_helpers import pdf_bytes, without_pypdf

from ygpt_magic.errors.sources import WINDOWS_1251
from ygpt_magic.sources.chunks import Part
from ygpt_magic.sources.files import Skipped, SourceFile, find, summary
from ygpt_magic.sources.reading import parts, read


def tree(base: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return base


def shown(found) -> list[str]:
    return [file.shown for file in found.files]


def reasons(found) -> dict[str, str]:
    return {item.path: item.reason for item in found.skipped}


def test_a_folder_is_walked_in_order_and_its_secrets_and_environments_are_skipped(tmp_path):
    tree(tmp_path, {"docs/b.md": "b", "docs/a.txt": "a", "docs/sub/c.rst": "c", "docs/.env": "KEY=1",
                    "docs/.git/config": "x", "docs/venv/pyvenv.cfg": "home = /usr", "docs/venv/lib/m.py": "x",
                    "docs/node_modules/p/readme.md": "x", "docs/__pycache__/m.md": "x", "docs/logo.png": b"\x89PNG"})
    found = find("docs", tmp_path)
    assert shown(found) == ["docs/a.txt", "docs/b.md", "docs/sub/c.rst"]
    assert reasons(found) == {
        "docs/.git": "hidden: name it to read it",
        "docs/__pycache__": "an environment or a cache of installed code: name it to read it",
        "docs/node_modules": "an environment or a cache of installed code: name it to read it",
        "docs/venv": "an environment or a cache of installed code: name it to read it",
        "docs/.env": "hidden: name it to read it",
        "docs/logo.png": "not a type --docs reads",
    }


def test_paths_are_comma_separated_files_folders_and_globs_each_file_once(tmp_path):
    tree(tmp_path, {"notes.txt": "n", "reports/q1.md": "1", "reports/deep/q2.md": "2", "reports/q3.csv": "a,b"})
    found = find("notes.txt, reports/**/*.md ,reports", tmp_path)
    assert shown(found) == ["notes.txt", "reports/deep/q2.md", "reports/q1.md", "reports/q3.csv"]
    assert found.skipped == ()


def test_a_name_given_explicitly_is_read_hidden_or_not(tmp_path):
    tree(tmp_path, {".notes/plan.md": "p", "venv/pyvenv.cfg": "x", "venv/README.md": "r", "Makefile": "all:"})
    assert shown(find(".notes, venv/README.md, Makefile", tmp_path)) == [".notes/plan.md", "venv/README.md",
                                                                         "Makefile"]


def test_a_glob_does_not_walk_into_hidden_folders_or_environments(tmp_path):
    tree(tmp_path, {"a.md": "a", ".venv/pyvenv.cfg": "x", ".venv/lib/x.md": "x", "env/pyvenv.cfg": "x",
                    "env/doc.md": "x", "node_modules/m/readme.md": "x"})
    found = find("**/*.md", tmp_path)
    assert shown(found) == ["a.md"]
    assert reasons(found) == {"env/doc.md": "an environment or a cache of installed code: name it to read it",
                              "node_modules/m/readme.md": "an environment or a cache of installed code: "
                                                          "name it to read it"}


def test_what_matches_nothing_is_said(tmp_path):
    tree(tmp_path, {"empty/.hidden": "x", "a.md": "a"})
    found = find("missing.md, *.pdf, empty, a.md", tmp_path)
    assert shown(found) == ["a.md"]
    assert reasons(found) == {"missing.md": "no such file or folder", "*.pdf": "the pattern matches nothing",
                              "empty/.hidden": "hidden: name it to read it", "empty": "no file --docs reads in it"}


def test_a_file_over_the_size_limit_is_skipped_saying_the_limit(tmp_path):
    tree(tmp_path, {"big.txt": "x" * 3_000_000})
    skipped = read(SourceFile(tmp_path / "big.txt", "big.txt"), limit=2_000_000)
    assert skipped.reason == "3.0 MB, over the 2 MB limit per file"


def test_an_unreadable_file_is_skipped_with_the_systems_words(tmp_path):
    (tmp_path / "mem.txt").symlink_to("/proc/self/mem")  # any read fails, even as root
    skipped = read(SourceFile(tmp_path / "mem.txt", "mem.txt"))
    assert skipped.path == "mem.txt"
    assert skipped.reason == "cannot be read: Input/output error"


@pytest.mark.parametrize("data, reason", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary, not text"),
    ("Привет, отчёт".encode("cp1251"), WINDOWS_1251),
    ("Grüße".encode("latin-1"), "text in an encoding other than UTF-8: save it as UTF-8"),
    (b"  \n\n ", "empty"),
])
def test_binary_undecodable_and_empty_files_are_skipped(tmp_path, data, reason):
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    assert parts(SourceFile(path, "f.txt"), data).reason == reason


def test_a_text_file_is_one_part_utf8_with_or_without_bom(tmp_path):
    data = "\ufeffЗаголовок\n\nтекст".encode()
    assert parts(SourceFile(tmp_path / "r.md", "r.md"), data) == [Part("Заголовок\n\nтекст")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_with_its_byte_order_mark_is_read_as_text(tmp_path, encoding):
    """What a Windows editor saves as "Unicode": its zero bytes do not make it binary."""
    data = ("\ufeff" if encoding == "utf-16-be" else "") + "Отчёт за квартал\n\nВыручка выросла."
    assert parts(SourceFile(tmp_path / "r.txt", "r.txt"), data.encode(encoding)) == [
        Part("Отчёт за квартал\n\nВыручка выросла.")]


def test_a_notebook_reads_as_its_cells_sources_numbered(tmp_path):
    notebook = {"cells": [{"cell_type": "markdown", "source": ["# Intro\n", "text"]},
                          {"cell_type": "code", "source": "", "outputs": []},
                          {"cell_type": "code", "source": "x = 1", "outputs": [{"text": "secret output"}]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    data = json.dumps(notebook).encode()
    assert parts(SourceFile(tmp_path / "n.ipynb", "n.ipynb"), data) == [
        Part("# Intro\ntext", "cell", 1), Part("x = 1", "cell", 3)]
    assert parts(SourceFile(tmp_path / "n.ipynb", "n.ipynb"), b'{"a": 1}').reason == (
        "not a notebook Jupyter can open (its JSON has no cells)")


def test_a_pdf_reads_as_its_pages(tmp_path):
    pytest.importorskip("pypdf")
    data = pdf_bytes(["Revenue grew in Q3", "", "Costs fell"])
    assert parts(SourceFile(tmp_path / "r.pdf", "r.pdf"), data) == [
        Part("Revenue grew in Q3", "page", 1), Part("Costs fell", "page", 3)]
    assert parts(SourceFile(tmp_path / "bad.pdf", "bad.pdf"), b"%PDF-1.4 broken").reason.startswith(
        "a PDF pypdf cannot read (")


def test_a_pdf_without_pypdf_is_skipped_saying_what_to_install(tmp_path, monkeypatch):
    without_pypdf(monkeypatch)
    skipped = parts(SourceFile(tmp_path / "r.pdf", "r.pdf"), pdf_bytes(["text"]))
    assert skipped.reason == ("reading PDFs needs pypdf: pip install pypdf (or pip install -e '.[pdf]' in a clone) "
                              "and restart the kernel")


def test_the_summary_gives_one_line_per_reason(tmp_path):
    tree(tmp_path, {f"pics/{n}.png": b"x" for n in range(5)} | {"pics/.env": "k"})
    assert summary(find("pics", tmp_path).skipped) == [
        "pics/.env (hidden: name it to read it)",
        "pics/0.png, pics/1.png, pics/2.png and 2 more (not a type --docs reads)",
        "pics (no file --docs reads in it)"]


def test_a_linked_folder_is_read_once_and_a_link_back_up_is_skipped_saying_where_it_points(tmp_path):
    tree(tmp_path, {"team/plan.md": "p", "notes/mine.md": "m"})
    (tmp_path / "notes" / "shared").symlink_to(tmp_path / "team")   # ln -s ../team notes/shared
    (tmp_path / "notes" / "again").symlink_to(tmp_path / "notes")   # a loop
    found = find("notes", tmp_path)
    assert shown(found) == ["notes/mine.md", "notes/shared/plan.md"]
    assert reasons(found) == {"notes/again": "a link to notes, read there"}
    both = find("team, notes", tmp_path)
    assert shown(both) == ["team/plan.md", "notes/mine.md"]
    assert reasons(both) == {"notes/again": "a link to notes, read there",
                             "notes/shared": "a link to team, read there"}


@pytest.mark.slow
def test_a_glob_through_a_link_loop_names_each_file_by_its_real_path_once(tmp_path):
    tree(tmp_path, {"notes/plan.md": "p", "notes/pic.png": b"\x89PNG"})
    (tmp_path / "notes" / "again").symlink_to(tmp_path / "notes")
    (tmp_path / "notes" / "link.md").symlink_to(tmp_path / "notes" / "plan.md")
    for pattern in ("notes/**/*.md", "notes/**"):
        found = find(pattern, tmp_path)
        assert shown(found) == ["notes/plan.md"], pattern
        assert reasons(found)["notes/again"] == "a link to notes, read there"
        assert reasons(found)["notes/link.md"] == "a link to notes/plan.md, read there"
        assert "again/again" not in str(found.skipped)


def test_a_glob_ending_in_double_star_lists_no_folder_it_read_and_no_path_twice(tmp_path):
    tree(tmp_path, {"notes/2024/q3.md": "q", "notes/2024/pic.png": b"\x89PNG", "notes/empty/pic.png": b"\x89PNG"})
    found = find("notes/**", tmp_path)
    assert shown(found) == ["notes/2024/q3.md"]
    assert found.skipped == (Skipped("notes/2024/pic.png", "not a type --docs reads"),
                             Skipped("notes/empty/pic.png", "not a type --docs reads"))
