"""When a run of many requests stops sending because the service keeps answering UNAVAILABLE.

Why it is needed: a service in an outage (or a proxy answering 503) is still there, so the
:class:`~.watch.Watch` (nothing listening) does not end the run, and UNAVAILABLE is not a
refusal of what every request carries (``RefusedForEvery``): each row would wait out the SDK's
retries (about 14 s with the defaults: 4 retries after waits growing ×1.5 from 1.5 s, each with
up to 1 s of jitter) and fail, so 5,000 rows keep a kernel busy for hours. After a window of
rows that all ended UNAVAILABLE one after another, the :class:`~.many.ManyJob` ends every row
not yet answered with :class:`ServerStayedBusy` at once; an answer, or any other end of a row,
starts the count again.

The window is two full flights of rows (twice the rows in flight at most), and never fewer than
``FEWEST``. The rows of one flight are sent at about the same moment, so one blip can fail them
all together; the second flight was sent after the first had spent its retries, so a window
means the service stayed unavailable over two rounds of retries (about 30 s with the defaults),
which is an outage, not a blip (one flight would stop sooner, but could be one blip). ``FEWEST``
keeps a run with few rows in flight (1 to 4) from stopping on a blip of a few rows. The window
costs its rows' retries: about 30 s with the default 8 in flight, about 2.5 minutes at one row
at a time, against hours.
"""

from __future__ import annotations

from ..errors import ServerBusy, ServerStayedBusy

#: rows in a row that end UNAVAILABLE before a run stops, whatever its rows in flight
FEWEST = 10


def window(in_flight: int) -> int:
    """Rows in a row ending UNAVAILABLE that stop a run of at most ``in_flight`` at once."""
    return max(FEWEST, 2 * in_flight)


class Outage:
    """Counts the rows that ended UNAVAILABLE one after another (``ended`` with each row's end,
    None for an answer); ``error`` is what the rows not yet answered end with once the count
    reaches the window, else None."""

    def __init__(self, in_flight: int) -> None:
        self.window = window(in_flight)
        self.streak = 0
        self._last: ServerBusy | None = None

    def ended(self, error: BaseException | None) -> None:
        if isinstance(error, ServerBusy):
            self.streak += 1
            self._last = error
        else:
            self.streak = 0

    def error(self) -> ServerStayedBusy | None:
        if self._last is None or self.streak < self.window:
            return None
        return ServerStayedBusy(self._last.endpoint, self.streak, server=self._last.server)
