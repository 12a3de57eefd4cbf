"""The panel layer: a chat window in a cell's output (ipywidgets), a second view over the chats.

``panel`` assembles it and sends through ``exchange.run_exchange`` like a cell, by the cell's rules
that the kernel gives it as one ``door``; ``controls`` binds
the option bar to the chat; ``transcript`` draws the turns; ``live`` carries a streaming reply to
every panel on its chat; ``style`` holds the CSS and the class helper; ``saved`` is the transcript
a saved notebook keeps once the widget is gone, ``shown`` how a recorded turn looks in both, and
``headless`` that transcript alone, with no widget, where no page draws one. It observes and
edits the session, never keeps a copy. ipywidgets is imported only when a panel is asked for.
"""

from .door import Door
from .panel import ChatPanel, show_panel

__all__ = ["ChatPanel", "Door", "show_panel"]
