"""YGptMagics: `%%ygpt` sends the cell to YandexGPT; `%ygpt <subcommand>` manages the chats.

This module only parses and wires: flags, `{name}` interpolation and the cell id →
chat.planning.plan_request (the rule the panel follows too), then exchange.run_exchange with a
StreamRenderer. Chat rules live in chat/, the SDK in client/, output in render/, subcommands in
commands/ (their shared flags in commands/args.py). What a cell needs beyond registering the
magics is imported in the method that uses it, so `%load_ext` stays light; the background
import (client/preload.py) brings it all in before the first cell.
"""

from __future__ import annotations

import argparse
import math
import os
from functools import cached_property
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Dict, Float, Int, TraitError, Unicode, default, observe, validate

from . import commands, render
from .cache import MODES as CACHE_MODES
from .cache import ReplyCache
from .cache import replies as cache_settings
from .cache.provenance import Log as ProvenanceLog
from .chat import FORMATS, ChatSession, Options, Plan, RequestOptions, planning
from .chat import prices as pricing
from .client import preload
from .client.connection import Connection
from .client.settings import DEFAULTS, ClientSettings
from .commands.args import chat_arg, option_args, parse_flags, sentence, tool_args, variable_name, whole_number
from .commands.boundary import as_usage_error
from .config_loading import RefusedConfigDropped
from .context.cells import NotebookCells
from .errors import OptionError, YGptError
from .render import inert

#: What the methods below import where they use it, for the background import to bring in.
LATER = ("ygpt_magic.commands._request", "ygpt_magic.commands._rows", "ygpt_magic.exchange",
         "ygpt_magic.context.images", *(f"ygpt_magic.commands.{name}" for name in commands.NAMES),
         *inert.PARSER_MODULES)


@magics_class
class YGptMagics(RefusedConfigDropped, Magics):
    """`%%ygpt` and `%ygpt`; settings with `%config YGptMagics.<name> = value`."""

    model = Unicode("yandexgpt", config=True,
                    help="Default model for chats that set none: yandexgpt, yandexgpt-lite, "
                         "yandexgpt/rc, or gpt://<folder>/<name>/<version>.")
    temperature = Float(None, allow_none=True, config=True,
                        help="Default sampling temperature, 0..1 (None: the model's default).")
    max_tokens = Int(None, allow_none=True, config=True,
                     help="Default limit on reply tokens (None: the model's default).")
    context_budget = Int(None, allow_none=True, config=True,
                         help="Tokens a request may use; older turns are left out to fit. "
                              "None: the model's context size minus max_tokens.")
    render_interval = Float(render.RENDER_INTERVAL, config=True,
                            help="Seconds between display updates while a reply streams.")
    default_format = Unicode("markdown", config=True,
                             help="How replies are shown: markdown, text, code or json.")
    timeout = Float(DEFAULTS.timeout, config=True, help="Seconds a request may take in total.")
    connect_timeout = Float(DEFAULTS.connect_timeout, config=True,
                            help="Seconds to wait for the server to accept a connection.")
    stream_timeout = Float(DEFAULTS.stream_timeout, config=True,
                           help="Seconds a stream may go without a chunk before it is stopped "
                                "(0: no limit).")
    retries = Int(DEFAULTS.retries, config=True,
                  help="Retries of UNAVAILABLE / RESOURCE_EXHAUSTED by the SDK's retry policy.")
    retry_backoff = Float(DEFAULTS.retry_backoff, config=True,
                          help="First retry delay in seconds (grows ×1.5).")
    poll_interval = Float(DEFAULTS.poll_interval, config=True,
                          help="Seconds between polls in --deferred mode.")
    map_concurrency = Int(8, config=True,
                          help="Requests a --map cell keeps in flight at most (--concurrency N).")
    batch_poll_interval = Float(5.0, config=True,
                                help="Seconds between status polls of a --batch job.")
    max_rows = Int(20, config=True,
                   help="Rows of a DataFrame or Series sent for {name} / {Out[N]}: the first and "
                        "last ones; the prompt says how many were left out.")
    max_columns = Int(20, config=True, help="Columns of a DataFrame sent (the first ones).")
    max_value_chars = Int(8000, config=True,
                          help="Characters one {reference} may send; the rest is left out, "
                               "with a marker saying how many.")
    value_timeout = Float(5.0, config=True,
                          help="Seconds a value's repr may take before the cell is refused "
                               "(0: no limit).")
    fix_instruction = Unicode(
        "You fix Python code in a Jupyter notebook. Explain in one or two sentences why the "
        "cell fails, then give the whole corrected cell in one ```python code block.",
        config=True, help="The system message of %ygpt fix (shown by %ygpt fix --dry-run).")
    max_tool_rounds = Int(5, config=True,
                          help="Rounds of tool calls a --tools cell may take before it stops.")
    max_tool_calls = Int(32, config=True,
                         help="Calls that run from one answer of the model; the rest are answered "
                              "with an error saying so, and the cell notes it.")
    prices = Dict(config=True,
                  help="Roubles per 1,000 tokens (prompt + completion) by model short name, over "
                       "the built-in table of Yandex Cloud's prices (guide: What requests cost): a number for "
                       "every mode, or {\"sync\": x, \"async\": y, \"batch\": z}; e.g. "
                       "{\"yandexgpt\": 1.2}. The footer and %ygpt usage estimate with it.")
    cache_path = Unicode(None, allow_none=True, config=True,
                         help="The reply cache file (SQLite); None: no cache. Default: $YGPT_CACHE.")
    cache_mode = Unicode(config=True,
                         help="auto (replay hits, send and record misses), replay (a miss is an "
                              "error; for CI), record (always send), off. Default: "
                              "$YGPT_CACHE_MODE, else auto.")

    def __init__(self, shell=None, **kwargs):
        super().__init__(shell=shell, **kwargs)
        self.session = ChatSession()
        self.session.accounts.prices = pricing.builtin().overridden(self.prices)
        self.batch_jobs: dict = {}   # task id → rows.batch.BatchRecord of the jobs started here
        self.connection = Connection(self._client_settings)
        self.cells = NotebookCells(shell)
        self.cache = ReplyCache(self.cache_path, self.cache_mode)
        self.provenance = ProvenanceLog()
        self._cell_id: str | None = None
        if shell is not None:
            for event, callback in self._hooks():
                shell.events.register(event, callback)

    def __repr__(self) -> str:
        return f"<YGptMagics {self.connection!r} chats={list(self.session.chats)}>"

    # -- settings (validators raise TraitError: traitlets then keeps the old value) ------------

    @validate("temperature")
    def _valid_temperature(self, proposal):
        value = proposal["value"]
        if value is not None and not 0.0 <= value <= 1.0:
            raise TraitError(f"YGptMagics.temperature must be from 0 to 1 (or None), not {value}.")
        return value

    @validate("context_budget", "map_concurrency", "max_rows", "max_columns",
              "max_value_chars", "max_tool_rounds", "max_tool_calls")
    def _valid_positive(self, proposal):
        value = proposal["value"]
        if value is not None and value < 1:
            raise TraitError(f"YGptMagics.{proposal['trait'].name} must be ≥ 1 (or None), "
                              f"not {value}.")
        return value

    @validate("default_format", "cache_mode")
    def _valid_choice(self, proposal):
        name, value = proposal["trait"].name, proposal["value"]
        choices = FORMATS if name == "default_format" else CACHE_MODES
        if value not in choices:
            raise TraitError(f"YGptMagics.{name} must be one of {', '.join(choices)}, "
                              f"not {value!r}.")
        return value

    @validate("fix_instruction")
    def _valid_instruction(self, proposal):
        if not proposal["value"].strip():
            raise TraitError("YGptMagics.fix_instruction must be a non-empty instruction.")
        return proposal["value"]

    @validate("model", "max_tokens")
    def _valid_option(self, proposal):
        """The rule a flag and a chat file follow (Options gives the clear message)."""
        name = proposal["trait"].name
        try:
            return getattr(Options(**{name: proposal["value"]}), name)
        except OptionError as error:
            raise TraitError(f"YGptMagics.{error}") from None

    @validate("render_interval", "timeout", "connect_timeout", "stream_timeout",
              "retry_backoff", "poll_interval", "retries", "batch_poll_interval", "value_timeout")
    def _valid_seconds(self, proposal):
        # NaN and infinity fail this too (a NaN timeout stopped every request at once)
        if not 0 <= proposal["value"] < math.inf:
            raise TraitError(f"YGptMagics.{proposal['trait'].name} must be a finite number "
                              f"≥ 0, not {proposal['value']}.")
        return proposal["value"]

    @validate("prices")
    def _valid_prices(self, proposal):
        try:
            pricing.checked(proposal["value"])
        except OptionError as error:
            raise TraitError(str(error)) from None
        return proposal["value"]

    @observe("prices")
    def _prices_changed(self, change) -> None:
        if hasattr(self, "session"):  # (also called by Magics.__init__, before it exists)
            self.session.accounts.prices = pricing.builtin().overridden(change["new"])

    @default("cache_path")
    def _cache_path_from_env(self):
        return cache_settings.path_from(os.environ)

    @default("cache_mode")
    def _cache_mode_from_env(self):
        return cache_settings.mode_from(os.environ)

    @observe("cache_path", "cache_mode")
    def _cache_changed(self, _change) -> None:
        if hasattr(self, "cache"):  # (also called by Magics.__init__, before it exists)
            self.cache.configure(self.cache_path, self.cache_mode)

    @observe("timeout", "connect_timeout", "stream_timeout", "retries", "retry_backoff",
             "poll_interval")
    def _client_settings_changed(self, _change) -> None:
        # Also called from Magics.__init__ when %config already holds values (before
        # self.connection exists): nothing to drop then.
        if hasattr(self, "connection"):
            self.connection.drop_client()

    def _client_settings(self) -> ClientSettings:
        return ClientSettings(timeout=self.timeout, connect_timeout=self.connect_timeout,
                              stream_timeout=self.stream_timeout or None, retries=self.retries,
                              retry_backoff=self.retry_backoff, poll_interval=self.poll_interval)

    def effective_options(self, chat: str | None) -> RequestOptions:
        """What a chat's next request uses: its own options where set, else these settings,
        else the built-in defaults (``planning.resolve``, the rule the panel shows too)."""
        return planning.effective_options(self.session, chat, self)

    # -- cell ids (the kernel passes JupyterLab's cellId to run_cell) --------------------------

    @property
    def cell_id(self) -> str | None:
        """The running cell's id, when the frontend sent one (JupyterLab, Notebook 7)."""
        return self._cell_id

    def _pre_run_cell(self, info) -> None:
        self._cell_id = getattr(info, "cell_id", None)

    def _post_run_cell(self, _result) -> None:
        self._cell_id = None

    def _hooks(self) -> tuple:
        return (("pre_run_cell", self._pre_run_cell), ("post_run_cell", self._post_run_cell),
                ("pre_run_cell", self.cells.before), ("post_run_cell", self.cells.record))

    # -- the magic -----------------------------------------------------------------------------

    @magic_arguments()
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
    @argument("--out", type=variable_name, metavar="NAME",
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
    @argument("--batch", action="store_true",
              help="With --map: run the rows as one Yandex Cloud Batch Processing job "
                   "(%%ygpt batch list / status / attach / cancel).")
    @argument("--append", action="store_true",
              help="Re-running this cell adds a new turn instead of rewinding the chat.")
    @argument("--no-interpolate", action="store_true",
              help="Send {braces} as written instead of filling in {variable} and {expression} values.")
    @argument("--image", metavar="NAME[,NAME]",
              help="Show the model pictures: variables holding a matplotlib Figure, a PIL image, "
                   "PNG/JPEG bytes, a file path or an IPython Image; Out[N]; or image files. "
                   "Needs a model that takes images (%%ygpt models marks them).")
    @argument("--no-cache", action="store_true",
              help="Neither replay nor record this cell in the reply cache (%%ygpt cache).")
    @line_cell_magic
    def ygpt(self, line: str, cell: str | None = None):
        """Talk to YandexGPT.

        As a cell magic, `%%ygpt [flags]` sends the cell's text and streams the reply below it.
        The next %%ygpt cell continues the same chat (the whole history is sent again);
        re-running a cell rewinds the chat to just before that cell's turn. `{name}` is
        replaced by the variable's value, and braces on one line, with no brace inside, around
        a Python expression (`{df.describe()}`, `{n + 1}`) by its value, evaluated in the
        notebook as IPython does for `!cmd {expr}`; braces around anything else stay as written
        (`{"a": 1}`, `{x!r}`), `{{`/`}}` are literal braces, and fenced code is left alone. `{In[N]}`, `{Out[N]}` and
        `{Err[N]}` are cell N's source, output or error.
        The last reply is in `_ygpt` (.text, .status, .usage, .model_version, .elapsed).
        `--tools f,g` lets the model call those notebook functions (and only those) before it
        answers (`_ygpt.tool_calls`); `--schema NAME` asks for an answer in that pydantic model,
        dataclass, TypedDict or JSON schema, validated into `_ygpt.parsed`.

        As a line magic, `%ygpt SUBCOMMAND` manages chats, settings and the server: `%ygpt help`
        lists the subcommands, `%ygpt help NAME` describes one.
        """
        preload.wait()  # never import what the background import is importing at the same time
        try:
            if cell is None:
                return commands.dispatch(self, line)
            return self._ask(line, cell)
        except YGptError as error:
            raise as_usage_error(error) from None

    @cached_property
    def row_memo(self):
        """The answered ``--map`` rows (rows/memo.py), made with the first ``--map`` cell."""
        from .rows import RowMemo

        return RowMemo()

    def _ask(self, line: str, cell: str):
        from .commands import _request, _rows
        from .context import images

        args = self._parse(line)
        if args.map:
            return _rows.run(self, args, cell)
        expanded = _request.expand(self, cell, fill=not args.no_interpolate)
        _request.check(self, "--system", args.system)
        prompt = expanded.text.strip("\n")
        if not prompt.strip():
            raise OptionError("The %%ygpt cell is empty: write the prompt on the lines below "
                              "%%ygpt.")
        pictures = images.pictures(args.image, self._user_ns(), expanded.pictures)
        cache = None if args.no_cache else _request.reply_cache(self, prompt)
        plan = self._plan(prompt, args, _request.client_getter(self, cache), pictures)
        mode = "deferred" if args.deferred else "once" if args.no_stream else "stream"
        _request.send(self, plan, expanded.notes, mode=mode, dry_run=args.dry_run, out=args.out,
                      schema=args.schema, cache=cache)

    def tool_loop(self, plan: Plan, schema: str | None = None):
        """The tool loop for ``plan`` (its tools, the cell's or the chat's; ``--schema``), or
        None; every function and schema is checked before anything is sent."""
        if not plan.options.tools and schema is None:
            return None
        from .commands import _request
        from .tools.loop import loop_for

        return loop_for(plan.options, self._user_ns(), schema=schema,
                        max_rounds=self.max_tool_rounds, max_calls=self.max_tool_calls,
                        limits=_request.limits(self), secrets=self.connection.known_secrets())

    def _parse(self, line: str) -> argparse.Namespace:
        from .rows import check_map_flags

        try:
            args = parse_flags(self.ygpt.parser, line)
        except (UsageError, ValueError) as exc:
            raise OptionError(f"%%ygpt: {sentence(exc)} Run %%ygpt? to see the flags.") from None
        if args.deferred and args.no_stream:
            raise OptionError("%%ygpt: --deferred and --no-stream are two different modes; "
                              "use one of them.")
        if args.image and args.deferred:
            raise OptionError("%%ygpt: pictures (--image) go through the chat API, which has no "
                              "deferred mode; drop --deferred.")
        check_map_flags(args)
        if args.once and args.append:
            raise OptionError("%%ygpt: --append has no effect with --once (prompt mode never "
                              "writes to the chat); drop one of them.")
        return args

    def _plan(self, prompt: str, args: argparse.Namespace, get_client,
              pictures: tuple = ()) -> Plan:
        """The flags → planning.plan_request, the rule the panel follows too."""
        from .commands import _request

        return planning.plan_request(
            self.session, prompt, settings=self, get_client=get_client,
            chat=args.chat, cell_id=self._cell_id, append=args.append, once=args.once,
            system=args.system, flags=_request.flags(args), pictures=pictures)

    def _user_ns(self) -> dict[str, Any]:
        """The notebook's namespace: a cell runs only in the shell that loaded the extension."""
        assert self.shell is not None, "the magics run in the shell they were registered with"
        return self.shell.user_ns

    def close(self) -> None:
        """Unregister the cell hooks, close the client, stop a local server (on unload)."""
        if self.shell is not None:
            for event, callback in self._hooks():
                try:
                    self.shell.events.unregister(event, callback)
                except ValueError:
                    pass
            if self in self.shell.configurables:
                # IPython's list is typed by its first item, the shell; it holds every Configurable
                self.shell.configurables.remove(self)  # type: ignore[arg-type]
        self.connection.close()
        self.cache.close()
