"""`%ygpt similar TEXT --in NAME`: NAME's rows closest in meaning to TEXT (rows/similar.py)."""

from __future__ import annotations

from IPython.core.magic_arguments import argument

from ..errors import OptionError
from ..kernel import Kernel
from ..request import front
from ..rows.similar import SIMILARITY, SimilarRun, given_vectors, similar
from ..rows.texts import Texts
from . import _embedding
from ._common import show_table
from .args import max_cost_arg, parse, subcommand
from .flag_values import variable_name, whole_number

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
    DataFrame with a similarity column (a list of dicts over a list, without pandas); when NAME
    has a column of that name, it keeps its values and the similarity goes into the first free
    name, similarity_1, similarity_2, ..., which the output says."""
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
        redo = f"%ygpt embed {args.source}" + (f" --column {args.column}" if args.column else "")
        given = given_vectors(kernel.namespace, args.vectors, found, embedder, redo)
    _embedding.cap(kernel, embedder, cache, args.max_cost, f"%ygpt similar --in {args.source}",
                   [] if given else found.texts, "doc", found, query=query)
    done = similar(found, query, embedder, args.top, given)
    kernel.namespace["_ygpt"] = done
    if isinstance(done, SimilarRun):
        _show(found, done)


def _unquoted(text: str) -> str:
    """TEXT as written, without quotes around the whole of it."""
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _show(found: Texts, done: SimilarRun) -> None:
    """The rows as _ygpt.results has them: each by its label, what ``NAME.loc`` takes; when
    NAME's index repeats labels, by its position too, what ``NAME.iloc`` takes to pick that row."""
    title = f"{done.summary} (_ygpt.results)"
    if done.column != SIMILARITY:
        title += (f"; the similarity is in column {done.column!r}: {found.name} has a {SIMILARITY!r} "
                  f"column of its own, kept as it is")
    if done.repeats and len(done.positions):
        title += (f". {found.name}'s index repeats labels, so a label may name several rows: pick one "
                  f"by its position, e.g. {found.name}.iloc[{done.positions[0]}]")
    positions = [[str(p)] if done.repeats else [] for p in done.positions]
    rows = [[str(label), *at, f"{s:.3f}", _short(found.texts[p])]
            for label, at, p, s in zip(done.labels, positions, done.positions, done.scores)]
    show_table(["row", *(["position"] if done.repeats else []), done.column, "text"], rows, title=title)


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SHOWN else line[:SHOWN - 1] + "…"
