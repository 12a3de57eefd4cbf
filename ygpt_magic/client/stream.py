"""Stream: one streamed reply, produced on the client's loop thread and read on the caller's.

Kept apart from the Client (sdk.py), which it drives through the client's loop, reach check and
error translation: the answers come one per chunk, each the whole text so far; a text that
starts over means the SDK retried the stream (the attempt is counted for the error's advice), and
while the SDK waits to retry, the reader's ``on_retry`` is called (its screen says so); a
silence past ``stream_timeout`` is StreamStalled; ``cancel()`` may come from any thread (the
panel's Stop button). The caller reads only the newest answer when it falls behind
(``loop.StreamJob``), so the chunks and attempts are counted here, where every answer is made.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import TYPE_CHECKING

from ..chat.options import RequestOptions
from ..chat.values import Extras, Message
from ..errors import StreamStalled, YGptError
from . import retries
from .chunks import SdkAnswer, chat_chunk
from .loop import Stalled, StreamJob

if TYPE_CHECKING:
    from .sdk import Client


class Stream:
    """Iterator of answers (one per chunk) produced on the client's loop thread; `cancel()` from any thread.
    While the SDK waits to retry it, ``on_retry`` is called on the reader's thread.

    With ``due`` (``loop.StreamJob.results``: the seconds until the caller's held text is due),
    it also yields None when that time comes before the next answer."""

    def __init__(self, client: Client, messages: list[Message], options: RequestOptions, extras: Extras,
                 slow: Callable[[], None] | None = None, due: Callable[[], float | None] | None = None):
        self.cancelled = False
        self._slow, self._due = slow, due
        self.on_retry: Callable[[str | None, float | None], None] | None = None  # set by the reader before it reads
        self._stream_timeout = client.settings.stream_timeout
        self._client = client
        self._model = options.model
        self._messages = messages  # counted for an error's advice only when there is one
        self._started = time.monotonic()
        self._chunks, self._attempt = 0, 1  # of the attempt now running, counted on the loop thread
        self._to_chunk = client._route(messages, extras)
        self._chat = self._to_chunk is chat_chunk
        self._job = client.loop.stream(lambda job: self._produce(job, messages, options, extras))

    async def _produce(self, job: StreamJob, messages: list[Message], options: RequestOptions,
                       extras: Extras) -> AsyncGenerator[SdkAnswer, None]:
        """The answers, made here on the loop thread while the caller's thread waits for them
        (the kernel's main thread has the cell's rendering to do). ``job`` is the one pumping
        them: a retry can wait before the caller's thread has it in hand."""
        model, payload, target = self._client._prepare(messages, options, extras, self._to_chunk)
        retries.tell(job.interject)
        last: SdkAnswer | None = None
        async with self._client._reach.beside(target) as answered:
            async for result in model.run_stream(payload, timeout=self._client.settings.timeout):
                answered()
                chunk = self._to_chunk(result, last)
                if last is not None and len(chunk.text) < len(last.text):
                    self._chunks, self._attempt = 0, self._attempt + 1  # the SDK retried: the text starts over
                self._chunks, last = self._chunks + 1, chunk
                yield chunk

    @property
    def received(self) -> int:
        """The chunks of the attempt now running, every one: the caller, reading only the newest
        when it falls behind, may have read fewer (what a stream cut short says it got)."""
        return self._chunks

    @property
    def attempt(self) -> int:
        """The SDK's attempt now running (1: not retried)."""
        return self._attempt

    def __iter__(self) -> Iterator[SdkAnswer | None]:
        try:
            for item in self._job.results(self._stream_timeout, self._slow, self._due):
                if not isinstance(item, retries.Retrying):
                    yield item
                elif self.on_retry is not None:
                    self.on_retry(item.status, item.wait)
        except Stalled:
            assert self._stream_timeout is not None, "only a stream with a timeout stalls"
            raise StreamStalled(self._client._target(self._chat)[0], self._stream_timeout,
                                chat_api=self._chat) from None
        except (YGptError, KeyboardInterrupt, GeneratorExit):
            raise
        except Exception as exc:
            raise self._client._translate(
                exc, model=self._model, chunks=self._chunks, attempt=self._attempt, started=self._started,
                messages=self._messages, chat=self._chat) from None
        finally:
            self._job.cancel()

    def cancel(self) -> None:
        """Stop the RPC (thread-safe: the panel's Stop button calls it from another thread)."""
        self.cancelled = True
        self._job.cancel()

