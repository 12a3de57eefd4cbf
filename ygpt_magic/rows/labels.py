"""`%%ygpt --map NAME --labels A,B,C`: one classification per row, through the ``--map`` machinery.

Nothing here runs rows: the rows are planned, memoised, replayed from the reply cache, sent,
counted, drawn and summarised by run.py, exactly as completions are. Two small adapters make a
classification look like a completion to it: :class:`LabelPlanner` plans a row as the one text
to classify (its key holds the labels, task and samples), and :class:`_Classifying` hands the
rows to ``Client.classify_many`` and each answer back as an ``Answer`` whose text is the predictions.
At the end the answers become a DataFrame on the rows' index: ``label``, ``confidence`` and one
column per label, so ``df.join(result)`` and ``result[result.confidence < 0.7]`` work.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .. import cost_cap
from ..chat import Message, Plan, RequestOptions
from ..chat.accounts import CLASSIFICATIONS
from ..client.classify import Classification, Classifier
from ..errors import OptionError
from ..kernel import Kernel
from .costs import capped
from .plans import RowPlanner, RowText
from .progress import Tally
from .run import MapCell, finish, plan_rows, rows_named, send_rows

#: the result's first columns, the best label and its confidence; a column per label follows
RESULT_COLUMNS = ("label", "confidence")


@dataclasses.dataclass
class LabelPlanner(RowPlanner):
    """A row's request: its text (the cell's template filled in for the row), classified."""

    classifier: Classifier = Classifier("")
    mode: str = "classify"
    source: str = CLASSIFICATIONS

    def planned(self, text: RowText, *, checked: bool = True) -> Plan:
        from ..labels import plan

        return plan(self.classifier, text.prompt)

    def read(self, text: RowText) -> list[Message]:
        """The row as the classifier reads it: its text with the task and labels (Classifier.read)."""
        return self.classifier.read(text.prompt)

    @property
    def counted_by(self) -> RequestOptions:
        """The classifier's tokenizer: a tuned one's base model (Classifier.reader)."""
        return RequestOptions(model=self.classifier.reader)

    @property
    def unshown_tokens(self) -> int:
        """The classifier's own instructions (Classifier.unshown_tokens)."""
        return self.classifier.unshown_tokens


class _Job:
    """A classify_many job whose classifications come out as answers (``Classification.answer``)."""

    def __init__(self, job: Any) -> None:
        self._job = job

    def results(self) -> Iterator[Any]:
        for item in self._job.results():
            yield item if item is None else answered(item)

    def cancel(self) -> None:
        self._job.cancel()


def answered(item: Any) -> Any:
    """A classify_many result as complete_many gives one: the classification as an answer."""
    if item[1] is None:
        return item
    return item[0], item[1].answer(), None


class _Classifying:
    """The client as send_rows uses it: ``complete_many`` classifies each row's text."""

    def __init__(self, client: Any, classifier: Classifier) -> None:
        self._client, self._classifier = client, classifier

    def complete_many(self, requests: Iterable[tuple[Any, list[dict[str, Any]], Any]], *, concurrency: int,
                      on_result: Callable[[Any], None] | None = None, **_extras: Any) -> _Job:
        texts = ((tag, messages[-1]["text"]) for tag, messages, _ in requests)
        seen = None if on_result is None else (lambda item: on_result(answered(item)))
        return _Job(self._client.classify_many(self._classifier, texts, concurrency=concurrency, on_result=seen))


def run_labels(kernel: Kernel, args: argparse.Namespace, chosen: Classifier, template: str) -> None:
    """The whole cell: rows planned, reused, classified; the DataFrame in ``_ygpt.results`` and
    ``--out`` (Ctrl-C: what was done, then Interrupted)."""
    from ..labels import options
    from ..map_cell import kept, row_expander
    from ..request import front

    _check_names(chosen)
    cell = MapCell(name=args.map, template=template, out=args.out,
                   concurrency=args.concurrency or kernel.settings.map_concurrency,
                   max_cost=cost_cap.cap(kernel, args.max_cost))
    connection = kernel.connection
    # a classifier's request is its own (labels.options): no chat's options, tools or budget
    plans = LabelPlanner(kernel.session, rows_named(cell.name, kernel.namespace), template, kernel.namespace,
                         row_expander(kernel, template), options(chosen),
                         extras=chosen.extras(), classifier=chosen)
    cache = front(kernel, template, no_cache=args.no_cache)
    tally = Tally(total=len(plans.rows), model=plans.options.model)
    ledger = plans.ledger(cache)
    state = plan_rows(plans, kernel.row_memo, connection.target, tally, ledger,
                      secrets=connection.known_secrets())
    progress = None
    if state.pending:
        budget = capped(plans, state.pending, state.prompt, connection.client(), cell.max_cost, replies=False)
        client = _Classifying(connection.client(), chosen)
        progress = send_rows(plans, state, kernel.row_memo, client, tally, cell.concurrency, ledger, budget)
    done = finish(state, tally, args.out, progress=progress, table=True, ledger=ledger)
    done = dataclasses.replace(done, results=frame(plans.rows, done.results, chosen))
    kept(kernel, f"--labels --map {cell.name}", done, args.out)


def _check_names(chosen: Classifier) -> None:
    """A class named like a result column would overwrite it (``label`` holding a probability)."""
    taken = [name for name in chosen.labels or () if name in RESULT_COLUMNS]
    if taken:
        raise OptionError(f"--labels: {', '.join(repr(name) for name in taken)} names a column of the "
                          f"result (label: the best class, confidence: its probability, then a column "
                          f"per class); call that class something else, e.g. {taken[0]}_.")


def frame(rows: Any, texts: Any, chosen: Classifier) -> Any:
    """The rows' answers (each the predictions as text, None where there is none) as a
    DataFrame: ``label``, ``confidence``, then a column per label."""
    records: list[dict[str, Any] | None] = []
    for text in list(texts):
        if text is None:
            records.append(None)
            continue
        answer = Classification.from_text(text, "", 0)
        records.append({"label": answer.best, "confidence": answer.predictions[0][1],
                        **dict(answer.predictions)})
    columns = [*RESULT_COLUMNS, *(chosen.labels or _seen(records))]
    return rows.frame(records, columns=columns)   # records, without pandas (rows/records.py)


def _seen(records: list[dict[str, Any] | None]) -> list[str]:
    """A tuned classifier's labels, as its answers name them."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(k for k in record or () if k not in ("label", "confidence")))
    return list(names)

