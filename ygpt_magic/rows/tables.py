"""Model text in pandas tables is kept away from MathJax: ``display.html.use_mathjax`` off.

A row run's answers are model text, and the guide shows them in a DataFrame. pandas writes a
table's HTML without MathJax's ignore class unless ``display.html.use_mathjax`` is False, so
JupyterLab's MathJax typesets any ``$…$`` in its cells, live and when the notebook is reopened,
untrusted too: ``$\\unicode[x; background-image:url(…)]{x41}$`` fetches the URL with no click, past
the TeX allow-list every output of ours keeps (render/tex.py). Turning it off shows math in every
table as written, the user's own tables too: a small loss next to a zero-click fetch, and said in
the run's output with how to turn it back on. pandas is never imported for this: the option is
set only when the user's code (or the run's rows) already loaded it.
"""

from __future__ import annotations

import sys

OPTION = "display.html.use_mathjax"
SAID = (f"pandas tables now show $…$ as written, not typeset (pd.set_option('{OPTION}', False)): "
        f"a reply's TeX could fetch a URL through MathJax. pd.set_option('{OPTION}', True) turns "
        f"it back on; the next run of rows turns it off again.")


def tables_skip_mathjax() -> str | None:
    """Turn MathJax off for pandas' tables when pandas is loaded and has it on; the line that
    says so, or None when nothing changed."""
    pandas = sys.modules.get("pandas")
    if pandas is None or not pandas.get_option(OPTION):
        return None
    pandas.set_option(OPTION, False)
    return SAID
