"""Input we cannot use, chats in a state that refuses the request: errors raised before
anything is sent (the reply cache's: caches.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..words import look_alike
from .base import Worded, YGptError
from .origin import Origin, capital
from .rows import ExpressionRaised


class OptionError(YGptError):
    """A flag or option has a value we cannot use (raised when it is set, before any request)."""


class PriceError(OptionError):
    """A price in ``YGptMagics.prices`` that is not roubles per 1,000 tokens (negative, NaN,
    not a number, an unknown mode): refused when set, so no estimate is ever made from it."""


class CostOverCap(OptionError):
    """A run whose estimated cost is over its cap (``--max-cost``, ``max_cost_per_cell``), or
    whose cost cannot be estimated: refused before anything is sent."""


class InterpolationError(YGptError):
    """A ``{name}`` in the cell could not be filled in. ``missing``: the variable that does not
    exist, when that is why, so a ``--map`` over a DataFrame can say which column it lacks;
    ``raised``: the ``{expression}`` that raised, so a ``--map`` row can fail alone over it;
    ``unreadable``: what turning a value into text did ("turning the dict into text raised …"),
    so a tool's result that cannot be read goes back to the model as a raising tool's error does."""

    def __init__(self, message: str | Worded, missing: str | None = None,
                 raised: ExpressionRaised | None = None, unreadable: str | None = None) -> None:
        super().__init__(message)
        self.missing, self.raised, self.unreadable = missing, raised, unreadable


class StoppedBeforeSending(YGptError):
    """Ctrl-C while the rows of a ``--map`` cell were planned or their cost estimated: no row
    had been sent, so there is nothing to keep, and the cell says so in one line."""

    def __init__(self, during: str) -> None:
        super().__init__(
            f"Stopped before any row was sent: Ctrl-C came while {during}. Nothing was sent, and "
            f"_ygpt and the --out variable are as they were; run the cell again to start over."
        )


class UnknownChat(YGptError):
    """A command named a chat that does not exist."""

    def __init__(self, name: str, known: list[str] | tuple[str, ...] = ()) -> None:
        names = ", ".join(f"'{n}'" for n in known) or "none"
        twin = look_alike(name, known)
        meant = f" {twin.question(name)}" if twin else ""
        super().__init__(
            f"There is no chat named '{name}'.{meant} Existing chats: {names}. Check the name, or create "
            f"it with %ygpt chat {name} (nothing is sent; it becomes the current chat)."
        )
        self.name = name


class ChatExists(YGptError):
    """A rename would give a chat the name another chat has: the two cannot be merged."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"There is already a chat named '{name}'. Choose another name, or delete that chat "
            f"first with %ygpt chats --delete {name}."
        )
        self.name = name


#: where the request holding a chat was asked (ChatSession.busy), and so what ends it (ChatBusy)
Asker = Literal["cell", "panel", "thread"]
_ENDS: dict[Asker, str] = {
    "cell": "wait for it to finish, or interrupt the kernel to stop the cell asking it",
    "panel": "wait for it to finish, or press Stop in the panel it was sent from",
    "thread": ("wait for it to finish (it was asked from a thread of yours, which interrupting the "
               "kernel does not stop), or use another chat with --chat NAME"),
}


class ChatBusy(YGptError):
    """One request in flight per chat: a second one is refused instead of interleaving turns.
    ``asker``: where the request in flight was asked, which says what can end it: a cell (an
    interrupt of the kernel), a panel's Send (its Stop) or a thread of the user's (neither)."""

    def __init__(self, name: str, *, asker: Asker = "cell") -> None:
        super().__init__(f"A reply is still streaming into chat '{name}'; {_ENDS[asker]}, then run this again.")
        self.name = name


class ChatChanged(YGptError):
    """A request was prepared, then another cell or panel changed the chat's turns before it
    was sent; sending it anyway would drop or interleave their turn."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Chat '{name}' changed while this request was being prepared (another cell or the "
            f"panel added a turn or reset it), so nothing was sent. Run it again to send it with "
            f"the chat as it is now."
        )
        self.name = name


class ChatFileError(YGptError):
    """A chat file could not be saved or loaded; the chats in memory are unchanged."""

    def __init__(self, path: object, problem: str) -> None:
        what = f"the chat file {str(path)!r}" if path is not None else "the chat data"
        super().__init__(
            f"Could not use {what}: {problem.rstrip('.')}. Your current chats are unchanged; "
            f"check the path, or use a file written by %ygpt save."
        )
        self.path = path


class NotebookError(YGptError):
    """A saved notebook (`%ygpt provenance NOTEBOOK`) could not be read; nothing was changed."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(
            f"Could not read the notebook {str(path)!r}: {problem.rstrip('.')}. Nothing was "
            f"changed; check the path, and give a .ipynb file saved by Jupyter."
        )
        self.path = path


@dataclass(frozen=True)
class Found:
    """What a credential refusal says it found (client/guard.py makes it): one of this kernel's
    own credentials (``what``: "api key (from YC_API_KEY)"), or, with ``known`` False, a token
    of a published Yandex shape that is none of them (``what``: "a Yandex Cloud API key
    (AQVN…x9Qz)"), perhaps a real key of someone's, which is why the message then says to
    rotate it. Never the secret itself."""

    what: str
    known: bool = True

    def named(self) -> str:
        """The found credential as a message names it."""
        if self.known:
            return f"your {self.what} (or a long part of it)"
        return f"what looks like {self.what}, which is not a credential this kernel uses"

    def rotation(self) -> str:
        """The advice on a key of someone's: it has been pasted where it should not be."""
        if self.known:
            return ""
        return (" If it is a real key pasted from elsewhere, rotate it (make a new one and "
                "delete this one in the Yandex Cloud console): it has been seen where it should "
                "not be.")


class CredentialInPrompt(YGptError):
    """The prompt would carry a credential (or a long part of one): refused before sending."""

    def __init__(self, where: str, found: Found, words: str | Worded | None = None) -> None:
        """``words``: a door's own paragraph (the subclasses'), this one's when None."""
        super().__init__(words or (lambda origin: (
            f"Nothing was sent: {where} contains {found.named()}, and a credential must never "
            f"go to a model inside a prompt. Remove it from there (or leave that reference out "
            f"of {origin.text}), then {origin.again}.{found.rotation()}"
        )))
        self.where = where


class CredentialInReply(CredentialInPrompt):
    """An earlier reply of the model holds this kernel's own credential (a loaded chat file, or a
    reply that echoed it). A reply cannot be edited, so "remove it from there" could not be
    followed: the ways out are the ones that leave that turn behind."""

    def __init__(self, where: str, found: Found) -> None:
        super().__init__(where, found, lambda origin: (
            f"Nothing was sent: {where} contains {found.named()}, and a credential must never "
            f"go to a model. A reply cannot be edited: run the cell that got it again (its turn "
            f"is replaced), start the chat over with %ygpt reset, or go on in another chat with "
            f"--chat NAME.{found.rotation()}"
        ))


class CredentialInToolResult(CredentialInPrompt):
    """A tool's result holds a credential: refused before the round that would carry it, but
    after the request that asked for the call went out (and was billed), so "nothing was sent"
    would not be true of the cell, and the fix is in the function, not a reference to leave out."""

    def __init__(self, where: str, found: Found) -> None:
        super().__init__(where, found, lambda origin: (
            f"{capital(where)} was not sent: it contains {found.named()}, and a credential "
            f"must never go to a model. The request that asked for the call went out as usual; "
            f"after it nothing was sent, and the chat is unchanged. Change the function so its "
            f"result leaves the credential out (return only what the model needs), then "
            f"{origin.again}.{found.rotation()}"
        ))


class CredentialInToolCall(CredentialInPrompt):
    """The model wrote a credential into its own tool call (``calls``: the names of the calls
    that hold it). Neither the user's cell nor a reference holds it, and in this round the call
    already ran here, in the kernel, with it: what is refused is the request that would send the
    call and its result back. ``earlier``: the call is in an earlier turn (its message number),
    e.g. of a chat loaded from a file, which goes with every request of the chat."""

    def __init__(self, calls: str, found: Found, earlier: int | None = None) -> None:
        super().__init__(f"the model's call of {calls}", found, lambda origin: (
            f"{_tool_call_found(calls, found, earlier)} If it is a real key, rotate it (make a new "
            f"one and delete this one in the Yandex Cloud console): the model and the tool have seen "
            f"it. A model writes a key it read in what it was given (the prompt, the chat's earlier "
            f"turns, a tool's result, a --docs file), or one it made up: keep keys out of what the "
            f"model reads, then {_tool_call_again(origin, earlier)}."
        ))


def _tool_call_found(calls: str, found: Found, earlier: int | None) -> str:
    """What happened to a tool call holding a key: in this round (it ran), or in the history."""
    if earlier is not None:
        return (f"Nothing was sent: the model's call of {calls} in an earlier turn of this chat "
                f"(message {earlier}) holds {found.named()}, and the chat sends it with every request.")
    return (f"The model's call of {calls} holds {found.named()}: the model wrote it there. That "
            f"call ran here, in this kernel, with it; nothing of it was sent back to the model (the "
            f"request that would carry the call and its result was refused), and the chat is unchanged.")


def _tool_call_again(origin: Origin, earlier: int | None) -> str:
    """How to go on: as before, or, when the chat's history holds the call, without that history."""
    if earlier is None:
        return origin.again
    other = origin.flag("go on in another chat (--chat NAME) or ")
    return f"{other}forget this chat's turns (%ygpt reset) and {origin.again}"


class CredentialInFailedCell(CredentialInPrompt):
    """`%ygpt fix` would send a failed cell that holds a credential: the advice is about that
    cell, since the `%ygpt fix` cell has no reference to leave out."""

    def __init__(self, count: int, found: Found) -> None:
        super().__init__(f"cell {count}", found, (
            f"Nothing was sent: cell {count}, which %ygpt fix would send ({{In[{count}]}} and "
            f"{{Err[{count}]}}), contains {found.named()}, and a credential must never go "
            f"to a model inside a prompt. Remove it from cell {count} (read it from the "
            f"environment instead, e.g. os.environ['YC_API_KEY']), run cell {count} again, then "
            f"%ygpt fix.{found.rotation()}"
        ))


class CredentialInText(CredentialInPrompt):
    """A text ``%ygpt embed`` would send holds a credential: the advice is about that row of the
    user's data, since the embed line has no reference to leave out."""

    def __init__(self, where: str, found: Found) -> None:
        super().__init__(where, found, (
            f"Nothing was sent for {where}: its text contains {found.named()}, and a credential "
            f"must never go to a model. Remove it from that row (keep keys in the environment, "
            f"e.g. YC_API_KEY), or leave the row out of the texts.{found.rotation()}"
        ))


class CredentialInName(YGptError):
    """A chat name would carry a credential (a key pasted into the panel's "new chat…" box or
    given to --chat): refused wherever a name is given, since a name is shown in full."""

    def __init__(self, where: str, found: Found) -> None:
        super().__init__(
            f"{capital(where)} contains {found.named()}, so "
            f"no chat was given or looked up by it: a chat name is shown in the panel, in %ygpt "
            f"usage and in the saved notebook, and a credential must never be. Name the chat "
            f"something else, e.g. notes.{found.rotation()}"
        )
        self.where = where


class CredentialMalformed(YGptError):
    """A key or token holds what a request header cannot carry; named by where it came from
    (a variable, or %ygpt auth), never shown."""

    def __init__(self, source: str) -> None:
        where = "the key entered at %ygpt auth" if source == "%ygpt auth" else f"the key or token in {source}"
        again = "run %ygpt auth again" if source == "%ygpt auth" else f"set {source} again"
        super().__init__(
            f"{capital(where)} holds a character a request header cannot carry (a line "
            f"break, a non-ASCII letter or a control character), so it was not used; it is not "
            f"shown here. Copy it again from the Yandex Cloud console, whole and alone, and "
            f"{again}.")
        self.source = source


class NoInputHere(YGptError):
    """`%ygpt auth` run where the frontend cannot ask for input (a frontend whose kernel raises
    StdinNotImplementedError; IPython with no terminal, its input closed: getpass's EOFError).
    Nothing was asked, so nothing changed. A person's Ctrl-D at a prompt is AuthStopped. A
    notebook run headless (nbconvert, papermill, nbclient) is not refused: commands/auth.py."""

    def __init__(self) -> None:
        super().__init__(
            "%ygpt auth asks for the key with hidden input, and this frontend cannot ask (a "
            "notebook run without input, e.g. by nbconvert --execute, papermill or a CI job), so "
            "nothing changed. Set YC_API_KEY (or YC_IAM_TOKEN) and YC_FOLDER_ID in the environment "
            "the kernel starts in instead, or run %ygpt auth in a notebook opened interactively.")


class NothingToFix(YGptError):
    """`%ygpt fix` found no failed cell to work on."""
