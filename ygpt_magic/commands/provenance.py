"""`%ygpt provenance [NOTEBOOK.ipynb]`: which model, version and options produced each reply.

Without a notebook: the replies shown in this kernel. With one: the provenance saved in its
outputs' metadata (``cache/provenance.py``), so a notebook received from someone else can be
checked without running it.
"""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..cache import provenance
from ..kernel import Kernel
from ._common import show, show_table
from .args import parse, subcommand


@subcommand
@argument("notebook", nargs="?", default=None, metavar="NOTEBOOK",
          help="A saved .ipynb to read (default: the replies shown in this kernel).")
def run(kernel: Kernel, line: str) -> None:
    """Show which model, version and options produced each reply, and whether it was cached.

    Without NOTEBOOK: the replies shown in this kernel; with it, what a saved notebook's outputs
    say (their metadata)."""
    args = parse(run, line)
    if args.notebook is None:
        entries, where = list(kernel.provenance.entries), "this kernel"
    else:
        entries, where = provenance.from_notebook(args.notebook), args.notebook
    if not entries:
        show(f"No replies with provenance in {where} yet.")
        return
    show_table(provenance.HEADERS, [provenance.row(cell, record) for cell, record in entries],
               title=f"Replies in {where}")
