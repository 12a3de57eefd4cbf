"""YGptMagics: `%%ygpt` sends the cell to YandexGPT; `%ygpt <subcommand>` manages the chats.

This module only parses and wires. The settings are traitlets (`%config YGptMagics.<name>`) whose
defaults and values mirror the kernel's one frozen ``Settings`` value (kernel.py); a cell's flags
are parsed here and handed, with the :class:`~ygpt_magic.kernel.Kernel`, to request.cell (the
door every request goes through); a `%ygpt` line goes to its subcommand in commands/. What a
cell needs beyond registering the magics is imported where it is used, so `%load_ext` stays
light; the background import (client/preload.py) brings it all in before the first cell.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, kwds, magic_arguments
from traitlets import All, Dict, Float, Int, TraitError, Unicode, default, observe, validate

from . import commands
from .cache import MODES as CACHE_MODES
from .cache import settings as cache_settings
from .chat import FORMATS, Options
from .chat import prices as pricing
from .client import preload
from .commands.args import (
    CommaList,
    chat_arg,
    check_docs_flags,
    check_map_flags,
    check_map_out,
    max_cost_arg,
    option_args,
    parse_flags,
    sentence,
    tool_args,
)
from .commands.boundary import as_usage_error
from .commands.cell_form import CELL, TwoForms
from .commands.flag_values import variable_name, whole_number
from .commands.out_names import out_name
from .config_loading import RefusedConfigDropped
from .errors import OptionError, StoppedBeforeAsking, YGptError
from .kernel import DEFAULT, Kernel, Settings
from .render import inert

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Bunch

#: What the methods below import where they use it, for the background import to bring in.
LATER = ("ygpt_magic.request", "ygpt_magic.exchange", "ygpt_magic.labels",
         "ygpt_magic.context.images", *(f"ygpt_magic.commands.{name}" for name in commands.NAMES),
         *inert.PARSER_MODULES)


#: the settings in seconds that 0 would break (every request stopped at once, a poll loop that spins)
POSITIVE_SECONDS = ("timeout", "connect_timeout", "poll_interval", "batch_poll_interval")
#: the most any setting in seconds may hold: past it, gRPC's deadlines and time.sleep overflow
MAX_SECONDS = 86_400


@magics_class
class YGptMagics(RefusedConfigDropped, Magics):
    """`%%ygpt` and `%ygpt`; settings with `%config YGptMagics.<name> = value`."""

    model = Unicode(DEFAULT.model, config=True,
                    help="Default model for chats that set none: yandexgpt, yandexgpt-lite, "
                         "yandexgpt/rc, or gpt://<folder>/<name>/<version>.")
    temperature = Float(DEFAULT.temperature, allow_none=True, config=True,
                        help="Default sampling temperature, 0..1 (None: the model's default).")
    max_tokens = Int(DEFAULT.max_tokens, allow_none=True, config=True,
                     help="Default limit on reply tokens (None: the model's default).")
    context_budget = Int(DEFAULT.context_budget, allow_none=True, config=True,
                         help="Tokens a request may use; older turns are left out to fit. "
                              "None: the model's context size minus max_tokens.")
    render_interval = Float(DEFAULT.render_interval, config=True,
                            help="Seconds between display updates while a reply streams.")
    default_format = Unicode(DEFAULT.default_format, config=True,
                             help="How replies are shown: markdown, text, code or json.")
    timeout = Float(DEFAULT.timeout, config=True, help="Seconds a request may take in total.")
    connect_timeout = Float(DEFAULT.connect_timeout, config=True,
                            help="Seconds to wait for the server to accept a connection.")
    stream_timeout = Float(DEFAULT.stream_timeout, config=True,
                           help="Seconds a stream may go without a chunk before it is stopped "
                                "(0: no limit).")
    retries = Int(DEFAULT.retries, config=True,
                  help="Retries of UNAVAILABLE / RESOURCE_EXHAUSTED by the SDK's retry policy.")
    retry_backoff = Float(DEFAULT.retry_backoff, config=True,
                          help="First retry delay in seconds (grows ×1.5).")
    poll_interval = Float(DEFAULT.poll_interval, config=True,
                          help="Seconds between polls in --deferred mode.")
    map_concurrency = Int(DEFAULT.map_concurrency, config=True,
                          help="Requests a --map cell keeps in flight at most (--concurrency N).")
    batch_poll_interval = Float(DEFAULT.batch_poll_interval, config=True,
                                help="Seconds between status polls of a --batch job.")
    max_rows = Int(DEFAULT.max_rows, config=True,
                   help="Rows of a DataFrame or Series sent for {name} / {Out[N]}: the first and "
                        "last ones; the prompt says how many were left out.")
    max_columns = Int(DEFAULT.max_columns, config=True, help="Columns of a DataFrame sent (the first ones).")
    max_value_chars = Int(DEFAULT.max_value_chars, config=True,
                          help="Characters one {reference} may send; the rest is left out, "
                               "with a marker saying how many.")
    value_timeout = Float(DEFAULT.value_timeout, config=True,
                          help="Seconds a value's repr may take before the cell is refused "
                               "(0: no limit).")
    fix_instruction = Unicode(DEFAULT.fix_instruction, config=True,
                              help="The system message of %ygpt fix (shown by %ygpt fix --dry-run).")
    docs_instruction = Unicode(DEFAULT.docs_instruction, config=True,
                               help="What a --docs cell's request says before its numbered sources "
                                    "(shown by --dry-run and %ygpt history).")
    max_tool_rounds = Int(DEFAULT.max_tool_rounds, config=True,
                          help="Rounds of tool calls a --tools cell may take before it stops.")
    max_tool_calls = Int(DEFAULT.max_tool_calls, config=True,
                         help="Calls that run from one answer of the model; the rest are answered "
                              "with an error saying so, and the cell notes it.")
    prices = Dict(config=True,
                  help="Roubles per 1,000 tokens (prompt + completion) by model short name, over "
                       "the built-in table of Yandex Cloud's prices (guide: What requests cost): a number for "
                       "every mode, or {\"sync\": x, \"async\": y, \"batch\": z}; e.g. "
                       "{\"yandexgpt\": 1.2}. The default, {}, leaves the built-in table as it is. The "
                       "footer and %ygpt usage estimate with it.")
    max_cost_per_cell = Float(DEFAULT.max_cost_per_cell, allow_none=True, config=True,
                              help="Roubles a cell may cost at most (None: no cap), as --max-cost "
                                   "sets it for one cell. It caps every door: a %%ygpt cell (--map, "
                                   "--batch, --labels, --docs with the embeddings that choose its "
                                   "sources), %ygpt embed and similar, a panel Send and %ygpt fix. "
                                   "A request estimated over it is refused before anything is sent, "
                                   "each later round of a tool exchange is checked before it is sent, "
                                   "and --map rows stop being sent at it: the rows then in flight can "
                                   "pass it only by what they cost above the average answer (guide: "
                                   "What requests cost).")
    cache_path = Unicode(None, allow_none=True, config=True,
                         help="The reply cache file (SQLite); None: no cache. Default: $YGPT_CACHE.")
    cache_mode = Unicode(config=True,
                         help="auto (replay hits, send and record misses), replay (a miss is an "
                              "error; for CI), record (always send), off. Default: "
                              "$YGPT_CACHE_MODE, else auto.")

    def __init__(self, shell: InteractiveShell | None = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.kernel = Kernel(shell, Settings.of(self), change=lambda name, value: setattr(self, name, value))
        if shell is not None:
            for event, callback in self._hooks():
                shell.events.register(event, callback)

    def __repr__(self) -> str:
        return f"<YGptMagics {self.kernel!r}>"

    # -- settings (validators raise TraitError: traitlets then keeps the old value) ------------

    @validate("temperature")
    def _valid_temperature(self, proposal: Bunch) -> Any:
        value = proposal["value"]
        if value is not None and not 0.0 <= value <= 1.0:
            raise TraitError(f"YGptMagics.temperature must be from 0 to 1 (or None), not {value}.")
        return value

    @validate("context_budget", "map_concurrency", "max_rows", "max_columns",
              "max_value_chars", "max_tool_rounds", "max_tool_calls")
    def _valid_positive(self, proposal: Bunch) -> Any:
        """A whole number ≥ 1; ``True`` is refused too (traitlets' Int takes a bool as 1)."""
        value = proposal["value"]
        if value is not None and (isinstance(value, bool) or value < 1):
            raise TraitError(f"YGptMagics.{proposal['trait'].name} must be ≥ 1 (or None), "
                              f"not {value}.")
        return value

    @validate("default_format", "cache_mode")
    def _valid_choice(self, proposal: Bunch) -> Any:
        name, value = proposal["trait"].name, proposal["value"]
        choices = FORMATS if name == "default_format" else CACHE_MODES
        if value not in choices:
            raise TraitError(f"YGptMagics.{name} must be one of {', '.join(choices)}, "
                              f"not {value!r}.")
        return value

    @validate("fix_instruction", "docs_instruction")
    def _valid_instruction(self, proposal: Bunch) -> Any:
        if not proposal["value"].strip():
            raise TraitError(f"YGptMagics.{proposal['trait'].name} must be a non-empty instruction.")
        return proposal["value"]

    @validate("model", "max_tokens")
    def _valid_option(self, proposal: Bunch) -> Any:
        """The rule a flag and a chat file follow (Options gives the clear message)."""
        name = proposal["trait"].name
        try:
            return getattr(Options(**{name: proposal["value"]}), name)
        except OptionError as error:
            raise TraitError(f"YGptMagics.{error}") from None

    @validate("render_interval", "timeout", "connect_timeout", "stream_timeout",
              "retry_backoff", "poll_interval", "retries", "batch_poll_interval", "value_timeout")
    def _valid_seconds(self, proposal: Bunch) -> Any:
        """A number from 0 (above 0 where 0 would stop every request at once: the timeouts and
        polls) to a day, past which gRPC's deadlines and ``time.sleep`` overflow; NaN and
        infinity fail this too (a NaN timeout stopped every request at once)."""
        name, value = proposal["trait"].name, proposal["value"]
        positive = name in POSITIVE_SECONDS
        in_range = (0 < value if positive else 0 <= value) and value <= MAX_SECONDS
        if isinstance(value, bool) or not in_range:  # a bool: only `retries` (an Int) keeps one
            low = "above 0" if positive else "from 0"
            raise TraitError(f"YGptMagics.{name} must be a number {low} to {MAX_SECONDS:,} (a day), "
                              f"not {value}.")
        return value

    @validate("prices")
    def _valid_prices(self, proposal: Bunch) -> Any:
        try:
            pricing.checked(proposal["value"])
        except OptionError as error:
            raise TraitError(str(error)) from None
        return proposal["value"]

    @validate("max_cost_per_cell")
    def _valid_max_cost(self, proposal: Bunch) -> Any:
        from .chat.estimate import cap_of  # the cost arithmetic: only when the setting is given

        try:
            cap_of(proposal["value"], "YGptMagics.max_cost_per_cell")
        except OptionError as error:
            raise TraitError(f"{error} None: no cap.") from None
        return proposal["value"]

    @default("cache_path")
    def _cache_path_from_env(self) -> str | None:
        return cache_settings.path_from(os.environ)

    @default("cache_mode")
    def _cache_mode_from_env(self) -> str:
        return cache_settings.mode_from(os.environ)

    @observe(All)
    def _settings_changed(self, _change: Bunch) -> None:
        # Also called from Magics.__init__ when %config already holds values, before the kernel
        # exists: it is then made with them.
        if hasattr(self, "kernel"):
            self.kernel.settings = Settings.of(self)

    # -- the cells (the kernel passes JupyterLab's cellId to run_cell: context/cells.py) --------

    def _hooks(self) -> tuple[tuple[str, Callable[[Any], None]], ...]:
        cells = self.kernel.cells
        return (("pre_run_cell", cells.before), ("post_run_cell", cells.record))

    # -- the magic -----------------------------------------------------------------------------

    @magic_arguments(CELL)
    @kwds(formatter_class=TwoForms)  # the usage of both forms: `%%ygpt [flags]` and `%ygpt SUBCOMMAND`
    @argument("--system", "-s", metavar="TEXT",
              help="The chat's system instruction (sets or replaces it for this chat).")
    @argument("--once", action="store_true",
              help="Prompt mode: send only this cell (and --system); the chat is untouched.")
    @chat_arg("Use the named chat (default: the current one); each has its own history.")
    @option_args()
    @argument("--reasoning", action="store_true", help="Reasoning mode (ENABLED_HIDDEN).")
    @argument("--json", action="store_true", help="Ask for a JSON object (json_object format).")
    @tool_args()
    @argument("--schema", type=variable_name, metavar="NAME",
              help="Ask for an answer in the schema NAME (a pydantic model, dataclass, TypedDict "
                   "or JSON-schema dict); the validated value is in _ygpt.parsed.")
    @argument("--out", type=out_name, metavar="NAME",
              help="Store the reply text in variable NAME (the Reply is always in _ygpt; with "
                   "--schema, the validated value).")
    @argument("--no-stream", action="store_true", help="One request, no streaming.")
    @argument("--deferred", action="store_true",
              help="Asynchronous mode: start an operation and poll it until it is done.")
    @argument("--dry-run", action="store_true",
              help="Show the exact messages and their token count; send nothing.")
    @argument("--map", metavar="NAME", type=variable_name,
              help="Send the cell once per row of NAME (a list, or a pandas DataFrame or Series): "
                   "{item}, {column}, {row}, {index} are the row's; results in --out / _ygpt.")
    @argument("--concurrency", type=whole_number, metavar="N",
              help="With --map: requests in flight at most (default YGptMagics.map_concurrency).")
    @max_cost_arg("The most this cell may cost, in roubles (default YGptMagics.max_cost_per_cell): "
                  "estimated over it, nothing is sent; with --map, rows stop being sent before "
                  "it is passed, and a re-run with a higher cap sends only the rest.")
    @argument("--batch", action="store_true",
              help="With --map: run the rows as one Yandex Cloud Batch Processing job "
                   "(%%ygpt batch list / status / attach / cancel).")
    @argument("--labels", metavar="A,B,C", action=CommaList,
              help="Classify the cell's text among these labels (2 to 20): a table of labels and "
                   "confidences; _ygpt.text is the best label, _ygpt.parsed {label: confidence}. "
                   "With --map, a DataFrame of label, confidence and one column per label.")
    @argument("--samples", type=variable_name, metavar="NAME",
              help="With --labels: examples for a few-shot classifier, a DataFrame with text and "
                   "label columns or a list of {'text', 'label'} dicts.")
    @argument("--task", metavar="TEXT",
              help="With --labels: what the classifier is asked to do (default: a sentence "
                   "naming the labels).")
    @argument("--append", action="store_true",
              help="Re-running this cell adds a new turn instead of rewinding the chat.")
    @argument("--no-interpolate", action="store_true",
              help="Send {braces} as written instead of filling in {variable} and {expression} values.")
    @argument("--image", metavar="NAME[,NAME]", action=CommaList,
              help="Show the model pictures: variables holding a matplotlib Figure, a PIL image, "
                   "PNG/JPEG bytes, a file path or an IPython Image; Out[N]; or image files. "
                   "Needs a model that takes images (%%ygpt models marks them).")
    @argument("--docs", metavar="PATHS", action=CommaList,
              help="Answer from these files: comma-separated files, folders and globs; the best "
                   "chunks go with the cell as numbered sources (_ygpt.sources).")
    @argument("--top-k", type=whole_number, metavar="N",
              help="With --docs: how many chunks to send at most (default 5, within the budget).")
    @argument("--no-cache", action="store_true",
              help="Neither replay nor record this cell in the reply cache (%%ygpt cache).")
    @no_var_expand  # the line is ours as written: `{{x}}` literal, `{big}` bounded and noted
    @line_cell_magic
    def ygpt(self, line: str, cell: str | None = None) -> Any:
        """Talk to YandexGPT.

        As a cell magic, `%%ygpt [flags]` sends the cell's text and streams the reply below it.
        The next %%ygpt cell continues the same chat (the whole history is sent again);
        re-running a cell rewinds the chat to just before that cell's turn. `{name}` is
        replaced by the variable's value, and braces on one line, with no brace inside, around
        a Python expression (`{df.describe()}`, `{n + 1}`) by its value, evaluated in the
        notebook as IPython does for `!cmd {expr}`; `{price:.2f}` and `{x!r}` format as in an
        f-string; braces around anything else stay as written (`{"a": 1}`, `{0}`), `{{`/`}}` are
        literal braces, and code (fenced or inline) is left alone. `{In[N]}`, `{Out[N]}` and
        `{Err[N]}` are cell N's source, output or error.
        The `%%ygpt` / `%ygpt` line itself is taken as written (IPython does not expand `{x}`
        or `$x` there): `--system` text gets the same rule as the cell's, every other flag is a
        name or a value as typed (a new chat named `$name` says how to use the value instead).
        The last reply is in `_ygpt` (.text, .status, .usage, .model_version, .elapsed).
        `--tools f,g` lets the model call those notebook functions (and only those) before it
        answers (`_ygpt.tool_calls`); `--schema NAME` asks for an answer in that pydantic model,
        dataclass, TypedDict or JSON schema, validated into `_ygpt.parsed`.

        As a line magic, `%ygpt SUBCOMMAND` manages chats, settings and the server: `%ygpt help`
        lists the subcommands, `%ygpt help NAME` (or `%ygpt NAME?`) describes one.
        """
        try:
            _loaded()
            if cell is None:
                return commands.dispatch(self.kernel, line)
            from . import request

            return request.cell(self.kernel, self._parse(line), cell)
        except YGptError as error:
            raise as_usage_error(error) from None

    def _parse(self, line: str) -> argparse.Namespace:
        try:
            args = parse_flags(self.ygpt.parser, line)
        except (UsageError, ValueError) as exc:
            raise OptionError(f"%%ygpt: {sentence(exc)} Run %%ygpt? to see the flags.") from None
        if args.labels or args.samples or args.task or args.model:  # a plain cell has none of them
            from . import labels  # a classification's flags, or a --model that may be a tuned classifier

            labels.check_flags(args)
        if args.deferred and args.no_stream:
            raise OptionError("%%ygpt: --deferred and --no-stream are two different modes; "
                              "use one of them.")
        if args.image and args.deferred:
            raise OptionError("%%ygpt: pictures (--image) go through the chat API, which has no "
                              "deferred mode; drop --deferred.")
        check_map_flags(args)
        check_docs_flags(args)
        if args.once and args.append:
            raise OptionError("%%ygpt: --append has no effect with --once (prompt mode never "
                              "writes to the chat); drop one of them.")
        check_map_out(args)
        return args

    def close(self) -> None:
        """Keep the chats in a file, unregister the cell hooks, close the client, stop a local
        server (on unload)."""
        from .commands.save import on_unload

        on_unload(self.kernel)
        if self.shell is not None:
            for event, callback in self._hooks():
                try:
                    self.shell.events.unregister(event, callback)
                except ValueError:
                    pass
            if self in self.shell.configurables:
                # IPython's list is typed by its first item, the shell; it holds every Configurable
                self.shell.configurables.remove(self)  # type: ignore[arg-type]
        self.kernel.close()


def _loaded() -> None:
    """Wait for the background import (never import what it is importing at the same time); a
    Ctrl-C while the first cell after ``%load_ext`` waits is one paragraph, not a traceback."""
    try:
        preload.wait()
    except KeyboardInterrupt:
        raise StoppedBeforeAsking("the SDK was still loading, as it does in the background after "
                                  "%load_ext") from None
