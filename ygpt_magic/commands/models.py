"""`%ygpt models`: the models of the catalogue (chat/catalog.py), by short name, with context
sizes and which take pictures (`%%ygpt --image`)."""

from __future__ import annotations

from ..chat import planning
from ..chat.catalog import MODELS
from ..kernel import Kernel
from ._common import show_table
from .args import parse, subcommand


@subcommand
def run(kernel: Kernel, line: str) -> None:
    """List known model names, their context sizes and which take images (--image).

    Names for --model / YGptMagics.model; a full gpt://<folder>/<name>/<version> URI works
    too."""
    parse(run, line)
    current = planning.effective_options(kernel.session, None, kernel.settings).model
    rows = [[("* " if model.name == current else "") + model.name, model.about, f"{model.context:,}",
             "yes" if model.images else ""]
            for model in MODELS]
    show_table(["model", "", "context tokens", "images"], rows)
