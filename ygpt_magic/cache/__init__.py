"""The reply cache: replay a recorded reply, or send and record it (reproducible notebooks).

``key`` (what decides a reply), ``store`` (the SQLite file), ``settings`` (the modes, from the
environment), ``replies`` (the front run_exchange talks to), ``provenance`` (what produced each
reply, in the saved notebook).
Importing this package stays cheap: sqlite3 is loaded when a cache is first used.
"""

from .replies import Front, ReplyCache, first_line
from .settings import MODES

__all__ = ["MODES", "Front", "ReplyCache", "first_line"]
