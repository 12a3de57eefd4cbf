"""The reference pages, generated at build time from the declarations, so they cannot drift.

An MkDocs hook (``hooks:`` in mkdocs.yml). ``pages()`` reads what the code declares and writes
Markdown; ``on_files`` adds those pages to the build, and the tutorial notebooks (notebooks/*.ipynb,
shown by mkdocs-jupyter at ``notebooks/NAME/``), without copying anything into docs/:

- ``reference/cell-magic.md``: the ``%%ygpt`` flags, from the magic's argparse parser
  (``YGptMagics.ygpt.parser``, kept there by IPython's ``magic_arguments``);
- ``reference/subcommands.md``: each ``%ygpt`` subcommand, from ``COMMANDS[name].run.parser``;
- ``reference/settings.md``: the ``YGptMagics`` traitlets with ``config=True``, their defaults
  and help;
- ``reference/cli.md``: the ``ygpt-magic`` command line, from ``cli.build_parser()``.

tests/test_docs.py checks that every flag, subcommand and setting is on these pages.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

_SPECIAL = re.compile(r"([\\*_{}\[\]|#>])")
_CODE = re.compile(r"(`[^`]*`)")


def text(words: str) -> str:
    """Prose for a Markdown page or table cell: code spans kept, everything else literal."""
    parts = _CODE.split(" ".join(words.split()))
    return "".join(part if _CODE.fullmatch(part)
                   else _SPECIAL.sub(r"\\\1", part).replace("<", "&lt;") for part in parts)


def code(words: str) -> str:
    """A code span that holds any text (a backtick inside gets a longer fence)."""
    fence = "``" if "`" in words else "`"
    pad = " " if words.startswith("`") or words.endswith("`") else ""
    return f"{fence}{pad}{words}{pad}{fence}"


def cell(words: str) -> str:
    """A table cell: as ``text`` and no pipe left to split the row."""
    return text(words).replace("|", "\\|")


def help_of(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    """An argument's help as ``--help`` prints it (``%%`` → ``%``, ``%(default)s`` filled)."""
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    return parser._get_formatter()._expand_help(action)


def arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The parser's arguments as a user types them (no --help, no subparser table)."""
    return [action for action in parser._actions
            if not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction))]


def spelled(action: argparse.Action) -> str:
    """```--model NAME`, `-m NAME``` or ```ID```: how the argument is written, in code."""
    if not action.option_strings:
        return code(action.metavar or action.dest)
    value = "" if action.nargs == 0 else f" {action.metavar or action.dest.upper()}"
    return ", ".join(code(f"{flag}{value}") for flag in action.option_strings)


def default_of(action: argparse.Action) -> str:
    if action.nargs == 0 or action.default in (None, [], argparse.SUPPRESS):
        return ""
    return code(repr(action.default) if isinstance(action.default, str) else str(action.default))


def table(parser: argparse.ArgumentParser, *, defaults: bool = False) -> str:
    head = ["argument", "what it does"] + (["default"] if defaults else [])
    rows = [[spelled(action), cell(help_of(parser, action))]
            + ([default_of(action)] if defaults else []) for action in arguments(parser)]
    if not rows:
        return "No arguments.\n"
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def usage(parser: argparse.ArgumentParser) -> str:
    """The parser's usage, each line of it on one line: argparse wraps a long one, indenting
    what goes on (IPython's formatter opens it with ``::``; the cell's shows two forms)."""
    lines: list[str] = []
    for line in parser.format_usage().removeprefix("::").strip("\n").splitlines():
        if line.startswith("   ") and lines:
            lines[-1] += " " + line.strip()
        elif line.strip():
            lines.append(" ".join(line.split()).removeprefix("usage: "))
    return "```text\n" + "\n".join(lines) + "\n```\n"


def description(parser: argparse.ArgumentParser) -> str:
    """A docstring as paragraphs of literal text (its code spans kept)."""
    body = textwrap.dedent((parser.description or "").strip("\n"))
    first, _, rest = body.partition("\n")
    paragraphs = [first.strip()] + [p for p in textwrap.dedent(rest).split("\n\n") if p.strip()]
    return "\n\n".join(text(p) for p in paragraphs if p) + "\n"


def summary(parser: argparse.ArgumentParser) -> str:
    """The docstring's first line (as ``%ygpt help`` shows it)."""
    return (parser.description or "").strip().splitlines()[0].strip()


# -- the pages -----------------------------------------------------------------------------------

#: how a `%ygpt` or `%%ygpt` line reads a `#` (commands/args.py, ``uncommented``)
COMMENTS = ("A word that starts with `#` outside quotes ends the line, as a comment does in Python "
            "and the shell: `{example}  # a note` runs `{example}`. To keep a `#`, quote it "
            "(`\"#3\"`) or write it inside a word (`issue#3`).")

#: how a comma-separated list may be written (commands/spaced.py); {flags}: the flags that take one
LISTS = ("A comma-separated list ({flags}) may have a space after each comma: `--labels positive, "
         "negative, neutral` is `--labels positive,negative,neutral`. Quote a list whose items hold "
         "spaces: `--docs \"my notes.md, plans.md\"`.")

NOTE = ("*Generated from the code's declarations ({source}) when this site is built: it lists "
        "what this version accepts.*\n")


def cell_magic_page() -> str:
    from ygpt_magic.commands.args import CommaList
    from ygpt_magic.magics import YGptMagics

    parser = YGptMagics.ygpt.parser
    return "\n".join([
        "# `%%ygpt` flags", "",
        NOTE.format(source="`ygpt_magic/magics.py`, `ygpt_magic/commands/args.py`"),
        "In a notebook, `%%ygpt?` prints the same.", "",
        usage(parser),
        COMMENTS.format(example="%%ygpt --once") + " The prompt, on the lines below, is "
        "sent as written, `#` and all.", "",
        LISTS.format(flags=", ".join(f"`{action.option_strings[0]}`" for action in parser._actions
                                     if isinstance(action, CommaList))), "",
        description(parser),
        table(parser),
    ])


def subcommands_page() -> str:
    from ygpt_magic.commands import COMMANDS

    sections = ["# `%ygpt` subcommands", "",
                NOTE.format(source="`ygpt_magic/commands/`"),
                ("In a notebook, `%ygpt help` lists them and `%ygpt help NAME` (or "
                 "`%ygpt NAME --help`) prints one."), "",
                COMMENTS.format(example="%ygpt cache --mode replay") + " `%ygpt fix` and "
                "`%ygpt similar` take their words as written, so there an apostrophe (`don't`) "
                "is a letter and `%ygpt fix issue \"#3\"` sends `issue \"#3\"`, quotes and all.", ""]
    sections += [f"- [`%ygpt {name}`](#ygpt-{name}): {text(summary(COMMANDS[name].run.parser))}"
                 for name in COMMANDS]
    for name, module in COMMANDS.items():
        parser = module.run.parser
        sections += ["", f"## `%ygpt {name}`", "", usage(parser), description(parser),
                     table(parser)]
    return "\n".join(sections)


def settings_page() -> str:
    from ygpt_magic.magics import YGptMagics

    traits = YGptMagics.class_own_traits(config=True)
    computed = set(getattr(YGptMagics, "_trait_default_generators", {}))
    lines = ["# Settings", "",
             NOTE.format(source="the `YGptMagics` traitlets in `ygpt_magic/magics.py`"),
             ("Set one for this kernel with `%config YGptMagics.NAME = VALUE`, or for every "
              "session in `ipython_config.py` with `c.YGptMagics.NAME = VALUE`. A value the "
              "setting refuses is reported in one line and the setting keeps its value. "
              "`%config YGptMagics` lists them with their current values."), "",
             "| setting | type | default | what it does |", "|---|---|---|---|"]
    for name, trait in traits.items():
        kind = type(trait).__name__ + (" or None" if trait.allow_none else "")
        if name in computed:
            default = "when loaded (see →)"
        else:
            default = code(repr(trait.default()))   # a container trait makes its default: {} for a Dict
        lines.append(f"| `{name}` | {kind} | {default} | {cell(trait.help)} |")
    return "\n".join(lines) + "\n"


def cli_page() -> str:
    from ygpt_magic.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions
                      if isinstance(a, argparse._SubParsersAction))
    about = {choice.dest: choice.help for choice in subparsers._choices_actions}
    sections = ["# `ygpt-magic` command line", "",
                NOTE.format(source="`ygpt_magic/cli.py`, `ygpt_magic/emulator/main.py`"),
                "`ygpt-magic COMMAND --help` prints the same.", ""]
    for name, sub in subparsers.choices.items():
        sections += [f"## `ygpt-magic {name}`", "", text(about.get(name) or "") + "\n",
                     usage(sub), table(sub, defaults=True)]
    return "\n".join(sections)


def pages() -> dict[str, str]:
    """Every generated reference page by its path in the site."""
    return {"reference/cell-magic.md": cell_magic_page(),
            "reference/subcommands.md": subcommands_page(),
            "reference/settings.md": settings_page(),
            "reference/cli.md": cli_page()}


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


# -- the MkDocs hook -----------------------------------------------------------------------------

try:
    from mkdocs.plugins import event_priority
except ImportError:  # imported by a test without MkDocs: pages() needs none of it
    def event_priority(_priority):
        return lambda func: func


@event_priority(100)  # before mkdocs-jupyter's on_files turns the notebooks into pages
def on_files(files, config):
    from mkdocs.structure.files import File

    for path, content in pages().items():
        files.append(File.generated(config, path, content=content))
    for notebook in notebooks():  # a real file (mkdocs-jupyter reads it by its path): notebooks/NAME
        files.append(File(f"{NOTEBOOKS.name}/{notebook.name}", src_dir=str(ROOT),
                          dest_dir=config.site_dir, use_directory_urls=config.use_directory_urls))
    return files


_NOTEBOOK_LINK = re.compile(r'href="(\d\d_\w+)\.ipynb"')
_DOCS_LINK = re.compile(r'href="\.\./docs/([\w/-]+)\.md"')


def on_page_content(html_text, page, config, files):
    """In a tutorial page, a link to another notebook (``02_chat_mode.ipynb``, as written for
    Jupyter) goes to that notebook's page, and a link into the clone's docs/ folder
    (``../docs/index.md``, which Jupyter opens) to the same page of this site; its table of
    contents links to its headings (``_contents_to_headings``)."""
    if not page.file.src_uri.endswith(".ipynb"):
        return html_text
    _contents_to_headings(page, html_text)
    html_text = _NOTEBOOK_LINK.sub(r'href="../\1/"', html_text)
    return _DOCS_LINK.sub(lambda match: f'href="../../{_site_path(match.group(1))}"', html_text)


def _site_path(page: str) -> str:
    """``install`` → ``install/``, ``index`` → ``""``: where MkDocs puts a page of docs/."""
    return page.removesuffix("index") if page == "index" or page.endswith("/index") else page + "/"


_HEADING = re.compile(r'<h[1-6] id="([^"]+)">(.*?)<a class="anchor-link"', re.S)
_TAG = re.compile(r"<[^>]+>")


def _contents_to_headings(page, html_text: str) -> None:
    """mkdocs-jupyter makes a notebook page's table of contents (and its title, from the first
    heading) from the headings with their code spans left out, while nbconvert gives a heading
    the id of its whole text: "Deferred: `--deferred`" is listed as "Deferred:" linking to
    ``#deferred``, and the heading's id is ``deferred-deferred``. Each entry is given the id and
    the whole text of the heading it was made from: the first one after the previous entry's
    whose text without code has the entry's id (a reply's heading in an output is in no entry)."""
    from markdown.extensions.toc import slugify

    headings = [(anchor, inner) for anchor, inner in _HEADING.findall(html_text)]
    start = 0
    for entry in _entries(page.toc):
        for index in range(start, len(headings)):
            anchor, inner = headings[index]
            if slugify(_TAG.sub("", re.sub(r"<code>.*?</code>", "", inner)), "-") == entry.id:
                if page.title == entry.title:
                    page.title = _TAG.sub("", inner).strip()
                entry.id, entry.title, start = anchor, _TAG.sub("", inner).strip(), index + 1
                break


def _entries(items):
    """The entries of a table of contents, depth first (its order on the page)."""
    for item in items:
        yield item
        yield from _entries(item.children)
