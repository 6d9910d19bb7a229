"""A handle to pause, resume and cancel a stream from elsewhere: another task (the async
stream's :class:`StreamControl`) or another thread (the sync stream's
:class:`SyncStreamControl`).

    stream = runner.stream(request)
    control = stream.control()      # keep it: dropping the handle cancels the stream
    ...                             # elsewhere, while a task reads the stream:
    control.pause()                 # no chunk is handed out and the socket is not read
    control.resume()
    control.cancel()                # ends it: StreamInterrupted(CANCELLED), connection closed

Pausing is backpressure, not buffering: the paused stream stops reading its connection, so
aiohttp's buffer fills to its high-water mark (:func:`buffer_bound` bounds what the client
holds), aiohttp stops reading the socket, and TCP's window stops the server. A handle holds
its stream weakly and the stream its handle weakly (no reference cycle): a stream whose
handle was never asked for has nothing to drop, and asking again gives the same handle while
it lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar, cast

if TYPE_CHECKING:
    from hf_pure.shell.sync_stream import SyncStream

__all__ = [
    "CANCELLED",
    "DROPPED",
    "SOCKET_READ",
    "StreamControl",
    "SyncStreamControl",
    "buffer_bound",
]

H = TypeVar("H", bound="_Handle")

#: Why a stream cancelled by its control ended (its ``StreamInterrupted.reason``).
CANCELLED: Final = "cancelled by its control"
#: Why a stream ended whose control was dropped (garbage-collected) before its end.
DROPPED: Final = "cancelled: its control was dropped"
#: The most bytes one socket read hands aiohttp (asyncio's selector transports read 256 KiB).
SOCKET_READ: Final = 1 << 18


def buffer_bound(high_water: int) -> int:
    """The most a paused stream's connection buffers in the client: aiohttp pauses the
    socket once its reader holds more than ``high_water`` (``get_read_buffer_limits()[1]``:
    twice the session's ``read_bufsize``, 2 x 256 KiB by default), after the read that
    crossed it (at most :data:`SOCKET_READ`). The kernel's socket buffers and TCP's window
    hold the rest back at the server."""
    return high_water + SOCKET_READ


class Controllable(Protocol):
    """What a control drives (``Stream``, ``ReliableStream``, ``SyncStream``): all on the
    stream's own thread, except a ``SyncStream``'s, which are thread-safe."""

    @property
    def _paused(self) -> bool: ...

    def _pause(self) -> None: ...

    def _resume(self) -> None: ...

    def _cancel(self, reason: str) -> None: ...


class Pausable:
    """The pause state of a stream (a base of ``Stream``, ``ReliableStream``, ``SyncStream``):
    the flag its reader checks, the event a held reader waits on, the weak reference to its
    handle. Subclasses set the three attributes in their ``__init__``."""

    __slots__ = ("__weakref__", "_control", "_paused", "_resumed")

    _control: weakref.ref[_Handle] | None  # the handle, once asked for
    _paused: bool  # held by its control: nothing is read or handed out
    _resumed: asyncio.Event | None  # what a held reader waits on (made by the reader)

    def _handle(self, kind: type[H]) -> H:
        """The handle: the one already made while it lives, else a new ``kind``."""
        ref = self._control
        handle = ref() if ref is not None else None
        if not isinstance(handle, kind):
            handle = kind(cast(Controllable, self))
            self._control = weakref.ref(handle)
        return handle

    def _pause(self) -> None:
        self._paused = True

    def _resume(self) -> None:
        self._wake()

    def _wake(self) -> None:
        """Unpause: a held reader goes on (or sees the end)."""
        self._paused = False
        resumed = self._resumed
        if resumed is not None:
            resumed.set()

    async def _hold(self) -> None:
        """Wait while paused: until resume(), cancel() or a close."""
        resumed = self._resumed
        if resumed is None:
            resumed = self._resumed = asyncio.Event()
        while self._paused:
            resumed.clear()
            await resumed.wait()


class _Handle:
    """What both controls share: the target held weakly, the ``cancelled`` flag (the
    target keeps a weak reference to its handle, to give the same one while it lives)."""

    __slots__ = ("__weakref__", "_cancelled", "_target")

    def __init__(self, target: Controllable) -> None:
        self._target: weakref.ref[Controllable] = weakref.ref(target)
        self._cancelled = False

    @property
    def paused(self) -> bool:
        """True between ``pause()`` and ``resume()`` (False once cancelled or closed)."""
        target = self._target()
        return target is not None and target._paused

    @property
    def cancelled(self) -> bool:
        """True once ``cancel()`` was called (or the handle was dropped)."""
        return self._cancelled

    def pause(self) -> None:
        """Stop the stream where it is: its reader waits before the next chunk, and the
        connection is not read (the server is held back by TCP) until :meth:`resume`."""
        target = self._target()
        if target is not None and not self._cancelled:
            target._pause()

    def resume(self) -> None:
        """Let a paused stream go on (a no-op when it is not paused)."""
        target = self._target()
        if target is not None:
            target._resume()

    def cancel(self) -> None:
        """End the stream now: ``result`` is a ``StreamInterrupted`` with the reason
        :data:`CANCELLED` that keeps what arrived, the connection is closed, and a reader
        waiting for a chunk (or paused) wakes and its loop ends. Once the stream has ended
        by itself (every chunk received) it only unpauses: the answer stays whole."""
        if self._cancelled:
            return
        self._cancelled = True
        target = self._target()
        if target is not None:
            target._cancel(CANCELLED)

    def __repr__(self) -> str:
        state = "cancelled" if self._cancelled else "paused" if self.paused else "running"
        gone = "" if self._target() is not None else ", stream gone"
        return f"{type(self).__name__}({state}{gone})"


class StreamControl(_Handle):
    """Pause, resume or cancel an async stream from another task on its loop (see the module
    docstring). Made by ``stream.control()``; dropping it before the stream's end cancels the
    stream (reason :data:`DROPPED`), on the stream's loop."""

    __slots__ = ("_loop",)

    def __init__(self, target: Controllable) -> None:
        super().__init__(target)
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def __del__(self) -> None:
        if self._cancelled:
            return
        target = self._target()
        if target is None:
            return
        # a finalizer may run in the middle of the stream's own code: cancel it between two
        # steps of its loop, not here
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(target._cancel, DROPPED)
                return
        with contextlib.suppress(RuntimeError):  # (a loop closed under it: nothing to wake)
            target._cancel(DROPPED)


class SyncStreamControl(_Handle):
    """Pause, resume or cancel a sync stream from any thread (see the module docstring).
    Made by ``stream.control()`` on a sync runner's stream: pausing holds the iterating thread
    before its next chunk and stops the socket reads on the loop; cancelling wakes it (its
    loop ends). Dropping it before the stream's end cancels the stream (reason
    :data:`DROPPED`)."""

    __slots__ = ()

    def __del__(self) -> None:
        if self._cancelled:
            return
        target = self._target()
        if target is not None:
            cast("SyncStream[Any, Any]", target)._cancel_soon(DROPPED)
