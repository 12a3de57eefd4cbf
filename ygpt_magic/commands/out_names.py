"""The names ``--out NAME`` may take: one rule for every flag that stores a value in the notebook.

``%%ygpt --out``, ``%ygpt embed --out`` and ``%ygpt batch attach --out`` put their result under a
name the user chose, replacing whatever was there. A name that is no variable is refused, and so
are two kinds a value there breaks: a keyword (``for``: the value could then only be read as
``globals()['for']``), and a name IPython keeps for itself or this extension always fills.
``--out get_ipython`` made every magic of the session fail (``'str' object is not callable``),
``--out In`` replaced the input history that ``{In[N]}`` reads, and ``--out _ygpt`` contradicted
the help's "the Reply is always in _ygpt". Names a cell only reads (``--map _``) keep the looser
rule of flag_values.variable_name: reading IPython's names is what they are for.
"""

from __future__ import annotations

import keyword
import re

from .flag_values import Wanted, variable_name

#: the names the shell and this extension keep, with what replacing one would break
KEPT = {
    "get_ipython": "IPython's: every magic of the session calls it",
    "In": "IPython's input history, which {In[N]} reads",
    "_ih": "IPython's input history, which {In[N]} reads",
    "Out": "IPython's output history, which {Out[N]} reads",
    "_oh": "IPython's output history, which {Out[N]} reads",
    "_dh": "IPython's history of working folders",
    "exit": "IPython's: it ends the session",
    "quit": "IPython's: it ends the session",
    "_ygpt": "where ygpt_magic always puts the last Reply",
}
#: the names IPython sets again at every cell: _, __, ___, _i, _ii, _iii, _iN and _N
_REWRITTEN = re.compile(r"_{1,3}|_i{1,3}|_i?\d+")


def out_name(text: str) -> str:
    """The argparse type of ``--out NAME``: a variable name, not a keyword nor a kept name."""
    name = variable_name(text)
    if keyword.iskeyword(name):   # not a soft one: match = ... is Python
        raise Wanted(f"must be a Python variable name, and {name} is a keyword of the language",
                     "answer", text)
    kept = KEPT.get(name) or (
        "IPython's: it sets it again at every cell" if _REWRITTEN.fullmatch(name) else None)
    if kept is not None:
        raise Wanted(f"must be a name of your own, not {name} ({kept})",
                     "answer", text)
    return name
