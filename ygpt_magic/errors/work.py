"""Errors of the work a cell does beyond one reply: tools and typed answers, prompts over data
and batch jobs, pictures (a row's own failures: errors/rows.py).
"""

from __future__ import annotations

import re

from ..modelname import model_name
from ..words import counted
from .base import YGptError, _clean
from .origin import CELL, PANEL, Origin, capital
from .service import RefusedForEvery


class ToolError(YGptError):
    """A ``--tools`` function cannot be offered to the model (raised before any request), or
    the tool loop had to stop; the chat is unchanged either way."""


class SchemaError(ToolError):
    """A ``--schema`` value is not a schema pydantic or JSON Schema can describe."""


class ReplyNotValid(YGptError):
    """A typed answer did not validate against its schema; the reply itself was kept: a cell's
    in ``_ygpt.text`` (and its chat, unless ``in_chat`` is False: ``--once`` records no turn), a
    ``--map`` row's (``row``: its label as Python writes it) in ``_ygpt.raw[row]``, the row left
    without a result (see :meth:`of_row`). ``fix``: what to change besides running it again.
    A row's is worded for where its run is (errors/origin.py: after a headless run no kernel
    holds ``_ygpt.raw`` nor the answers a re-run reuses), and :meth:`reason` says it naming no
    row, as errors/rows.py ``RowFailed.reason`` does, for the rows that failed so alike."""

    LOOSEN = "loosen the schema (Optional fields, plainer types)"

    def __init__(self, schema: str, problem: str, *, row: str | None = None, in_chat: bool = True,
                 fix: str = LOOSEN) -> None:
        self.schema, self.problem, self.fix, self.row = schema, problem, fix, row
        cell = (f"The raw text is in _ygpt.text{' and the turn is in the chat' if in_chat else ''}; "
                f"run the cell again")
        super().__init__(lambda origin: self._said(cell if row is None else self._of_row(origin, row)))

    def _said(self, where: str) -> str:
        return f"The answer does not fit the schema {self.schema}: {self.problem}. {where}, or {self.fix}."

    @staticmethod
    def _of_row(origin: Origin, row: str | None) -> str:
        """Where a row's raw text is (``row`` None: not said) and how to ask for it again."""
        if not origin.kernel:
            return f"The row has no result; {origin.again} to ask for it again"
        raw = f"Its raw text is in _ygpt.raw[{row}] and the" if row is not None else "The"
        return f"{raw} row has no result; {origin.again} to ask for this row again (rows with a result are reused)"

    def reason(self, origin: Origin = CELL) -> str:
        """The message naming no row (a row's: without where its raw text is kept)."""
        return self._said(self._of_row(origin, None)) if self.row is not None else self.words(origin)

    @classmethod
    def unfinished(cls, schema: str, status: str) -> ReplyNotValid:
        """A typed answer that ended before it was whole (TRUNCATED_FINAL, CONTENT_FILTER): no
        value can be read from it, so ``--out`` keeps what it held. A looser schema would not
        make a cut answer whole: for the cut one, the fix is more tokens."""
        if status == "TRUNCATED_FINAL":
            return cls(schema, "it was cut at max tokens before it was whole",
                       fix="raise --max-tokens so the whole answer fits")
        return cls(schema, f"it ended before it was whole ({status.lower().replace('_', ' ')})")

    @classmethod
    def validator_raised(cls, schema: str, where: str, validator: str, error: BaseException) -> ReplyNotValid:
        """A validator of the user's schema raised an error pydantic passes on as it is (anything
        but ValueError and AssertionError): the user's code failed on this answer, not ours nor
        the server's, so the fix offered is the validator's."""
        named = validator or "the validator"
        return cls(schema, f"{where}your validator {validator + ' ' if validator else ''}raised {_raised(error)}",
                   fix=f"change {named} so it accepts what the answer holds (the raw text shows it)")

    def of_row(self, row: str) -> ReplyNotValid:
        """The same problem, said of the ``--map`` row labelled ``row``."""
        return ReplyNotValid(self.schema, self.problem, row=row, fix=self.fix)

    def not_in_chat(self) -> ReplyNotValid:
        """The same problem, said of a cell whose reply was not recorded (``--once``)."""
        return ReplyNotValid(self.schema, self.problem, in_chat=False, fix=self.fix)


def _raised(error: BaseException) -> str:
    """``AttributeError: 'list' object has no attribute 'split'``; only the type when the error's
    text is empty or its ``__str__`` (the user's code) fails."""
    try:
        detail = _clean(str(error)).strip()
    except Exception:
        detail = ""
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


class ToolRoundsExceeded(ToolError):
    """The model kept asking for tools after the allowed number of rounds. ``last``: its last
    answer (those calls, not run); ``reply``: the cell's stopped reply, with the calls that ran
    and the tokens every round was billed, which the exchange sets for ``_ygpt``."""

    def __init__(self, rounds: int, last: object = None) -> None:
        super().__init__(lambda origin: (
            f"The model still asked for tools after {counted(rounds, 'round')} of calls, so the "
            f"loop stopped and nothing was added to the chat"
            f"{'' if origin is PANEL else ' (_ygpt.tool_calls holds the calls made)'}. Say in the "
            f"prompt what the model should look up and when to answer, or raise "
            f"YGptMagics.max_tool_rounds."
        ))
        self.rounds, self.last = rounds, last
        self.reply: object = None


class DataExtraMissing(YGptError):
    """Batch jobs read and write datasets as parquet, which needs pyarrow (the ``data`` extra)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} needs pyarrow, which is not installed in this environment. Install it (pip "
            f"install pyarrow, or the data extra: pip install -e '.[data]' in a clone of "
            f"ygpt_magic), restart the kernel and run the cell again."
        )


class SidecarMissing(YGptError):
    """``%ygpt panel --side`` puts the panel in JupyterLab's side area with the sidecar widget."""

    def __init__(self) -> None:
        super().__init__(
            "%ygpt panel --side needs the sidecar package (jupyter-widgets' side-area widget), which "
            "is not installed in this environment. Install it where JupyterLab and the kernel run "
            "(pip install sidecar, or the side extra: pip install -e '.[side]' in a clone), reload "
            "the JupyterLab page and run the cell again; %ygpt panel without --side works as it is."
        )


class DatasetRejected(YGptError):
    """The service refused the uploaded rows (dataset validation): nothing was started."""

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(_clean(p) for p in problems[:3]) or "no reason given"
        more = f" (and {counted(len(problems) - 3, 'more problem')})" if len(problems) > 3 else ""
        super().__init__(f"The batch service rejected the uploaded rows, so no job was started: "
                         f"{shown}{more}. Fix those rows and run the cell again, or drop --batch.")


class BatchFailed(YGptError):
    """A batch job ended FAILED (or CANCELED) with no answers: the reason is the service's. The
    advice follows it: another model only when the service says this one cannot batch (a job on
    a batch model that failed, or one the user cancelled, would be blamed on the wrong thing)."""

    def __init__(self, task_id: str, status: str, reason: str) -> None:
        said = _clean(reason).rstrip(".") or "no reason given"
        super().__init__(f"The batch job {task_id} ended {status}: {said}. Nothing was answered"
                         f"{self._advice(task_id, status, said)}")
        self.task_id, self.status = task_id, status

    @staticmethod
    def _advice(task_id: str, status: str, reason: str) -> str:
        if status == "CANCELED":
            return (f"; a cancelled job keeps no answers. Run the --map cell again to start a new "
                    f"job in place of {task_id}.")
        if "batch" in reason.lower() and "support" in reason.lower():
            return ("; use a model that supports Batch Processing (e.g. --model gemma-3-12b-it or "
                    "qwen2.5-32b-instruct), or run the cell without --batch.")
        return (". The service failed the job, not its model: run the cell again in a while to "
                "start a new job, or without --batch to send the rows one by one.")


class BatchNotCollected(YGptError):
    """Reading a started job's status (``finished`` False) or its answers (True) failed, after
    the retries a passing failure gets: the job itself goes on in the cloud. What went wrong is
    the ``cause``'s first sentence (and the server's words, if it quoted any); its own advice is
    left out, as "run the cell again" would pay for the same rows twice after a kernel restart."""

    def __init__(self, task_id: str, out: str | None, cause: YGptError, *, finished: bool = False) -> None:
        read = "has finished, but reading its answers" if finished else "goes on in the cloud, but reading its status"
        super().__init__(
            f"Batch job {task_id} {read} failed, so this cell stopped waiting for it: {_what_happened(cause)} "
            f"Once that has passed or is fixed, %ygpt batch attach {task_id} --out {out or 'VAR'} collects its "
            f"answers; in this kernel the same cell, run as it is, waits for this job too, but after "
            f"a kernel restart it would start a second job, billed again. %ygpt batch status "
            f"{task_id} shows the job, %ygpt batch cancel {task_id} stops it.")
        self.task_id, self.cause, self.finished = task_id, cause, finished


def _what_happened(error: YGptError) -> str:
    """The first sentence of ``error``'s message, plus the server's own words when it quoted any."""
    message = str(error)
    said = message.find(" The server said: “")
    first = re.match(r".+?[.!?](?=\s+[A-Z%]|$)", message, re.S)
    head = first.group(0) if first else message
    return head + (message[said:] if said >= len(head) else "")


class NotSent(YGptError):
    """A row of a run over many rows that was never sent: the server had refused an earlier row
    for what every row carries (``refusal``, a RefusedForEvery: the key, the folder, the model),
    so the run sent no more. The summary counts these apart from the rows the server refused, so
    a user sees that they were not asked, and that a re-run sends them."""

    _WHAT = ("Not sent: the server refused an earlier row of this run for what every row carries, so "
             "no more rows were sent.")

    def __init__(self, refusal: RefusedForEvery) -> None:
        self.refusal = refusal
        super().__init__(lambda origin: f"{self._WHAT} {refusal.words(origin)}")


class CancelledInFlight(NotSent):
    """A row that was in flight when the server refused another for what every row carries: it
    was sent, and cancelled without waiting for its answer (a re-run sends it again)."""

    _WHAT = ("Cancelled in flight: the server refused another row of this run for what every row "
             "carries, so this row's answer was not waited for.")


class BatchUnknown(YGptError):
    """A `%ygpt batch` subcommand named a job the service does not know."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"There is no batch job {task_id!r} in this folder; %ygpt batch list "
                         f"shows the jobs there are.")


class ImageError(YGptError):
    """``--image NAME`` names nothing usable as a picture (unknown, not an image, a type that is
    none, a library missing); found before anything is sent."""


class ImagesNotTaken(YGptError):
    """The request's model takes no pictures (the catalogue says which do)."""

    def __init__(self, model: str, image_models: tuple[str, ...]) -> None:
        which = ", ".join(image_models) or "none listed"
        first = image_models[0] if image_models else "NAME"
        super().__init__(lambda origin: (
            f"The model '{model_name(model).short}' does not take images, so nothing was sent. "
            f"{capital(origin.model(first))} (models that take images: {which}; %ygpt models "
            f"marks them), or {origin.flag('without pictures (--image, ', 'send it without ')}"
            f"{{name}} or {{Out[N]}} of a picture{origin.flag(')')}."
        ))
        self.model = model


class NoChatEndpoint(YGptError):
    """Pictures go over the chat API (HTTP), and the HOST:PORT target has no HTTP address. The
    advice is the connect that gives it in this kernel (``insecure``: the target was connected
    without TLS, which the command must say again); YGPT_HTTP_ENDPOINT is read only when the
    target is chosen (at the kernel's start, or by %ygpt connect), so setting it in a cell alone
    changes nothing."""

    def __init__(self, endpoint: str, *, insecure: bool = False) -> None:
        super().__init__(
            f"Pictures go through the chat API over HTTP, and {endpoint} has no HTTP address "
            f"set, so nothing was sent. Give it with %ygpt connect {endpoint}"
            f"{' --insecure' if insecure else ''} --http http://HOST:HTTP_PORT (the address "
            f"`ygpt-magic serve` prints after READY), then run the cell again. YGPT_HTTP_ENDPOINT "
            f"gives it too, but only when it is set before the kernel starts."
        )
        self.endpoint = endpoint
