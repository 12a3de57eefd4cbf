"""The documentation a user reads: a short README, and a reference generated from the code.

The reference pages come from docs/hooks/reference.py at build time; these tests read what it
generates and check it against the declarations themselves: every `%%ygpt` flag, every `%ygpt`
subcommand and its arguments, every `YGptMagics` setting and every `ygpt-magic` option is on a
page, so a flag added to the code is in the docs without anyone writing it there. `make test`
also builds the whole site with `mkdocs build --strict` (the Makefile's `docs` target), where
docs/hooks/anchors.py fails a link to no heading of its own page, which mkdocs does not check.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from ygpt_magic.cli import build_parser
from ygpt_magic.commands import COMMANDS
from ygpt_magic.magics import YGptMagics

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _generator():
    spec = importlib.util.spec_from_file_location("docs_reference", ROOT / "docs/hooks/reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return _generator().pages()


def _written(parser: argparse.ArgumentParser) -> list[str]:
    """How each argument is written: its option strings, or a positional's metavar."""
    words = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        words += action.option_strings or [action.metavar or action.dest]
    return words


def _unescaped(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def test_every_cell_magic_flag_is_in_the_reference(pages):
    page = pages["reference/cell-magic.md"]
    parser = YGptMagics.ygpt.parser
    flags = _written(parser)
    assert len(flags) >= 25 and "--system" in flags and "--no-cache" in flags
    for flag in flags:
        assert re.search(rf"`[^`]*{re.escape(flag)}\b", page), f"%%ygpt {flag} is not in the reference"
    for action in parser._actions:
        if action.help and not isinstance(action, argparse._HelpAction):
            first_words = " ".join(action.help.replace("%%", "%").split()[:4])
            assert first_words in _unescaped(page), f"the help of {action.option_strings}"


def test_every_subcommand_and_its_arguments_are_in_the_reference(pages):
    page = pages["reference/subcommands.md"]
    assert len(COMMANDS) >= 19
    for name, module in COMMANDS.items():
        section = page.split(f"## `%ygpt {name}`", 1)
        assert len(section) == 2, f"%ygpt {name} has no section"
        body = section[1].split("\n## ", 1)[0]
        summary = module.run.parser.description.strip().splitlines()[0].strip()
        assert summary in _unescaped(body), f"%ygpt {name}: its summary"
        for word in _written(module.run.parser):
            assert f"`{word}" in body, f"%ygpt {name} {word} is not in its section"


def test_every_setting_is_in_the_reference_with_its_default_and_help(pages):
    page = _unescaped(pages["reference/settings.md"])
    traits = YGptMagics.class_own_traits(config=True)
    assert {"model", "timeout", "max_tool_calls", "cache_mode"} <= set(traits)
    for name, trait in traits.items():
        row = next((line for line in page.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"YGptMagics.{name} is not in the reference"
        assert " ".join(trait.help.split()).replace("<", "&lt;") in row, f"YGptMagics.{name}: help"
        if name not in ("cache_path", "cache_mode"):  # defaults computed from the environment
            assert repr(trait.default()) in row, f"YGptMagics.{name}: default"   # a Dict makes its own
        assert "Undefined" not in row, row


def test_every_command_line_option_is_in_the_reference(pages):
    page = pages["reference/cli.md"]
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == {"serve", "demo", "cache"}
    for name, parser in commands.choices.items():
        body = page.split(f"## `ygpt-magic {name}`", 1)[1].split("\n## ", 1)[0]
        for word in _written(parser):
            assert f"`{word}" in body, f"ygpt-magic {name} {word} is not in the reference"


def test_the_site_shows_every_generated_page_and_every_tutorial(pages):
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    nav = repr(config["nav"])
    for path in pages:
        assert path in nav, f"{path} is generated but not in mkdocs.yml's nav"
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"notebooks/{notebook.name}" in nav, f"{notebook.name} is not in mkdocs.yml's nav"
    assert "docs/hooks/reference.py" in config["hooks"]
    assert config["plugins"][1]["mkdocs-jupyter"]["execute"] is False  # outputs as stored


def test_the_readme_fits_and_says_only_what_is_true():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert "make demo" in text and "make test" in text
    assert "## Reliability and security" in text and "(docs/reliability.md)" in text
    # not on PyPI: every pip install names a local path (a clone or a built wheel)
    for line in re.findall(r"pip install [^\n`]*", text):
        assert re.search(r"pip install (-e \.|-e '\.\[|'dist/|build\b)", line), line
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (ROOT / target).exists(), f"the README links to {target}, which does not exist"


def test_no_docs_page_promises_a_package_index_install():
    for page in (ROOT / "docs").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"pip install '?ygpt-magic", text), page.name


def test_a_tutorial_links_into_the_docs_as_in_jupyter_and_to_the_same_page_on_the_site():
    page = SimpleNamespace(file=SimpleNamespace(src_uri="notebooks/08_images.ipynb"), toc=[], title="8.")
    html = ('<a href="../docs/index.md">docs</a> <a href="../docs/guide/data.md">data</a> '
            '<a href="02_chat_mode.ipynb">2</a>')
    assert _generator().on_page_content(html, page, None, None) == (
        '<a href="../../">docs</a> <a href="../../guide/data/">data</a> <a href="../02_chat_mode/">2</a>')


def test_a_tutorials_contents_link_to_its_headings_and_its_title_keeps_the_code():
    """mkdocs-jupyter lists a heading without its code spans ("Deferred:", #deferred), while the
    heading's id keeps them: each entry is given its heading's id and whole text, the page's
    title too when it came from that heading (reference.py's _contents_to_headings)."""
    entry = SimpleNamespace(id="deferred", title="Deferred:", children=[])
    page = SimpleNamespace(file=SimpleNamespace(src_uri="notebooks/03_streaming.ipynb"), toc=[entry],
                           title="Deferred:")
    html = ('<h2 id="deferred-deferred">Deferred: <code>--deferred</code><a class="anchor-link" '
            'href="#deferred-deferred">¶</a></h2>')
    _generator().on_page_content(html, page, None, None)
    assert (entry.id, entry.title, page.title) == ("deferred-deferred", "Deferred: --deferred", "Deferred: --deferred")


def test_a_link_to_no_heading_of_its_page_fails_the_strict_build(caplog):
    """`make docs` (and so `make test`) builds with --strict, where a warning fails the build;
    mkdocs checks no link to a heading of the page it is on, the anchors hook does."""
    assert "docs/hooks/anchors.py" in yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["hooks"]
    spec = importlib.util.spec_from_file_location("docs_anchors", ROOT / "docs/hooks/anchors.py")
    anchors = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(anchors)
    page = SimpleNamespace(file=SimpleNamespace(src_uri="notebooks/03_streaming.ipynb"))
    html = ('<h2 id="deferred-deferred">Deferred</h2> <a href="#deferred">Deferred:</a> '
            '<a href="#deferred-deferred">ok</a>')
    with caplog.at_level("WARNING", logger="mkdocs"):
        assert anchors.on_post_page(html, page, None) == html
    assert [record.getMessage() for record in caplog.records] == [
        "notebooks/03_streaming.ipynb links to #deferred, which is no heading or element of that page"]


def test_the_home_page_counts_the_tutorials_and_lists_every_guide_page():
    home = (ROOT / "docs/index.md").read_text(encoding="utf-8")
    count = len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    words = {9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen"}
    assert f"{words[count]} short notebooks" in home
    for page in sorted((ROOT / "docs/guide").glob("*.md")):
        assert f"(guide/{page.name})" in home, f"the home page's 'Where to start' has no guide/{page.name}"


def test_every_extra_is_in_the_install_pages_table():
    """The docs and the error messages send users to extras (`pdf` for PDFs, `side` for the
    panel's side area, ...); each is in install.md's table with what it adds."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    table = (ROOT / "docs/install.md").read_text(encoding="utf-8").split("## Extras", 1)[1].split("\n## ", 1)[0]
    assert {"data", "pdf", "side", "demo"} <= set(extras)
    for extra in extras:
        assert f"\n| `{extra}` | " in table, f"install.md's table of extras has no `{extra}`"


def test_the_command_line_reference_describes_every_argument_and_shows_no_build_machine_path(pages):
    page = pages["reference/cli.md"]
    assert str(ROOT) not in page and str(Path.cwd()) not in page and str(Path.home()) not in page
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) >= 10
    for row in rows:
        argument, what = row.split(" | ")[:2]
        assert what.strip(), f"the command-line reference does not say what {argument[2:]} does"
