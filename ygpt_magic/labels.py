"""`%%ygpt --labels A,B,C`: the cell's text classified, a table of labels and confidences.

The door side of a classification (DESIGN.md, "The spine"): the flags are checked when the cell
is parsed (:func:`check_flags`, before anything is read or sent), the labels, samples and task
become one :class:`~ygpt_magic.client.classify.Classifier`, the text is expanded by the cell's
own rule, looked up in the reply cache, sent through ``Client.classify`` (guarded there), entered
in the accounts and shown through ``render/inert``. With ``--map`` the rows go through the
``--map`` machinery (rows/labels.py). ``_ygpt`` is a Reply: ``.text`` the best label,
``.parsed`` ``{label: confidence}`` best first.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from typing import Any

from . import cost_cap
from .chat import Plan, Reply, RequestOptions, Usage
from .chat.accounts import CLASSIFICATIONS
from .client.classify import BASES, Classification, Classifier, can_classify, is_tuned
from .errors import OptionError, StoppedInFlight, stopping
from .kernel import Kernel
from .ledger import Cache, Ledger
from .modelname import model_name
from .words import composed, counted

#: the service's limits (docs/local-server/classifiers.md: "Classifiers based on YandexGPT")
MIN_LABELS, MAX_LABELS, MAX_LABEL_CHARS = 2, 20, 100
#: how a classification is billed (chat/prices.py): no price unless YGptMagics.prices gives one
MODE = "classify"
#: where a classification is entered in the accounts (``%ygpt usage``)
SOURCE = CLASSIFICATIONS
#: flags that shape a chat reply; a classifier answers a table, so none of them applies
NOT_WITH_LABELS = ("system", "chat", "append", "temperature", "max_tokens", "format", "reasoning",
                   "json", "tools", "tool_choice", "schema", "image", "deferred", "no_stream",
                   "batch", "dry_run", "docs", "top_k")


def wanted(args: argparse.Namespace) -> bool:
    """Whether this cell is a classification: ``--labels``, or a tuned classifier's URI."""
    return bool(args.labels) or bool(args.model and is_tuned(args.model))


def check_flags(args: argparse.Namespace) -> None:
    """OptionError for flags that do not go with a classification (called while parsing)."""
    if not wanted(args):
        if args.samples or args.task:
            raise OptionError("%%ygpt: --samples and --task describe a classification: add "
                              "--labels A,B,... (the classes to choose from), or drop them.")
        return
    given = [f"--{name.replace('_', '-')}" for name in NOT_WITH_LABELS if getattr(args, name, None)]
    if given:
        raise OptionError(f"%%ygpt: a classifier answers with a table of labels and confidences, "
                          f"not a chat reply, so {', '.join(given)} does not apply to it; drop "
                          f"{'it' if len(given) == 1 else 'them'}, or drop --labels for a chat reply.")
    if args.model and is_tuned(args.model):
        _check_tuned(args)
    else:
        labels(args.labels)


def _check_tuned(args: argparse.Namespace) -> None:
    if args.labels or args.samples or args.task:
        raise OptionError(f"%%ygpt: {model_name(args.model).short} is a tuned classifier: its labels were fixed when "
                          f"it was tuned, and it takes no --labels, --samples or --task. Drop them "
                          f"to classify with it, or give --model yandexgpt (or yandexgpt-lite) to "
                          f"classify with labels of your own.")


def labels(text: str) -> tuple[str, ...]:
    """The labels of ``--labels A,B,C``, checked against the service's limits."""
    names = tuple(name.strip() for name in text.split(","))
    if any(not name for name in names):
        raise OptionError(f"--labels {text}: one of the labels is empty (two commas in a row, or "
                          f"one at an end). Give the classes separated by commas, e.g. "
                          f"--labels positive,negative,neutral.")
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise OptionError(f"--labels: {', '.join(twice)} is given twice; give each class once.")
    _check_case(names)
    if not MIN_LABELS <= len(names) <= MAX_LABELS:
        raise OptionError(f"--labels: the classifier chooses among {MIN_LABELS} to {MAX_LABELS} "
                          f"labels (the service's limit), and the cell gives {counted(len(names), 'label')}. Give "
                          f"between {MIN_LABELS} and {MAX_LABELS} classes separated by commas.")
    long = [name for name in names if len(name) > MAX_LABEL_CHARS]
    if long:
        raise OptionError(f"--labels: a label has at most {MAX_LABEL_CHARS} characters (the "
                          f"service's limit); '{long[0][:40]}…' has {len(long[0])}. Shorten it.")
    return names


def _check_case(names: tuple[str, ...]) -> None:
    """OptionError for two labels equal but for case (``positive,Positive``): the classifier
    takes them as two classes and splits the confidence between them, so a clear answer reads
    as a coin toss (0.49 each) and falls under any threshold of a second look."""
    seen: dict[str, str] = {}
    for name in names:
        first = seen.setdefault(composed(name).casefold(), name)
        if first != name:
            raise OptionError(f"--labels: {first!r} and {name!r} differ only in case: the classifier "
                              f"would take them as two classes and split the confidence between them "
                              f"(a clearly {first!r} text would score under 0.5 on each); give one.")


def classifier(kernel: Kernel, args: argparse.Namespace) -> Classifier:
    """The cell's classifier: its model (``--model``, else the notebook's), labels, task, samples."""
    model = model_name(args.model or kernel.settings.model).classifier
    if not can_classify(model):
        raise OptionError(_not_a_classifier(model, given=bool(args.model)))
    if is_tuned(model):
        return Classifier(model)
    names = labels(args.labels)
    task = args.task or f"Classify the text as one of: {', '.join(names)}."
    given = () if not args.samples else samples(kernel.namespace, args.samples, names)
    return Classifier(model, names, task, given)


def _not_a_classifier(model: str, *, given: bool) -> str:
    """Why ``model`` cannot take --labels, and which can: said before a NOT_FOUND would say
    it was not found, with a chat model's advice."""
    whose = f"--model {model} is" if given else f"the notebook's model, {model} (YGptMagics.model), is"
    return (f"%%ygpt --labels: {whose} a chat model, not a classifier. Yandex Cloud's classifiers "
            f"run on {' or '.join(BASES)} (any version, e.g. yandexgpt-lite/rc), or are tuned "
            f"classifiers named by a cls://<folder_id>/<name>/<version> URI. "
            f"{'Give' if given else 'Add'} --model yandexgpt (or yandexgpt-lite) to this cell.")


def samples(namespace: Mapping[str, Any], name: str, names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``--samples NAME``: (text, label) pairs from a DataFrame with ``text`` and ``label``
    columns or a list of ``{"text", "label"}`` dicts, every label one of ``names``."""
    if name not in namespace:
        raise OptionError(f"--samples {name}: there is no variable named '{name}'. Define it in a "
                          f"code cell (a DataFrame with text and label columns, or a list of "
                          f"{{'text': ..., 'label': ...}} dicts), then run this cell again.")
    pairs = _pairs(namespace[name], name)
    for text, label in pairs:
        if label not in names:
            raise OptionError(f"--samples {name}: the sample {text[:40]!r} is labelled {label!r}, "
                              f"which is not one of --labels ({', '.join(names)}). Add the label to "
                              f"--labels or fix the sample.")
    return pairs


def _pairs(value: Any, name: str) -> tuple[tuple[str, str], ...]:
    columns = getattr(value, "columns", None)
    if columns is not None:
        if "text" not in columns or "label" not in columns:
            raise OptionError(f"--samples {name}: the DataFrame needs a 'text' and a 'label' column "
                              f"(it has {', '.join(map(str, columns)) or 'none'}). Rename its "
                              f"columns, e.g. {name}.rename(columns={{...}}), and run the cell again.")
        return tuple(zip(map(str, value["text"]), map(str, value["label"])))
    if isinstance(value, (list, tuple)) and all(isinstance(s, Mapping) and "text" in s and "label" in s
                                                for s in value):
        return tuple((str(s["text"]), str(s["label"])) for s in value)
    raise OptionError(f"--samples {name}: {name} is a {type(value).__name__}; give a DataFrame with "
                      f"'text' and 'label' columns, or a list of {{'text': ..., 'label': ...}} dicts.")


def options(chosen: Classifier) -> RequestOptions:
    """A classification's options: its model alone (a classifier takes no temperature or format),
    what the reply cache, the rows' memo and the accounts key it by."""
    return RequestOptions(model=chosen.model)


def plan(chosen: Classifier, text: str) -> Plan:
    """One text's request as the reply cache and the rows' memo read requests."""
    return Plan(chat="", prompt=text, cell_id=None, once=True, options=options(chosen),
                messages=chosen.messages(text), keep=0, rewound=0, trimmed=0)


def cell(kernel: Kernel, args: argparse.Namespace, text: str) -> None:
    """A ``--labels`` cell: classified, shown, kept in ``_ygpt`` (and ``--out``: the best label)."""
    from . import request

    chosen = classifier(kernel, args)
    if args.map:
        from .rows.labels import run_labels

        return run_labels(kernel, args, chosen, text)
    expanded = request.expand(kernel, text, fill=not args.no_interpolate)
    prompt = expanded.text.strip("\n")
    if not prompt.strip():
        raise OptionError("The %%ygpt --labels cell is empty: write the text to classify on the "
                          "lines below %%ygpt.")
    cache = request.front(kernel, prompt, no_cache=args.no_cache)
    asked = plan(chosen, prompt)
    cost_cap.check_read(kernel, chosen.model, MODE, chosen.read(prompt), RequestOptions(model=chosen.reader),
                        request.tokenizer(kernel, cache)(), args.max_cost, chosen.unshown_tokens)
    reply = _answer(kernel, chosen, asked, cache)
    kernel.provenance.add(f"{kernel.cell_name()} (“{prompt.splitlines()[0][:60]}”)", reply)
    from .render.labels import show

    show(reply, expanded.notes)
    kernel.namespace["_ygpt"] = reply
    if args.out:
        kernel.namespace[args.out] = reply.text
    return None


def _answer(kernel: Kernel, chosen: Classifier, asked: Plan, cache: Cache | None) -> Reply:
    """The classification replayed from the cache, or sent (and recorded), as a Reply."""
    ledger = Ledger(kernel.session.accounts, SOURCE, MODE, cache)
    extras = chosen.extras()
    started = time.monotonic()
    found = ledger.replayed(asked.messages, asked.options, extras)
    if found is not None:
        answer = Classification.from_text(found.text, found.model_version, found.usage.input_tokens)
        return as_reply(answer, asked, time.monotonic() - started, ledger, cached=True, recorded=found.recorded)
    with stopping(lambda: StoppedInFlight("the text was classified", "run the cell again to classify it")):
        answer = kernel.connection.client().classify(chosen, asked.prompt)
    ledger.sent(asked.messages, asked.options, extras, answer.answer())
    return as_reply(answer, asked, time.monotonic() - started, ledger)


def as_reply(answer: Classification, asked: Plan, elapsed: float, ledger: Ledger, *, cached: bool = False,
             recorded: str = "") -> Reply:
    """The classification as the cell's reply, priced as every reply is (what it cost, or what
    a replayed one saved; without a classify price its footer says "no price", as ``%ygpt usage``
    does, so a missing cost does not read as free)."""
    usage = Usage.read_only(answer.input_tokens)
    cost = ledger.cost(usage, asked.options.model)
    return Reply(text=answer.best, status="FINAL", usage=usage, model=asked.options.model,
                 model_version=answer.model_version, elapsed=elapsed, messages=tuple(asked.messages),
                 parsed=dict(answer.predictions), options=asked.options, cached=cached, recorded=recorded,
                 cost=cost, unpriced=cost is None)
