"""Model text in pandas tables is kept away from MathJax: ``display.html.use_mathjax`` off.

A row run's answers are model text, and the guide shows them in a DataFrame. pandas writes a
table's HTML without MathJax's ignore class unless ``display.html.use_mathjax`` is False, so
JupyterLab's MathJax typesets any ``$…$`` in its cells, live and when the notebook is reopened,
untrusted too: ``$\\unicode[x; background-image:url(…)]{x41}$`` fetches the URL with no click, past
the TeX allow-list every output of ours keeps (render/tex.py). Turning it off shows math in every
table as written, the user's own tables too: a small loss next to a zero-click fetch, and said in
one line of the run's output with how to turn it back on (docs/reliability.md says why). pandas
is never imported for this: the option is set only when the user's code (or the run's rows)
already loaded it.
"""

from __future__ import annotations

from ..imported import imported

OPTION = "display.html.use_mathjax"
#: one line a notebook shows unwrapped: what changed and how to undo it; why (and that the next
#: run turns it off again) is for the guide and the tutorial above the first run, not a warning here
SAID = f"pandas tables now show $…$ as written; pd.set_option('{OPTION}', True) undoes it."


def tables_skip_mathjax() -> str | None:
    """Turn MathJax off for pandas' tables when pandas is loaded and has it on; the line that
    says so, or None when nothing changed."""
    pandas = imported("pandas")
    if pandas is None or not pandas.get_option(OPTION):
        return None
    pandas.set_option(OPTION, False)
    return SAID
