"""`%ygpt similar TEXT --in NAME`: NAME's rows closest in meaning to TEXT (rows/similar.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from IPython.core.magic_arguments import argument

from ..errors import OptionError
from ..kernel import Kernel
from ..request import front
from ..rows.embed import Embedder, embed
from ..rows.similar import SimilarRun, check_rows, checked_vectors, rank, results_frame
from ..rows.texts import Texts
from . import _embedding
from ._common import show_table
from .args import max_cost_arg, parse, subcommand, variable_name, whole_number

#: characters of a row's text shown in the table (the DataFrame in _ygpt.results has all)
SHOWN = 100


@subcommand
@argument("text", nargs="+", metavar="TEXT", help="What to look for, in your own words.")
@argument("--in", dest="source", metavar="NAME", type=variable_name,
          help="A list of strings, a pandas Series, or a DataFrame (with --column C).")
@argument("--column", metavar="C", help="The DataFrame column that holds the texts.")
@argument("--top", metavar="K", type=whole_number, default=5, help="How many rows (default 5).")
@argument("--vectors", metavar="VAR", type=variable_name,
          help="NAME's matrix made earlier by %%ygpt embed NAME --out VAR, instead of embedding.")
@max_cost_arg("The most embedding NAME's texts and TEXT may cost, in roubles (default "
              "YGptMagics.max_cost_per_cell): estimated over it, nothing is embedded.")
@argument("--no-cache", action="store_true", help="Neither replay nor record in the reply cache.")
def run(kernel: Kernel, line: str) -> None:
    """Show the rows of NAME closest in meaning to TEXT, best first, with their similarity.

    TEXT is embedded with the query model, NAME's texts with the doc model (their vectors come
    from the memo or the reply cache when %ygpt embed made them), under the same cost cap as
    %ygpt embed. When embedding NAME stops short (a refusal every text would get, the cap,
    Ctrl-C), its summary says why and TEXT is not sent. The rows land in _ygpt.results as a
    DataFrame with a similarity column."""
    args = parse(run, line, as_written=True)
    if not args.source:
        raise OptionError("%ygpt similar: say where to look with --in NAME, e.g. "
                          "%ygpt similar where cats sleep --in docs.")
    query = _unquoted(" ".join(args.text))
    if not query.strip():
        raise OptionError("%ygpt similar: TEXT is empty; say what to look for, e.g. "
                          f"%ygpt similar where cats sleep --in {args.source}.")
    found = _embedding.texts(kernel, args.source, args.column, "similar")
    cache = front(kernel, f"similar --in {args.source}", no_cache=args.no_cache)
    embedder = _embedding.embedder(kernel, cache, concurrency=None)
    given = None
    if args.vectors:
        given = checked_vectors(kernel.namespace.get(args.vectors), args.vectors, len(found.texts))
        _check_rows(given, found, embedder, (), args)
    unsent = [] if args.vectors else embedder.unsent(found.texts, "doc")
    _embedding.cap(kernel, embedder, cache, args.max_cost, f"%ygpt similar --in {args.source}",
                   unsent + embedder.unsent([query], "query"), "doc")
    errors: dict[Any, str] = {}
    if given is None:
        rows = embed(found, "doc", embedder)
        if rows.halted:   # its summary said why; the query would stop the same way
            kernel.namespace["_ygpt"] = rows
            return
        given, errors = rows.embeddings, rows.errors
    positions, scores = rank(_query_vector(query, embedder), given, args.top)
    if args.vectors:   # the rows shown, too (a sample was compared before sending)
        _check_rows(given, found, embedder, positions, args)
    results = results_frame(found, positions, scores, args.column)
    summary = f"{len(positions)} of {len(found.texts):,} rows of {args.source} closest to {query!r}"
    kernel.namespace["_ygpt"] = SimilarRun(results, query, errors, summary)
    _show(found, positions, scores, summary)


def _query_vector(query: str, embedder: Embedder) -> Any:
    """TEXT's vector; OptionError when it has none: its error, or the cost cap that NAME's
    texts reached (the query is sent last), or Ctrl-C."""
    asked = embed(Texts("TEXT", [query], [0], [query]), "query", embedder, quiet=True)
    if asked.errors:
        raise OptionError(f"%ygpt similar: TEXT could not be embedded: {asked.errors[0]}")
    if asked.halted:
        why = ("NAME's texts reached the cost cap, so TEXT was not sent. Run it again with a higher "
               "--max-cost" if embedder.budget is not None and embedder.budget.stopped
               else "stopped before TEXT was embedded. Run it again")
        raise OptionError(f"%ygpt similar: {why}; the vectors made so far are kept and reused.")
    return asked.embeddings[0]


def _check_rows(given: Any, found: Texts, embedder: Embedder, ranked: Iterable[int], args: Any) -> None:
    """--vectors VAR: its rows at ``ranked`` and a sample are the vectors of NAME's texts now."""
    redo = f"%ygpt embed {args.source}" + (f" --column {args.column}" if args.column else "")
    check_rows(given, found, lambda text: embedder.remembered(text, "doc"), ranked, redo, args.vectors)


def _unquoted(text: str) -> str:
    """TEXT as written, without quotes around the whole of it."""
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _show(found: Texts, positions: Iterable[int], scores: Iterable[float], summary: str) -> None:
    rows = [[str(found.labels[p]), f"{s:.3f}", _short(found.texts[p])] for p, s in zip(positions, scores)]
    show_table(["row", "similarity", "text"], rows, title=f"{summary} (_ygpt.results)")


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SHOWN else line[:SHOWN - 1] + "…"
