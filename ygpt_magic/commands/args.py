"""The flags `%%ygpt` and the `%ygpt` subcommands share, declared once, validated once.

Each is a decorator that adds its arguments under ``@magic_arguments()``, the way IPython's
``script_args`` serves every ``%%script`` magic. What each value must be (a chat option by the
rule that checks it everywhere else, roubles, a variable's name, a count) is flag_values.py's
to say. ``subcommand`` names a subcommand's parser after its module,
so a subcommand's name is written once: as its module's name. A mistyped flag gets the closest
real one (``--tempreature``: did you mean ``--temperature``?), as git and pip do for commands.
A word that starts with ``#`` outside quotes ends the line, as in Python and the shell
(``uncommented``), so a line copied from the docs with its ``# note`` runs as written. A flag whose
value is a comma-separated list (``CommaList``) may be written with a space after each comma
(spaced.py), as people write lists.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Callable
from typing import Any, Protocol

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from ..chat.options import FORMATS, UNSET
from ..errors import OptionError
from ..words import closest, listed
from .flag_values import Wanted, option_value, roubles_cap

#: The chat options a flag can give, with the metavar and help a user reads, and the fixed set of
#: values of one that has one (its ``choices``: Tab offers them).
OPTION_FLAGS: tuple[tuple[tuple[str, ...], str, str, str, tuple[str, ...] | None], ...] = (
    (("--model", "-m"), "model", "NAME",
     "yandexgpt, yandexgpt-lite, yandexgpt/rc, a gpt:// URI, ... (%%ygpt models lists them).", None),
    (("--temperature", "-t"), "temperature", "X", "Sampling temperature, 0..1.", None),
    (("--max-tokens",), "max_tokens", "N", "Limit the reply's length in tokens.", None),
    (("--format",), "format", "FORMAT",
     f"How replies are shown: {', '.join(FORMATS)}; code also puts the reply's code into a new "
     "cell below.", FORMATS),
)


#: a command's function, and what IPython's ``@argument`` makes of one (the same function, its
#: parser's declarations added)
Func = Callable[..., Any]
Decorator = Callable[[Func], Func]


def option_args(*, unset: bool = False) -> Decorator:
    """--model, --temperature, --max-tokens, --format; ``unset``: each also takes ``default``."""
    decorators = [argument(*flags, dest=dest, default=None, type=option_value(dest, unset=unset),
                           choices=(*fixed, UNSET) if fixed and unset else fixed,
                           metavar=f"{metavar}|default" if unset else metavar, help=text)
                  for flags, dest, metavar, text, fixed in OPTION_FLAGS]

    def add(func: Func) -> Func:
        for decorate in reversed(decorators):
            func = decorate(func)
        return func

    return add


class CommaList(argparse.Action):
    """The action of a flag whose value is a comma-separated list (--docs, --labels, --image,
    --tools): it stores the value as given, and tells spaced.py which flags' values
    may go on after a comma and a space."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)


def tool_args(*, unset: bool = False) -> Decorator:
    """--tools F,G and --tool-choice MODE (the functions a chat or cell offers the model)."""
    suffix = "|default" if unset else ""
    tools = argument("--tools", dest="tools", default=None, metavar=f"F,G{suffix}", action=CommaList,
                     type=option_value("tools", unset=unset),
                     help="Offer these notebook functions to the model as tools (comma-separated "
                          "names); it may call them, and only them, before it answers.")
    choice = argument("--tool-choice", dest="tool_choice", default=None, metavar=f"MODE{suffix}",
                      type=option_value("tool_choice", unset=unset),
                      help="auto (the model decides), none, required (it must call one), or a "
                           "tool's name (it must call that one).")
    return lambda func: tools(choice(func))


def max_cost_arg(help: str) -> Decorator:
    """--max-cost RUB: the most a run may cost (chat/budget.py)."""
    return argument("--max-cost", type=roubles_cap, metavar="RUB", help=help)


def chat_arg(help: str = "Which chat (default: the current one).") -> Decorator:
    """--chat NAME, -c NAME."""
    return argument("--chat", "-c", metavar="NAME", default=None, help=help)


class Subcommand(Protocol):
    """A subcommand's ``run`` once ``@subcommand`` has given it its parser."""

    parser: argparse.ArgumentParser

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def subcommand(run: Func) -> Subcommand:
    """``@magic_arguments`` for a subcommand's ``run``, its parser named after the module:
    `ygpt_magic.commands.config` → ``ygpt config``."""
    parsed: Subcommand = magic_arguments(name=f"ygpt {command_name(run)}")(run)
    return parsed


def command_name(run: Func) -> str:
    return run.__module__.rpartition(".")[2]


def parse(run: Subcommand, line: str, *, as_written: bool = False) -> argparse.Namespace:
    """Parse like a shell (quotes removed, unlike IPython's parse_argstring), with our error
    type and a pointer to the subcommand's help. ``as_written``: split at spaces only, flags
    anywhere, so free text such as "don't rename it" needs no quotes."""
    try:
        if as_written:
            return _parse_args(run.parser, uncommented(line, as_written=True).split(),
                               intermixed=True)
        return _parse_args(run.parser, shell_words(uncommented(line)))
    except (UsageError, ValueError) as exc:
        name = command_name(run)
        raise OptionError(
            f"%ygpt {name}: {sentence(exc)} %ygpt help {name} shows its arguments."
        ) from None


def sentence(error: Exception) -> str:
    """``error``'s message ending as a sentence, so a message that asks (did you mean …?) is not
    followed by a stray period."""
    text = str(error)
    return text if text.endswith((".", "?")) else f"{text}."


def parse_flags(parser: argparse.ArgumentParser, line: str) -> argparse.Namespace:
    """``line`` parsed like a shell (an unknown flag's error names the closest ones)."""
    return _parse_args(parser, shell_words(uncommented(line)))


#: what a line without backslashes is made of for shlex.split: a run of plain characters, a
#: quoted run (its quotes dropped), a run of the four characters shlex splits at
_PIECE = re.compile(r"""[^ \t\r\n'"]+|'[^']*'|"[^"]*"|[ \t\r\n]+""")


def shell_words(line: str) -> list[str]:
    """``shlex.split(line)``, read a run at a time where no backslash can change the reading.
    shlex reads a character at a time in Python: a 200 kB ``--system "…"`` took half a second
    before the cell even said it was over the budget. A backslash, or a quote left open (whose
    error is shlex's to word), goes to shlex itself."""
    if "\\" in line:
        return shlex.split(line)
    words: list[str] = []
    word: str | None = None
    end = 0
    for piece in _PIECE.finditer(line):
        if piece.start() != end:   # a quote that no piece could close
            return shlex.split(line)
        text, end = piece.group(), piece.end()
        if text[0] in " \t\r\n":
            if word is not None:
                words.append(word)
            word = None
        else:
            word = (word or "") + (text[1:-1] if text[0] in "'\"" else text)
    if end != len(line):
        return shlex.split(line)
    return words if word is None else [*words, word]


def uncommented(line: str, *, as_written: bool = False) -> str:
    """``line`` without its comment: from a word that starts with ``#`` outside quotes to the
    end, as Python and the shell read a line (``issue#3`` and ``"#3"`` are no comments).
    shlex's own ``comments=True`` is not used: it also cuts inside a word (``issue#3``).
    ``as_written`` (free text, not split like a shell command): a quote counts only where it
    opens a word, so the apostrophe of ``don't`` is a letter, and there is no backslash escape;
    and a comment is ``#`` as a word of its own (``# note``), since instructions say ``column #2``
    or ``#NA``: read as a comment, the rest of the words went, and a ``--dry-run`` after them
    with them, so the request was sent."""
    if "#" not in line:   # no comment to look for (most lines): nothing to walk through
        return line
    quote, escaped, at_start = "", False, True   # at_start: after unquoted whitespace
    for index, char in enumerate(line):
        if char == "#" and at_start and (not as_written or line[index + 1:index + 2].isspace()
                                         or index + 1 == len(line)):
            return line[:index].rstrip()
        plain = not (quote or escaped)
        if escaped:
            escaped = False
        elif quote:  # a backslash escapes inside double quotes only, as in the shell
            quote, escaped = ("" if char == quote else quote), char == "\\" and quote == '"'
        elif char in "'\"" and (at_start or not as_written):
            quote = char
        else:
            escaped = char == "\\" and not as_written
        at_start = plain and char.isspace()
    return line


UNRECOGNIZED = "unrecognized arguments: "


def _parse_args(parser: argparse.ArgumentParser, argv: list[str], *,
                intermixed: bool = False) -> argparse.Namespace:
    """``parser``'s parse of ``argv``, a comma-separated list written with spaces read whole
    (spaced.py); its "unrecognized arguments" error names the closest flags and how to
    quote a value with spaces, and a refused value's example names the flag it was given to
    (``Wanted``)."""
    if any(word.endswith(",") for word in argv):   # maybe a list written with spaces: rare
        from .spaced import lists_whole

        argv = lists_whole(parser, argv)
    # argparse hands a refused value's error over, with the argument's name; only for this parse:
    # IPython's completer parses the same parser on Tab and expects error() (a UsageError)
    exit_on_error, parser.exit_on_error = parser.exit_on_error, False
    try:
        known = parser.parse_known_intermixed_args if intermixed else parser.parse_known_args
        args, strays = known(argv)
    except (argparse.ArgumentError, UsageError) as error:
        raise UsageError(did_you_mean(parser, _explained(error))) from None
    finally:
        parser.exit_on_error = exit_on_error
    if strays:
        from .spaced import unplaced

        raise UsageError(unplaced(parser, argv, strays, quoted=not intermixed))  # as written: quotes are text
    return args


def _explained(error: Exception) -> str:
    """argparse's ``argument --top: …`` line, a shared type's refusal (``Wanted``) given its
    example with that same flag: ``e.g. --top 5``, not another flag's."""
    wanted = error.__context__   # argparse raises its ArgumentError while handling the type's
    if not (isinstance(error, argparse.ArgumentError) and isinstance(wanted, Wanted)):
        return str(error)
    name = error.argument_name or ""   # "--temperature/-t", or a positional's metavar: NAME
    flag = name.partition("/")[0]
    example = f"{flag} {wanted.example}" if flag.startswith("-") else wanted.example
    return f"argument {name}: {wanted.rule}, e.g. {example} (got {wanted.given!r})"


def did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """argparse's ``message`` with a suggestion for each unknown flag that is close to a real
    one; unchanged for any other error, or when nothing is close."""
    guesses = _guesses(parser, message[len(UNRECOGNIZED):].split()) \
        if message.startswith(UNRECOGNIZED) else {}
    if not guesses:
        return message
    if len(guesses) == 1:
        hint = next(iter(guesses.values()))
    else:
        hint = " and ".join(f"{flag} (for {word})" for word, flag in guesses.items())
    return f"{message}; did you mean {hint}?"


def _guesses(parser: argparse.ArgumentParser, words: list[str]) -> dict[str, str]:
    """{unknown flag: the closest real one} for the flags among ``words`` that are close to one."""
    # by name without dashes, or every "--x" would look like "--out"; argparse lists flags nowhere public
    known = {flag.lstrip("-"): flag for flag in parser._option_string_actions}
    guesses = {}
    for word in filter(is_flag, words):
        close = closest(word.partition("=")[0].lstrip("-"), known)
        if close:
            guesses[word] = known[close]
    return guesses


def is_flag(word: str) -> bool:
    """A word argparse would read as a flag (``-5`` and ``-0.5`` are values)."""
    try:
        float(word)
    except ValueError:
        return word.startswith("-") and len(word) > 1
    return False


def check_docs_flags(args: Any) -> None:
    """OptionError for --top-k without --docs, and --docs with --map."""
    if args.top_k and args.docs is None:
        raise OptionError("%%ygpt: --top-k N says how many chunks of the --docs files to send; "
                          "add --docs PATHS or drop --top-k.")
    if args.docs is not None and args.map:
        raise OptionError("%%ygpt: --docs answers one question from files and --map sends one "
                          "request per row; use one of them in a cell.")


_TOOLS = ", without tools"
_STRUCTURED = "--json and --schema give structured rows"
#: the flags that do not go with --map, by their attribute in the parsed line: each with what in
#: a row's request it runs into (or "") and what to do instead, said only for the flags the cell
#: gave. A row's answer is text kept in --out, never shown, so --format (how a reply is shown)
#: would be ignored without a word.
NOT_WITH_MAP = {
    "deferred": ("--deferred", "", "--batch runs the rows as one cloud job"),
    "append": ("--append", "", "rows read and write no chat's history; --chat NAME gives them its options"),
    "no_interpolate": ("--no-interpolate", "", "write {{ and }} for braces a row keeps as they are"),
    "tools": ("--tools", _TOOLS, _STRUCTURED),
    "tool_choice": ("--tool-choice", _TOOLS, _STRUCTURED),
    "image": ("--image", "", "pictures go through the chat API, a cell at a time"),
    "format": ("--format", ", and keeps each answer as text in --out and _ygpt.results, shown nowhere, so "
                           "--format (how a reply is shown) would change nothing", _STRUCTURED),
}


def check_map_flags(args: Any) -> None:
    """OptionError for a cell's flags that do not go with --map / --batch / --concurrency,
    naming only those the cell gave, and only the reasons and advice that are theirs."""
    given = [NOT_WITH_MAP[name] for name in NOT_WITH_MAP if getattr(args, name)]
    if args.map and given:
        flags = [flag for flag, _, _ in given]
        why = "".join(dict.fromkeys(reason for _, reason, _ in given))
        instead = "; ".join(dict.fromkeys(other for _, _, other in given))
        raise OptionError("%%ygpt: --map sends each row once in prompt mode with its {names} "
                          f"filled in, as one request{why}; drop {listed(flags)} ({instead}).")
    if args.batch and not args.map:
        pace = ", and leave out --concurrency (the service sets the pace)" if args.concurrency else ""
        raise OptionError(f"%%ygpt: --batch runs the rows of --map NAME as one cloud job: give --map NAME{pace}.")
    if args.batch and args.concurrency:
        raise OptionError("%%ygpt: --batch runs the rows of --map NAME as one cloud job, whose pace "
                          "the service sets: leave out --concurrency.")
    if args.concurrency and not args.map:
        raise OptionError("%%ygpt: --concurrency goes with --map NAME (rows sent at once); "
                          "add --map or drop it.")


def check_map_out(args: Any) -> None:
    """OptionError, before anything is sent, for ``--map df --out df``: the answers would replace
    the frame mapped over, the user's data gone from the kernel. Refused rather than written as a
    column: which column, and over which earlier one, is the user's choice to make in a line of
    code, and a ``{row}`` template would then read it (see docs/guide/data.md)."""
    if args.map and args.out == args.map:
        raise OptionError(
            f"--out {args.out} would replace {args.map}, the value this cell maps over, with its "
            f"answers, and {args.map} would be gone from the notebook. Name another variable "
            f"(--out answers), then put the answers where you want them, e.g. "
            f"{args.map}['answer'] = answers in a code cell.")
