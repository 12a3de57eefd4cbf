"""`%ygpt embed NAME`: the embeddings of a list of texts, as one numpy matrix (rows/embed.py)."""

from __future__ import annotations

from typing import Any

from IPython.core.magic_arguments import argument
from IPython.display import display

from ..client.embeddings import embedding_model
from ..errors import Interrupted
from ..kernel import Kernel
from ..request import front, tokenizer
from ..rows.embed import embed
from ..rows.embed_dryrun import dry_run
from ..words import counted
from . import _embedding
from ._common import show
from .args import max_cost_arg, parse, subcommand
from .flag_values import variable_name, whole_number
from .out_names import out_name


@subcommand
@argument("name", metavar="NAME", type=variable_name,
          help="A list of strings, a pandas Series, or a DataFrame (with --column C).")
@argument("--column", metavar="C", help="The DataFrame column that holds the texts.")
@argument("--model", metavar="doc|query|URI", default="doc",
          help="doc (default: texts to search in), query (what you search for), or an emb:// URI.")
@argument("--out", metavar="VAR", type=out_name,
          help="Store the matrix in variable VAR (also in _ygpt.embeddings).")
@argument("--concurrency", metavar="N", type=whole_number,
          help="Texts sent at once (default: %%config YGptMagics.map_concurrency).")
@argument("--dry-run", action="store_true", help="Count the texts and tokens and estimate the cost; send nothing.")
@max_cost_arg("The most the run may cost, in roubles (default YGptMagics.max_cost_per_cell): "
              "estimated over it, nothing is embedded.")
@argument("--no-cache", action="store_true", help="Neither replay nor record in the reply cache.")
def run(kernel: Kernel, line: str) -> None:
    """Embed every text of NAME: a float32 matrix, one row per text in NAME's order.

    Texts are sent concurrently under a progress bar, each one an entry of the reply cache, so a
    re-run (or a restart with the cache on) embeds only new texts. A text that fails is a row of
    NaN with its reason in _ygpt.errors; Ctrl-C keeps what is done. %ygpt similar TEXT --in NAME
    finds the rows closest in meaning to a text."""
    args = parse(run, line)
    model = embedding_model(args.model)
    found = _embedding.texts(kernel, args.name, args.column, "embed")
    cache = front(kernel, f"embed {args.name}", no_cache=args.no_cache)
    embedder = _embedding.embedder(kernel, cache, concurrency=args.concurrency)
    if args.dry_run:   # counted through the reply cache, as a cell's dry run
        display(dry_run(found, model, embedder, tokenizer(kernel, cache)(), kernel.session.accounts.prices,
                        kernel.connection.known_secrets()), raw=True)
        return
    _embedding.cap(kernel, embedder, cache, args.max_cost, f"%ygpt embed {args.name}",
                   found.texts, model, found)
    done = embed(found, model, embedder)
    kernel.provenance.add_run(f"{kernel.cell_name()} (embed {args.name})", done.provenance)
    kernel.namespace["_ygpt"] = done
    if args.out:
        kernel.namespace[args.out] = done.embeddings
    else:
        _say_where(done.embeddings)
    if done.stopped:   # the summary said what is kept and what is left
        raise Interrupted()


def _say_where(embeddings: Any) -> None:
    """Without --out, where the matrix went: ``_ygpt`` is the run (its counts and errors), not
    the array the README promises, and only the guide said ``_ygpt.embeddings``. Rows without a
    vector are NaN, and a matrix with none is not "the vectors": the summary above says why
    texts failed, not what that left in the matrix."""
    import numpy as np

    rows, dimensions = embeddings.shape
    empty = int(np.isnan(embeddings).all(axis=1).sum())
    if rows and empty == rows:
        where = (f"No vector was made (every text failed or was not sent), so {{name}} ({rows:,} × "
                 f"{dimensions} float32) is all NaN. The lines above say why, and _ygpt.errors "
                 f"holds the reason of each text that failed.")
    else:
        nan = f"; the {counted(empty, 'row')} without a vector {'is' if empty == 1 else 'are'} NaN" if empty else ""
        where = (f"The vectors are in {{name}}, a {rows:,} × {dimensions} float32 array (one row per "
                 f"text{nan}); --out VAR stores it in VAR too.")
    show(where.format(name="`_ygpt.embeddings`"), where.format(name="_ygpt.embeddings"))
