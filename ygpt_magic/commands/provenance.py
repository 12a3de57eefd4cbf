"""`%ygpt provenance [NOTEBOOK.ipynb]`: which model, version and options produced each reply.

Without a notebook: the replies shown in this kernel. With one: the provenance saved in its
outputs' metadata (``cache/provenance.py``), so a notebook received from someone else can be
checked without running it.
"""

from __future__ import annotations

from IPython.core.magic_arguments import argument, magic_arguments

from ..cache import provenance
from ..errors import ChatFileError
from ._common import parse, show, show_table

SUMMARY = "provenance [NOTEBOOK.ipynb]: model, version, options and cache use of each reply"


@magic_arguments(name="ygpt provenance")
@argument("notebook", nargs="?", default=None,
          help="A saved .ipynb to read (default: the replies shown in this kernel).")
def run(magics, line: str) -> None:
    """List the provenance of each reply: model, version, options, tokens, cached or not."""
    args = parse(run, line, "ygpt provenance")
    if args.notebook is None:
        entries, where = list(magics.provenance.entries), "this kernel"
    else:
        try:
            entries, where = provenance.from_notebook(args.notebook), args.notebook
        except (OSError, ValueError, AttributeError) as error:
            raise ChatFileError(args.notebook, f"it is not a readable notebook ({type(error).__name__})") from None
    if not entries:
        show(f"No replies with provenance in {where} yet.")
        return
    show_table(provenance.HEADERS, [provenance.row(cell, record) for cell, record in entries],
               title=f"Replies in {where}")
