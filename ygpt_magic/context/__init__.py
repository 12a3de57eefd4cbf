"""The notebook as context for a prompt: what a cell may refer to, made safe to send.

``interpolate`` (``{name}``, ``{In[N]}``, ``{Out[N]}``, ``{Err[N]}`` filled in a cell's text),
``values`` (a value as bounded text: a DataFrame as a table, an array by its edges, a repr under
a time limit), ``cells`` (the sources, outputs and errors of the cells run so far), ``tracebacks``
(an error as plain text, without colour codes), ``images`` (what ``--image`` and ``{fig}`` turn
into pictures); each piece is checked for a known credential by ``client/guard.py``. It reads
the notebook's values and never talks to the SDK; the commands hand its results to planning.
"""
