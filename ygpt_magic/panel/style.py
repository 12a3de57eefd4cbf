"""The panel's look, kept apart from the Python logic (its keys in the page are in ``keys``).

Everything is scoped under the ``ygpt-panel`` class so the notebook around the panel is untouched;
colours come from JupyterLab's theme variables (with fallbacks) so a dark theme stays readable.
"""

from __future__ import annotations

import html
from typing import Any, TypeVar

import ipywidgets as widgets

W = TypeVar("W", bound=widgets.DOMWidget)

ROOT_CLASS = "ygpt-panel"
INPUT_CLASS = "ygpt-input"
NEW_CHAT_CLASS = "ygpt-new-chat"  # the "new chat…" box (panel/keys.py)
SIDE_CLASS = "ygpt-side"  # a panel in JupyterLab's side area (panel/side.py)

CSS = """
.ygpt-panel {
  --ygpt-accent: var(--jp-brand-color1, #1976d2);
  --ygpt-muted: var(--jp-content-font-color2, #6b7280);
  --ygpt-border: var(--jp-border-color2, #e0e0e0);
  --ygpt-bg: var(--jp-layout-color1, #fff);
  --ygpt-bg-soft: var(--jp-layout-color2, #f5f6f8);
  --ygpt-user-bg: var(--jp-brand-color3, #d7e8fb);
  border: 1px solid var(--ygpt-border);
  border-radius: 10px;
  background: var(--ygpt-bg);
  box-shadow: 0 1px 4px rgba(0, 0, 0, 0.06);
  overflow: hidden;
  font-size: var(--jp-ui-font-size1, 13px);
}
.ygpt-panel .ygpt-bar {
  align-items: center;
  gap: 6px;
  padding: 6px 10px;
  flex-wrap: wrap;
}
.ygpt-panel .ygpt-head {
  background: var(--ygpt-bg-soft);
  border-bottom: 1px solid var(--ygpt-border);
}
.ygpt-panel .ygpt-options { border-bottom: 1px solid var(--ygpt-border); }
/* the temperature slider and its "default" toggle: the toggle goes under the slider where the two
   do not fit on one line (the side area's default width), rather than shrink to "def…" */
.ygpt-panel .ygpt-group { gap: 6px; align-items: center; flex-wrap: wrap; }
.ygpt-panel .ygpt-group > .widget-toggle-button { flex-shrink: 0; }
.ygpt-panel .ygpt-bar .widget-inline-hbox,
.ygpt-panel .ygpt-bar .jupyter-widgets,
.ygpt-panel .ygpt-bar .widget-button { margin: 0; }
.ygpt-panel .ygpt-title { font-weight: 600; font-size: var(--jp-ui-font-size2, 14px); }
.ygpt-panel .ygpt-title .ygpt-dot { color: var(--ygpt-accent); margin-right: 4px; }
.ygpt-panel .ygpt-totals { color: var(--ygpt-muted); margin-left: auto; }
/* the totals keep one line where it fits, and wrap between words on a line of their own that is
   narrower than them (the side area's default width) instead of running past its edge */
.ygpt-panel .ygpt-totals .widget-html-content { line-height: 1.4; }
.ygpt-panel .widget-label, .ygpt-panel .widget-readout { color: var(--ygpt-muted); }
.ygpt-panel .ygpt-unset .widget-readout { opacity: 0.5; }
.ygpt-panel .ygpt-unset select { color: var(--ygpt-muted); }
.ygpt-panel .ygpt-system-edit { padding: 0 10px 6px 10px; border-bottom: 1px solid var(--ygpt-border); }
.ygpt-panel textarea { font-family: var(--jp-ui-font-family, system-ui, sans-serif); }
.ygpt-panel .ygpt-system-edit textarea { font-size: var(--jp-ui-font-size1, 13px); }

.ygpt-panel .ygpt-scroll {
  flex-direction: column-reverse;   /* keeps the newest turn in view as the log grows */
  overflow-y: auto;
  max-height: 440px;
  min-height: 120px;
  background: var(--ygpt-bg);
}
.ygpt-panel .ygpt-log { padding: 10px 12px 4px 12px; gap: 2px; }
/* a flex column shrinks its children to fit a max-height; a transcript must scroll instead */
.ygpt-panel .ygpt-scroll > *, .ygpt-panel .ygpt-log > *, .ygpt-panel .ygpt-turn > *,
.ygpt-panel .ygpt-col > * { flex-shrink: 0; }
.ygpt-panel .ygpt-empty { color: var(--ygpt-muted); text-align: center; padding: 28px 0; }
.ygpt-panel .ygpt-system {
  color: var(--ygpt-muted);
  border-left: 3px solid var(--ygpt-border);
  padding: 2px 8px;
  margin: 0 0 8px 0;
  white-space: pre-wrap;
  font-style: italic;
}
.ygpt-panel .ygpt-row { width: 100%; margin: 3px 0; }
.ygpt-panel .ygpt-row-user { justify-content: flex-end; }
.ygpt-panel .ygpt-row-assistant { justify-content: flex-start; }
.ygpt-panel .ygpt-col { max-width: 82%; min-width: 0; }
.ygpt-panel .ygpt-row-user .ygpt-col { align-items: flex-end; }
/* a bubble, and a prompt or a reply in the block of older turns (panel/transcript.py) */
.ygpt-panel .ygpt-bubble, .ygpt-panel .ygpt-said, .ygpt-panel .ygpt-answer {
  border-radius: 14px;
  padding: 2px 12px;
  min-width: 0;
  max-width: 100%;
  overflow-x: auto;
}
.ygpt-panel .ygpt-user .ygpt-bubble, .ygpt-panel .ygpt-said {
  background: var(--ygpt-user-bg);
  border-bottom-right-radius: 4px;
}
.ygpt-panel .ygpt-assistant .ygpt-bubble, .ygpt-panel .ygpt-answer {
  background: var(--ygpt-bg-soft);
  border: 1px solid var(--ygpt-border);
  border-bottom-left-radius: 4px;
}
.ygpt-panel .ygpt-said, .ygpt-panel .ygpt-answer { width: fit-content; max-width: 82%; margin: 3px 0; }
.ygpt-panel .ygpt-said { margin-left: auto; }
.ygpt-panel .ygpt-bubble .jp-OutputArea-prompt, .ygpt-panel .ygpt-earlier .jp-OutputArea-prompt { display: none; }
.ygpt-panel .ygpt-bubble .jp-OutputArea-output, .ygpt-panel .ygpt-earlier .jp-OutputArea-output {
  padding: 0; overflow: visible;
}
.ygpt-panel .ygpt-earlier .jp-RenderedHTMLCommon { padding: 0; }
/* turns kept from an earlier kernel's saved view, not in the chat (panel/carried.py) */
.ygpt-panel .ygpt-kept { border: 1px dashed var(--ygpt-border); border-radius: 10px; padding: 4px 8px; margin: 6px 0; }
.ygpt-panel .ygpt-kept-buttons { gap: 6px; justify-content: flex-end; }
.ygpt-panel .ygpt-bubble .jp-RenderedMarkdown,
.ygpt-panel .ygpt-bubble .jp-RenderedText { padding: 0; }
.ygpt-panel .ygpt-bubble .jp-RenderedText pre { white-space: pre-wrap; }
.ygpt-panel .ygpt-bubble .jp-RenderedMarkdown p { margin: 6px 0; }
.ygpt-panel .ygpt-meta {
  color: var(--ygpt-muted);
  font-size: var(--jp-ui-font-size0, 11px);
  margin: 1px 6px 4px 6px;
}
.ygpt-panel .ygpt-meta .ygpt-flag { color: var(--jp-warn-color1, #b26a00); font-weight: 600; }
.ygpt-panel .ygpt-note {
  color: var(--ygpt-muted);
  font-size: var(--jp-ui-font-size0, 11px);
  text-align: center;
  margin: 2px 0 6px 0;
}
.ygpt-panel .ygpt-status { padding: 0 12px; min-height: 22px; line-height: 22px; color: var(--ygpt-muted); }
.ygpt-panel .ygpt-status .ygpt-error { color: var(--jp-error-color1, #d32f2f); }
.ygpt-panel .ygpt-spinner {
  display: inline-block; width: 10px; height: 10px; margin-right: 6px; vertical-align: -1px;
  border: 2px solid var(--ygpt-border); border-top-color: var(--ygpt-accent);
  border-radius: 50%; animation: ygpt-spin 0.8s linear infinite;
}
@keyframes ygpt-spin { to { transform: rotate(360deg); } }
.ygpt-panel .ygpt-compose { padding: 4px 10px 2px 10px; gap: 8px; align-items: flex-end; }
.ygpt-panel .ygpt-compose textarea {
  border-radius: 8px; padding: 6px 10px; resize: vertical; min-height: 38px;
  font-size: var(--jp-ui-font-size1, 13px);
}
.ygpt-panel .ygpt-compose .widget-button { border-radius: 8px; }
.ygpt-panel .ygpt-buttons { gap: 4px; flex-shrink: 0; }
/* a flex item keeps its content's width by default: the box shrinks so the buttons stay in view */
.ygpt-panel .ygpt-compose .ygpt-input { min-width: 0; }
.ygpt-panel .ygpt-hint { color: var(--ygpt-muted); font-size: var(--jp-ui-font-size0, 11px); padding: 0 12px 6px 12px; }
.ygpt-panel .ygpt-waiting { color: var(--ygpt-muted); }
/* the saved view beside a live panel (panel/saved.py) shows only once the widget is gone or dead */
.jp-OutputArea:has(.ygpt-panel:not(.jupyter-widgets-disconnected)) > .jp-OutputArea-child:has(.ygpt-saved) {
  display: none;
}
/* a part of the saved view with nothing to show (a block of no turns yet) takes no room */
.jp-OutputArea-child:has(.ygpt-saved:empty) { display: none; }
/* a panel whose kernel is gone (restarted, shut down): ipywidgets marks its views disconnected.
   In a cell's output the saved view takes its place; elsewhere (the side area) it says so. */
.jp-OutputArea:has(.ygpt-saved) > .jp-OutputArea-child:has(.ygpt-panel.jupyter-widgets-disconnected) {
  display: none;
}
.ygpt-panel.jupyter-widgets-disconnected > * { opacity: 0.5; pointer-events: none; }
.ygpt-panel.jupyter-widgets-disconnected::before {
  content: "This panel ended with its kernel (restarted or shut down). Run %ygpt panel to open it again.";
  padding: 8px 12px;
  font-weight: 600;
}
.ygpt-panel.ygpt-side.jupyter-widgets-disconnected::before {
  content: "This panel ended with its kernel (restarted or shut down). Run %ygpt panel --side to open it again.";
}
"""


def styled(kind: type[W], classes: str, *args: Any, **kwargs: Any) -> W:
    """A new ``kind`` widget (made with ``args`` and ``kwargs``) with the CSS ``classes`` (names
    apart by spaces) in the state it opens with: each class added after it opened
    (``add_class``) is one more message to the page, and a long chat's bubbles sent thousands."""
    widget: W = kind(*args, _dom_classes=tuple(classes.split()), **kwargs)
    return widget


def close_tree(widget: widgets.Widget) -> None:
    """Close a widget and its descendants, so their comms are released in the kernel too: with
    each its ``Layout`` and ``Style``, widgets of their own that ``close`` leaves open (a long
    session's bubbles kept two comms each in the kernel)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, widgets.Widget):
            part.close()
    widget.close()


def error_line(text: str) -> str:
    """The status line's error: one line, its text escaped."""
    return f'<span class="ygpt-error">⚠ {html.escape(text)}</span>'


def css_widget() -> widgets.HTML:
    """The panel's CSS, scoped by class; an invisible widget so it travels with the panel."""
    return widgets.HTML(f"<style>{CSS}</style>", layout=widgets.Layout(display="none"))
