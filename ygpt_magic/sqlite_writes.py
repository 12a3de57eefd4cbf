"""One write transaction on a SQLite file of ours (the reply cache, the sources index), safe
against Ctrl-C.

Why a module of its own: both files are shared by kernels, so a writer takes the write lock at
the start (``BEGIN IMMEDIATE``) and queues on ``busy_timeout`` behind another kernel. SQLite
waits inside the C call, so a Ctrl-C pressed meanwhile is raised only as the ``BEGIN`` returns,
with the lock taken. Left open, that transaction locks every other kernel out of the file and
makes this connection's next ``BEGIN`` fail ("cannot start a transaction within a
transaction"), which would read as a fault of the user's file. So a ``BEGIN`` that succeeded is
always ended: committed, or rolled back when anything (an interrupt included) escapes first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; ``ROLLBACK`` on any exception, KeyboardInterrupt
    included. A transaction still open on entry can only be one of ours that an interrupt cut
    short in its own rollback (the connection is this kernel's alone): it is ended first."""
    if db.in_transaction:
        db.execute("ROLLBACK")
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite rolls back itself on some errors (a full disk)
            db.execute("ROLLBACK")
        raise
