"""Every link in the tutorials' Markdown opens where the docs tell a learner to read them: in the
JupyterLab their `jupyter lab` command starts. Its root is the folder the command names (else the
clone, where the commands are run), JupyterLab resolves a relative link against the notebook's
folder, and nothing outside the root can be opened: with `jupyter lab notebooks/` every
`../docs/...` link of tutorial 10 was a 404 (learner L4)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
#: the pages that tell a learner how to start JupyterLab for the tutorials
STARTS = ("README.md", "docs/install.md", "docs/notebooks/index.md", "notebooks/00_setup.ipynb")
COMMAND = re.compile(r"jupyter lab(?: +(?!-)([^\s`#\\]+))?")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def lab_roots() -> dict[str, Path]:
    """Each `jupyter lab` command the pages give, with the root of the server it starts."""
    return {f"{page}: {match.group(0)}": (ROOT / (match.group(1) or ".")).resolve()
            for page in STARTS for match in COMMAND.finditer((ROOT / page).read_text(encoding="utf-8"))}


def notebook_links() -> list[tuple[Path, str]]:
    """(notebook, target) of every relative link in the tutorials' Markdown cells."""
    return [(path, target) for path in sorted((ROOT / "notebooks").glob("*.ipynb"))
            for markdown in nbformat.read(path, as_version=4).cells if markdown.cell_type == "markdown"
            for target in LINK.findall(markdown.source) if not re.match(r"[a-z]+:|#", target)]


def test_every_tutorial_link_opens_in_the_jupyterlab_the_docs_start():
    roots, links = lab_roots(), notebook_links()
    assert roots and any(target.startswith("../docs/") for _, target in links)
    dead = [f"{notebook.name} → {target} in the Lab of {command}"
            for command, root in roots.items() for notebook, target in links
            if not _opens((notebook.parent / target.partition("#")[0]).resolve(), root)]
    assert not dead, "\n".join(dead)


def _opens(path: Path, root: Path) -> bool:
    return path.is_relative_to(root) and path.exists()
