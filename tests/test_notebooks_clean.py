"""The stored tutorial notebooks are safe to publish and honest about what a user sees.

nbval proves the outputs are reproducible; this file proves they are clean: no credential, no
machine-specific or temporary path, no traceback, no warning on stderr, every code cell run in
order, every `%%ygpt` cell's reply kept and compared, and no notebook pinned to one server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

# Shapes of Yandex Cloud credentials and of the headers that carry them.
SECRET_PATTERNS = {
    "API key": re.compile(r"\bAQVN[\w-]{20,}"),
    "IAM token": re.compile(r"\bt1\.[\w.-]{20,}"),
    "OAuth token": re.compile(r"\by[0-3]_[\w-]{20,}"),
    "auth header": re.compile(r"\b(Api-Key|Bearer)\s+[\w.-]{6,}"),
}
PATH_PATTERN = re.compile(
    r"(/tmp/|/var/folders/|/private/var/|/home/\w|/root/|/Users/\w|[A-Z]:\\Users\\|/work/|"
    r"\\AppData\\Local\\Temp)"
)
NOISE_PATTERN = re.compile(r"Traceback \(most recent call last\)|\b\w*Warning\b:|^\s*warn\(", re.M)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(nb: dict) -> list[dict]:
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _output_texts(nb: dict):
    """Yield (cell index, text) for every piece of text in every stored output."""
    for index, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            if "text" in output:
                yield index, "".join(output["text"])
            for mime, value in output.get("data", {}).items():
                if isinstance(value, (str, list)):
                    yield index, "".join(value)
                else:
                    yield index, json.dumps(value)
            if "traceback" in output:
                yield index, "\n".join(output["traceback"])


def _everything(nb: dict) -> str:
    """The whole file as text: sources, outputs and metadata (widget state included)."""
    return json.dumps(nb)


@pytest.fixture(params=NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def notebook(request) -> dict:
    return _load(request.param)


def test_the_tutorials_are_there():
    names = {path.stem for path in NOTEBOOKS}
    assert {"00_setup", "01_prompt_mode", "02_chat_mode", "03_streaming", "04_panel",
            "05_notebook_context"} <= names


def test_no_credentials(notebook):
    text = _everything(notebook)
    for what, pattern in SECRET_PATTERNS.items():
        assert not pattern.search(text), f"a stored notebook contains something shaped like an {what}"


def test_no_temporary_or_machine_paths(notebook):
    for index, text in _output_texts(notebook):
        match = PATH_PATTERN.search(text)
        assert not match, f"cell {index}: output shows a machine-specific path near {match.group()!r}"


def test_no_tracebacks_warnings_or_stderr(notebook):
    """An error is stored only where the tutorial shows one on purpose (a `raises-exception`
    cell, which nbval checks still raises), and even then no traceback text is stored."""
    for index, cell in enumerate(notebook["cells"]):
        meant = "raises-exception" in cell.get("metadata", {}).get("tags", [])
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error" or meant, f"cell {index} stored an error"
            assert output.get("name") != "stderr", f"cell {index} wrote to stderr: {output.get('text')}"
    for index, text in _output_texts(notebook):
        assert not NOISE_PATTERN.search(text), f"cell {index}: traceback or warning in the output"


def test_run_top_to_bottom_once(notebook):
    counts = [cell["execution_count"] for cell in _code_cells(notebook)]
    assert counts == list(range(1, len(counts) + 1)), f"cells not run in order from a fresh kernel: {counts}"


def test_every_reply_is_stored_and_compared(notebook):
    for cell in _code_cells(notebook):
        source = _source(cell)
        if source.startswith("%%ygpt"):
            assert cell["outputs"], f"a %%ygpt cell has no stored reply:\n{source}"
            assert "NBVAL" not in source, f"a %%ygpt cell opts out of nbval's comparison:\n{source}"


def test_not_pinned_to_a_server(notebook):
    for cell in _code_cells(notebook):
        source = _source(cell)
        assert "%ygpt connect" not in source, "the environment picks the server, not the notebook"
        assert "YGPT_ENDPOINT" not in source, "the environment picks the server, not the notebook"


def test_each_tutorial_leads_to_the_next_and_the_last_to_the_docs():
    """A reader who finishes a tutorial finds the following one (04 ended "That is the whole
    tour" with four more to go); the last one sends them on to the documentation."""
    for path, following in zip(NOTEBOOKS, NOTEBOOKS[1:]):
        last = _source(_load(path)["cells"][-1])
        assert re.search(rf"Next: \[[^]]+\]\({following.name}\)", last), f"{path.name} has no Next: link"
    last = _source(_load(NOTEBOOKS[-1])["cells"][-1])
    links = re.findall(r"\]\((\.\./docs/[^)]+)\)", last)
    assert links, f"{NOTEBOOKS[-1].name} does not link to the documentation"
    for link in links:
        assert (NOTEBOOKS[-1].parent / link).exists(), link


def test_install_instructions_are_true(notebook):
    """ygpt_magic is not on PyPI: a tutorial that says how to install names a clone or a wheel."""
    for cell in notebook["cells"]:
        assert not re.search(r"pip install '?ygpt-magic", _source(cell)), _source(cell)
