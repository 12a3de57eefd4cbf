"""StreamRenderer: a reply streaming into one cell output, then its final form and footer.

Every chunk from the server holds the whole text so far (and a retried stream may start over), so
the renderer keeps only the latest text and shows it, never a concatenation. Showing it costs a
message with the whole text to the frontend, so updates are throttled (pacing.py says when).

Outputs must read well in JupyterLab and on GitHub, and be deterministic for nbval except the
seconds in the footer, which always read ``N.N s``. Every rich form is HTML made by ``inert``:
the reply's Markdown renders, the HTML in it never runs (see inert.py for why and how). Its math
is typeset in the final form only: the updates show it as TeX, since the browser would typeset
every formula again on each one (``inert.clean``).

In plain IPython in a terminal a display cannot change once printed, so the renderer prints there
through a ``terminal.Typewriter`` instead of a display handle: every form is then plain text, and
only what is new at its end is printed (see terminal.py).

An error's message is printed by IPython (or the panel's status line) right under the output, so
the output never repeats it: it keeps the partial text with a short mark, or clears the waiting
line when nothing had arrived.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ..cache import provenance
from ..chat.values import Reply
from . import inert, terminal
from . import tools as tool_lines
from .forms import (
    FINAL,
    HTML,
    NO_CODE,
    NO_CODE_CELL,
    PRINTED_AS_STREAMED,
    Bundle,
    code_form,
    html_blocks,
    join,
    json_block,
    json_tree,
    markdown_form,
    quiet_lines,
)
from .forms import echo as sent_again
from .forms import plain as plain_form
from .markdown import code_blocks, extract_code, fenced
from .pacing import Pacing, settled
from .terminal import REPLACED, RETRIED, RETRYING, Retries, refused

if TYPE_CHECKING:
    from ..chat.tooluse import ToolCall

__all__ = ["RENDER_INTERVAL", "StreamRenderer", "extract_code", "reply_html", "show"]

#: Seconds between display updates while a reply streams (``YGptMagics.render_interval``).
RENDER_INTERVAL = 0.1

INTERRUPTED = "⏹ interrupted — not added to the chat"
INTERRUPTED_KEPT = "⏹ interrupted — the partial reply was added to the chat"
FAILED = "⚠ stopped — not added to the chat; see the message below"


def reply_html(reply: Reply) -> str:
    """``_ygpt`` as a cell's value shows it: the reply made inert, its footer under it (IPython's
    HTML formatter calls this; see load_ipython_extension)."""
    return inert.page(inert.markdown(reply.text), inert.quiet(reply.summary()))


def show(bundle: Bundle, metadata: dict[str, Any] | None = None) -> None:
    """Display a bundle in the cell's output (outside a request: the dry run), with ``metadata``
    (a reply's provenance) if given."""
    from IPython.display import display

    display(bundle, raw=True, metadata=metadata)


class StreamRenderer(Pacing):
    """One display handle per cell; throttled updates while streaming (``Pacing``); one final render."""

    def __init__(
        self,
        *,
        fmt: str = "markdown",
        interval: float = RENDER_INTERVAL,
        display: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        label: str = "yandexgpt",
        cost_ratio: float | None = 8.0,
        json_reply: bool = False,
        fills_cell: bool = False,
        calls_apart: bool = True,
    ) -> None:
        self.fmt = fmt
        # each finished tool call in an output of its own, never sent again (a cell); False: every
        # call above the reply in the one display (the panel's bubble, a recorded reply drawn anew)
        self.calls_apart = calls_apart
        # --json with the markdown format: the reply is a JSON object, shown as a json fence
        self.json_reply = json_reply
        # the magic puts --format code's code into a new cell; the no-code note says if it did not
        self.fills_cell = fills_cell
        super().__init__(interval=interval, clock=clock, cost_ratio=cost_ratio)
        self.label = label
        self.updates = 0  # display messages sent: the first display and every update
        self._display = display
        self._handle: Any = None
        # plain IPython in a terminal: printed as it comes instead of displayed (see terminal.py)
        self._screen = terminal.Typewriter() if display is None and terminal.active() else None
        self._notes: list[str] = []
        self._tools: list[tuple[str, str]] = []  # (HTML, plain) of finished calls not yet drawn
        self._running: str | None = None  # the call running now, as its line
        self._waiting_line = False  # set by start / tool_done, shown by show_waiting
        self._showing_wait = False  # the screen shows nothing but the waiting line
        self._retries = Retries()  # the retries while it streamed (the final footer says them)
        self._restarting = False  # a retry waits: the next text starts over, whatever its length
        self._replaced = False  # a retry's text replaced text shown before (a note above says so)

    @property
    def text(self) -> str:
        """The latest text received (what a Stop or an error leaves on screen)."""
        return self._text

    # -- while the request runs ----------------------------------------------------------------

    def start(self, notes: Iterable[str] = ()) -> None:
        """Take the notes (rewind, trim) and set a waiting line to show if the answer is slow
        (a replayed one never is: its final form is the first display)."""
        self._notes = list(notes)
        self._waiting_line = True

    def opened(self, stream: object) -> None:
        """A stream was opened for this reply; a cell stops it with Ctrl-C, so nothing to keep
        (the panel's renderer keeps it for its Stop button)."""

    def show_waiting(self) -> None:
        """Show the waiting line that start or tool_done set, if nothing has replaced it. The
        client calls this when an answer is slow (``client.loop.SLOW_AFTER``): a quick one is
        shown as it comes, with no line flashing before it and no display holding up its send."""
        if self._waiting_line and not self._done and self._transient_lines:
            self._show(self._streaming(f"⏳ waiting for {self.label}…", quiet=True))
            self._showing_wait = True

    def waiting(self, seconds: float) -> None:
        """Deferred mode: how long the operation has been running (replaced by the reply)."""
        if not self._done and self._transient_lines:
            self._show(self._streaming(f"⏳ waiting for the operation… {int(seconds)} s", quiet=True))

    def update(self, text: str) -> None:
        """Take the whole text so far; show it if the throttle allows (O(1) when it does not)."""
        if self._done or not text or (self._restarting and text == self._text):
            return  # (the text from before a retry, drawn while it waits: not the new attempt's)
        self._text = text
        if self._screen is not None and self.fmt not in PRINTED_AS_STREAMED:
            return  # printed once, in its final form; the waiting line stays until then
        size = len(text)
        if size < self._shown or self._restarting:  # the stream started over (a retry): show it at once
            # a retry the renderer was told of replaced text shown before: a note says so
            self._replaced = self._restarting and bool(self._shown) and self._screen is None
            self._sent, self._restarting = 0, False
            if self._screen is not None:
                self._screen.abandon(RETRIED, replacing=RETRYING)
        elif self._screen is None and self._throttled(size):
            return
        self._sent += size
        self._shown = size
        body = self._body(text)
        if body:  # else nothing is settled yet (a reply that opens with a table): what shows stays
            started = self.clock()
            self._show(self._streaming(body))
            self._cost = self._last - started

    def retrying(self, status: str | None = None, wait: float | None = None) -> None:
        """A retry waits ``wait`` seconds after ``status`` (as its wire names it). With no text
        yet the server refused the request: a line in the waiting line's style says so and how
        long it waits. After some text the stream broke off: the text so far stays, with a line
        under it saying so, until the new attempt's text replaces both, under a note saying it did
        (``update``; a terminal marks the abandoned text then, in place of the line). A line is
        shown only where it can be erased (in a terminal too); the final footer says how often
        each happened."""
        self._restarting = bool(self._text)
        self._retries.count(self._restarting, status)
        if self._done or not self._transient_lines:
            return
        if not self._text:
            self._show(self._streaming(refused(status, wait), quiet=True))
        elif self._screen is None or self.fmt in PRINTED_AS_STREAMED:
            self._shown = len(self._text)  # all of it is drawn now: nothing held back is due
            self._show(self._streaming(self._body(self._text), under=RETRYING))
        else:  # a terminal prints this format once, when final: the line alone, as the waiting one
            self._show(self._streaming(RETRYING, quiet=True))

    def _body(self, text: str) -> str:
        """The text so far as it streams, where it is drawn as Markdown: a ``--json`` reply in a
        json fence, any other without an end more text may still make another block (``settled``)."""
        if self._screen is not None or self.fmt not in ("markdown", "code"):
            return text
        return fenced(text, "json") if self._json_fence else settled(text)

    def tool_running(self, line: str) -> None:
        """A tool call has started: its line shows, marked as running, unless another one was
        drawn less than ``interval`` ago (calls that come fast are drawn once, when done)."""
        self._running = line
        if self._showing_wait or self.clock() - self._last >= self.interval:
            self._show(self._streaming(f"⏳ running {line}…", quiet=True))

    def tool_done(self, call: ToolCall) -> None:
        """A tool call has finished: its line and details stay above the reply from now on, and
        the waiting line under them shows if the next answer is slow. With ``calls_apart`` the
        call is drawn now, in an output of its own that is never sent again, so a cell's display
        traffic grows with the number of calls, not with its square, and a replayed exchange
        looks exactly like the one recorded (nbval compares them output by output)."""
        self._running = None
        line = tool_lines.line(call)
        self._tools.append((tool_lines.details(call, line), tool_lines.plain(call, line)))
        if self.calls_apart and not self._done:
            self._show({HTML: "", "text/plain": ""}, stays=True)
            self._end_output()
            self._tools = []
        self._waiting_line = True

    def note(self, line: str) -> None:
        """A note that stays above the reply (a bound that was reached on the way)."""
        self._notes.append(line)

    def _stop_running(self, how: str) -> None:
        """A tool call cut short keeps its line, saying so."""
        if self._running is not None:
            line = f"🔧 {self._running} → {how}"
            self._tools.append((inert.text(line), line))
            self._running = None

    @property
    def _transient_lines(self) -> bool:
        """Whether a line that is later replaced (waiting) can be shown: not where nothing can
        erase it (a file or a dumb terminal), which would keep it above the reply for good."""
        return self._screen is None or self._screen.erasable

    @property
    def _json_fence(self) -> bool:
        return self.json_reply and self.fmt == "markdown"

    # -- final renders -------------------------------------------------------------------------

    def finish(self, reply: Reply) -> None:
        """The reply in its format, notes above, footer below; the last update of the handle,
        with the reply's provenance in the output's metadata (saved in the notebook). A recorded
        reply shown anew (the panel) brings its tool calls with it."""
        if not self._tools and not self.updates:
            for call in reply.tool_calls:
                self.tool_done(call)
        if self.fmt == "json" and self._outputs_apart and (tree := json_tree(reply)) is not None:
            self._finish_tree(tree, reply)
            return
        if self.fmt == "code":
            bundle = code_form(reply, self._notes, self._retries.said(), NO_CODE_CELL if self.fills_cell else NO_CODE)
        elif self._json_fence:
            bundle = markdown_form(reply, self._notes, self._after(reply), json_block(reply.text))
        else:
            bundle = FINAL[self.fmt](reply, self._notes, self._after(reply))
        self._final(bundle, provenance.metadata(reply))

    def _after(self, reply: Reply) -> str:
        """The line over the footer: that the stream was retried, and NO_CODE_CELL if it applies."""
        return "; ".join(line for line in (self._retries.said(), self._no_cell(reply)) if line)

    @property
    def _outputs_apart(self) -> bool:
        """Whether the reply may take several outputs: a cell's in Jupyter may, the panel's bubble
        (``calls_apart`` off) holds one, and a terminal prints one plain form anyway."""
        return self.calls_apart and self._screen is None

    def _finish_tree(self, tree: Any, reply: Reply) -> None:
        """A JSON reply as JupyterLab's tree between its notes and its footer, each in an
        output of its own: JupyterLab shows ``application/json`` ahead of every other form in
        the bundle (its JSON renderer ranks 0, HTML 50), and the tree has no room for lines of
        ours, so inside the tree's bundle they would never show there."""
        if self._notes:
            self._show(quiet_lines(*self._notes), stays=True)
            self._end_output()
        pretty = json.dumps(tree, ensure_ascii=False, indent=2)
        self._show({"application/json": tree, "text/plain": pretty}, provenance.metadata(reply), stays=True)
        self._end_output()
        self._final(quiet_lines(*filter(None, (self._retries.said(), reply.summary()))))

    def _no_cell(self, reply: Reply) -> str:
        """NO_CODE_CELL when the reply's code was to fill a new cell (``%ygpt fix``) and it has
        none, so the user is told why no cell appeared; else nothing."""
        return NO_CODE_CELL if self.fills_cell and not code_blocks(reply.text) else ""

    def interrupt(self, text: str | None = None, *, kept: bool = False) -> None:
        """The partial text, marked as interrupted; final."""
        self._stop_running("interrupted")
        self._final(self._marked(self._text if text is None else text,
                                 INTERRUPTED_KEPT if kept else INTERRUPTED))

    def fail(self, message: str) -> None:
        """Keep any partial text visible, marked as stopped; with none, clear what shows (nothing
        has, after a quick failure); final. ``message`` is not repeated: IPython (or the panel)
        shows it just below."""
        self._stop_running("stopped")
        if self._text:
            self._final(self._marked(self._text, FAILED))
        elif self._handle is not None or self._tools:  # the calls made so far stay on screen
            self._final({"text/plain": ""})
        self._done = True

    # -- bundles -------------------------------------------------------------------------------

    def _streaming(self, body: str, quiet: bool = False, under: str = "") -> Bundle:
        """A bundle while streaming: one mimetype only, to halve the bytes of each update
        (``body`` is Markdown, or a line shown as written when ``quiet``; ``under``: a line under
        it); plain in a terminal. A retry's text has a note above it saying what it replaced."""
        notes = [*self._notes, REPLACED] if self._replaced and not quiet else self._notes
        if self.fmt in ("markdown", "code") and self._screen is None:
            return {HTML: html_blocks(*map(inert.quiet, notes), inert.quiet(body) if quiet else inert.markdown(body),
                                      inert.quiet(under) if under else "")}
        return {"text/plain": join(*notes, body, under)}

    def _marked(self, text: str, mark: str) -> Bundle:
        """Partial text with a closing line; notes are left out because the chat did not
        change the way they announced (unless the partial reply was kept). A terminal printed
        them already: there the mark goes under the text as printed, in place of a line under it
        (RETRYING), which it can erase."""
        if self._screen is not None and self.fmt in PRINTED_AS_STREAMED:
            return self._streaming(text, under=mark)
        if self.fmt in ("markdown", "code"):
            return {HTML: html_blocks(inert.markdown(text), inert.quiet(mark)), "text/plain": plain_form(text, mark)}
        return {"text/plain": plain_form(text, mark)}

    def _with_tools(self, bundle: Bundle) -> Bundle:
        """The bundle with the tool calls made so far above it (HTML and plain forms)."""
        if not self._tools:
            return bundle
        shown = dict(bundle)
        if HTML in shown:
            shown[HTML] = html_blocks(*(markup for markup, _ in self._tools), shown[HTML])
        if "text/plain" in shown:
            shown["text/plain"] = join("\n".join(plain for _, plain in self._tools),
                                        shown["text/plain"])
        return shown

    def _show(self, bundle: Bundle, metadata: dict[str, Any] | None = None, *, stays: bool = False) -> None:
        """Draw ``bundle``; one that ``stays`` (a final form) and updated a live display is sent again
        (forms.echo). Only a form that stays has its math typeset (``inert.clean``)."""
        self._waiting_line = self._showing_wait = False  # whatever shows now replaces it
        bundle = self._with_tools(bundle)
        if self._screen is not None:  # the terminal's stand-in for the display handle
            self._handle = self._screen
            self._screen.show(bundle.get("text/plain", ""))
        else:
            if stays and self._handle is not None and self._outputs_apart and bundle.get("text/plain"):
                sent_again(bundle["text/plain"], self._display)  # first: the update stays the last output
            self._display_bundle(bundle, metadata, typeset=stays)
        self.updates += 1
        self._last = self.clock()

    def _display_bundle(self, bundle: Bundle, metadata: dict[str, Any] | None, *, typeset: bool) -> None:
        """The bundle into the cell's output: its first display, or an update of it."""
        if HTML in bundle:  # built from inert's pieces; cleaned once, as the last step
            bundle = {**bundle, HTML: inert.clean(bundle[HTML], typeset=typeset)}
        extra = {"metadata": metadata} if metadata else {}
        if self._handle is None:
            display = self._display
            if display is None:
                from IPython.display import display as ipython_display

                display = ipython_display
            opening = self._opening(bundle, typeset=typeset)
            self._handle = display(opening, raw=True, display_id=True, **extra)
            if opening is bundle:
                return
        self._handle.update(bundle, raw=True, **extra)

    def _opening(self, bundle: Bundle, *, typeset: bool) -> Bundle:
        """What a cell's display opens with. A frontend that ignores display updates (jupyter
        console, papermill --log-output) prints the first message's plain text and never takes it
        back, so a form to be replaced (a --format text or json reply's waiting or '↻ trying
        again' line, its first words) opens the display empty; HTML frontends draw nothing for
        it, then the form. A form that stays (``typeset``), or has no plain text, opens it itself."""
        if typeset or "text/plain" not in bundle or not self.calls_apart:
            return bundle
        return {HTML: ""}

    def _end_output(self) -> None:
        """What shows now stays as it is; the next show starts a new output under it."""
        self._handle = None
        if self._screen is not None:
            self._screen.end()

    def _final(self, bundle: Bundle, metadata: dict[str, Any] | None = None) -> None:
        if not self._done:
            self._show(bundle, metadata, stays=True)
            self._done = True
            if self._screen is not None:
                self._screen.end()
