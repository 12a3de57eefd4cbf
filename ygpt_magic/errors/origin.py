"""Where a request came from, as the advice of its errors must word it.

A `%%ygpt` cell and a panel Send go through the same door (DESIGN.md, "The spine"), so they meet
the same errors; but advice is only worth giving if it can be followed where the user is. A cell
takes flags (``--model``, ``--no-interpolate``, ``--no-stream``) and is run again; the panel's
message takes none: its model is picked in the model list, and it is sent again. An error that
advises one of those words its message as a function of an :class:`Origin` (errors/base.py), and
the panel shows ``error.words(PANEL)`` where a cell shows ``str(error)``, which is ``CELL``'s;
``%ygpt fix`` shows ``error.said_for(FIX)`` (errors/base.py), and ``ygpt-magic demo PROMPT``, in
a shell, ``error.words(DEMO)``. A run over rows in a notebook run headless (nbclient: ``jupyter
execute``, papermill) words its rows' reasons as ``HEADLESS``: once the run has ended, nobody can
run its cell again, and its kernel, with ``_ygpt`` and the answers a re-run would reuse, is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Origin:
    """The phrasings of one origin. ``text``: what the user wrote, as a sentence names it;
    ``again``: how to try once more (``retrying``: the same as a subject, "running the cell
    again"); ``verbatim``: how to send braces as written besides ``{{…}}``, if there is a way;
    ``flags``: whether advice may name a `%%ygpt` flag; ``written``: its text, as a thing to
    check; ``several``: what a long text is split over; ``shorten``: how to make its request
    shorter, when what it sends is text the user wrote (None: ``%ygpt fix`` sends a failed cell
    and its error, which are not shortened to save a request); ``environ``: how to set an
    environment variable ``{name}`` to ``{value}`` for the requests to come; ``system``: whether
    its request may carry a system message to shorten; ``longer``: how to find a model with a
    longer context, as a clause after "or" (None: it always asks the same model)."""

    text: str
    again: str
    verbatim: str | None
    flags: bool
    pick: str   # how to choose a model: "{}" is its name
    retrying: str
    written: str
    several: str
    shorten: str | None = "shorten the prompt"
    environ: str = "run os.environ['{name}'] = '{value}' in a cell (or export {name}={value} before starting Jupyter)"
    system: bool = True
    longer: str | None = "use a model with a longer context (%ygpt models lists each model's)"
    kernel: bool = True   # the kernel is there after the request: _ygpt can be read, a re-run reuses its answers

    def model(self, name: str) -> str:
        """How to send with the model ``name`` instead."""
        return self.pick.format(name)

    def setting(self, name: str, value: str) -> str:
        """How to set the environment variable ``name`` to ``value`` here."""
        return self.environ.format(name=name, value=value)

    def flag(self, advice: str, otherwise: str = "") -> str:
        """``advice`` that names a flag, where flags can be given; else ``otherwise``."""
        return advice if self.flags else otherwise


def choices(*options: str | None) -> str:
    """The ``options`` given (None: not here) as one phrase: "A", "A, or B", "A, B, or C"."""
    given = [option for option in options if option]
    return given[0] if len(given) == 1 else f"{', '.join(given[:-1])}, or {given[-1]}"


def capital(text: str) -> str:
    """``text`` with its first letter made a capital (the rest as it is)."""
    return text[:1].upper() + text[1:]


CELL = Origin(text="the cell", again="run the cell again", verbatim="run the cell with --no-interpolate",
              flags=True, pick="run the cell with --model {}", retrying="running the cell again",
              written="the cell's text", several="several cells")
#: a cell of a notebook run headless: the notebook is what is run again, in a new kernel (what
#: that sends of a run over rows, its summary says: rows/unattended.py)
HEADLESS = replace(CELL, again="run the notebook again", retrying="running the notebook again", kernel=False)
PANEL = Origin(text="the panel's message", again="send it again", verbatim=None, flags=False,
               pick="pick {} in the model list", retrying="sending it again",
               written="the panel's message", several="several messages")
#: ``%ygpt fix``: run in a cell, but a line of its own that takes no flag of a `%%ygpt` cell's
#: (its model is the notebook's setting)
FIX = Origin(text="%ygpt fix's request", again="run %ygpt fix again", verbatim=None, flags=False,
             pick="set %config YGptMagics.model = '{}' first", retrying="running %ygpt fix again",
             written="the failed cell", several="several cells", shorten=None)
#: ``ygpt-magic demo PROMPT``: a command in a shell, which takes no flag of a cell's and always
#: asks yandexgpt with the prompt alone (no system message, no %ygpt command to list models); the
#: shell it runs in holds its environment
DEMO = Origin(text="the prompt", again="run ygpt-magic demo again", verbatim=None, flags=False,
              pick="ask it in a notebook with %%ygpt --model {}", retrying="running ygpt-magic demo again",
              written="the prompt", several="several prompts",
              environ="export {name}={value} in the shell that runs ygpt-magic", system=False, longer=None)
