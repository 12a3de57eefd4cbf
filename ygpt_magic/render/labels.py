"""A classification as the cell shows it: labels and confidences best first, the footer under it.

Labels come from the user or the service, so the table is built as Markdown with every cell
escaped and goes through ``inert`` like every other output (a label ``<img onerror=…>`` shows as
text); the plain form is the same table aligned, for terminals and logs. The output carries the
reply's provenance in its metadata, as a chat reply's does, so ``%ygpt provenance NOTEBOOK``
lists a saved notebook's classifications too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..cache import provenance
from ..chat.values import Reply
from ..words import columns, padded
from . import inert, stream
from .forms import join


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table(confidences: Mapping[str, float]) -> tuple[str, str]:
    """(markdown, plain) of ``label | confidence`` rows in the order given (best first)."""
    rows = [(label, f"{value:.3f}") for label, value in confidences.items()]
    markdown = ["| label | confidence |", "|---|---:|"]
    markdown += [f"| {_cell(label)} | {value} |" for label, value in rows]
    width = max(len("label"), *(columns(label) for label, _ in rows))
    plain = [f"{'label'.ljust(width)}  confidence"]
    plain += [f"{padded(label, width)}  {value:>10}" for label, value in rows]
    return "\n".join(markdown), "\n".join(plain)


def show(reply: Reply, notes: Sequence[str] = ()) -> None:
    """Display ``reply`` (its ``parsed`` holds ``{label: confidence}``) with its footer, and
    ``notes`` above it (what interpolation rendered or cut, as a chat reply shows them)."""
    markdown, plain = table(reply.parsed)
    stream.show(inert.bundle(*map(inert.quiet, notes), inert.markdown(markdown), inert.quiet(reply.summary()),
                             plain=join(*notes, plain, reply.summary())),
                provenance.metadata(reply))
