"""The panel's keys in the page: Enter sends, Shift+Enter adds a line, Ctrl/Cmd+S saves; Enter in
the "new chat…" box names a new chat, and nothing else does.

``SUBMIT_MARK`` is how Enter reaches the kernel. ipywidgets' Textarea has no submit event, and a
keydown hook that merely clicked Send would race the text: ipywidgets throttles each model's state
syncs (one message in flight per model), so the click on Send can overtake the last keystrokes.
The hook instead has the textarea's view sync the text with ``SUBMIT_MARK`` after it, so the text
and the request to send it travel in one state sync; the panel strips the mark and sends.

The mark lives in the model only: the box goes back to the text at once (a box showing the mark
is what a user saw while the kernel was busy with a cell, or gone). The box is then disabled in
the page until the kernel answers: the kernel always sets the box's value when it takes a
submission (empty once sent, the prompt again when it refuses), and the view's update for that
change enables it again. So while a cell runs the text cannot change under the sync that carries
it, and after a moment the status line says why nothing happens yet: that is the page's to say,
as the kernel cannot answer a widget while it runs a cell. The box's ``change`` event (on blur,
which disabling it causes) is kept from the view, which would sync the box's value, without the
mark, over the buffered one that carries it (each keystroke synced the text already, as
``continuous_update`` does). A panel whose kernel is gone (ipywidgets marks its views
disconnected) takes no submission.

The "new chat…" box is a Text widget that syncs its value on ``change``, which the browser fires
on Enter and also when the box loses the focus: a half-typed name left by a click elsewhere
reached the kernel as if Enter had been pressed, and made a chat. So the box's own ``change``
events are kept from its view, and Enter has the view sync the name with ``SUBMIT_MARK`` after
it, as the message box does; the controls make a chat only of a name that carries the mark.

Ctrl/Cmd+S is passed on to JupyterLab: ipywidgets' text views stop every keydown so that
notebook shortcuts stay out of text boxes, which also kept "save the notebook" from a panel whose
box holds the focus of a chatting user. A copy of the key is dispatched on the panel itself,
outside the text view, where JupyterLab's shortcut handler sees it (with the ``keyCode`` Lumino
matches on, which a constructed event lacks); the original's default, the browser's own "Save
page as", is prevented.
"""

from __future__ import annotations

import json

import ipywidgets as widgets

from .style import INPUT_CLASS, NEW_CHAT_CLASS, ROOT_CLASS

SUBMIT_MARK = "\u0004"  # ASCII end-of-transmission: never typed, survives JSON
#: the status line's words while a submission waits for a busy kernel
WAITING = "Waiting for the kernel: your message is sent when the running cell finishes."

# Installed once per page, on the capture phase so it runs before ipywidgets' own handler.
KEY_HOOK_JS = """
(function () {
  if (window.__ygptKeyHook) { return; }
  window.__ygptKeyHook = true;
  var MARK = '%(mark)s', NOTE_AFTER_MS = 400;
  function dead(box) { return !!box.closest('.jupyter-widgets-disconnected'); }
  function waitingNote(box) {
    var note = document.createElement('div');
    note.className = 'ygpt-waiting';
    note.textContent = %(waiting)s;
    box.closest('.%(root)s').querySelector('.ygpt-status').appendChild(note);
    return note;
  }
  function submit(box) {
    var text = box.value, started = Date.now(), note = null;
    box.value = text + MARK;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    box.value = text;
    box.disabled = true;
    var timer = setInterval(function () {
      var waiting = box.disabled && box.isConnected && !dead(box);
      if (waiting && !note && Date.now() - started > NOTE_AFTER_MS) { note = waitingNote(box); }
      if (waiting) { return; }
      clearInterval(timer);
      if (note) { note.remove(); }
      if (!box.disabled && document.activeElement === document.body) { box.focus(); }
    }, 100);
  }
  function passOn(event, box) {
    event.preventDefault();
    var copy = new KeyboardEvent('keydown', {
      key: event.key, code: event.code, ctrlKey: event.ctrlKey, metaKey: event.metaKey,
      shiftKey: event.shiftKey, altKey: event.altKey, bubbles: true, cancelable: true });
    Object.defineProperty(copy, 'keyCode', { value: event.keyCode });  // what Lumino reads
    box.closest('.%(root)s').dispatchEvent(copy);
  }
  function named(box) {
    var text = box.value;
    box.value = text + MARK;
    box.dispatchEvent(new Event('change', { bubbles: true }));
    box.value = text;
  }
  function isBox(box) { return !!box && box.tagName === 'TEXTAREA' && !!box.closest('.%(input)s'); }
  function isName(box) { return !!box && box.tagName === 'INPUT' && !!box.closest('.%(name)s'); }
  document.addEventListener('change', function (event) {
    if (isBox(event.target) || (isName(event.target) && event.isTrusted)) { event.stopPropagation(); }
  }, true);
  document.addEventListener('keydown', function (event) {
    var box = event.target;
    if (isName(box) && event.key === 'Enter' && !event.isComposing) {
      if (box.value.trim() && !dead(box)) { named(box); }
      return;
    }
    if (!isBox(box)) { return; }
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
      passOn(event, box);
      return;
    }
    if (event.key !== 'Enter' || event.shiftKey || event.isComposing) { return; }
    event.preventDefault();
    event.stopPropagation();
    if (box.value.trim() && !dead(box)) { submit(box); }
  }, true);
})();
""" % {"input": INPUT_CLASS, "name": NEW_CHAT_CLASS, "root": ROOT_CLASS, "mark": "\\u0004",
       "waiting": json.dumps(WAITING)}


def key_hook() -> widgets.Output:
    """The key hook (KEY_HOOK_JS, this package's own constant script) in an invisible Output
    widget: JupyterLab's widget manager renders Output contents as trusted, so it runs with the
    panel."""
    hook = widgets.Output(layout=widgets.Layout(display="none"))
    hook.outputs = ({"output_type": "display_data",
                     "data": {"application/javascript": KEY_HOOK_JS}, "metadata": {}},)
    return hook
