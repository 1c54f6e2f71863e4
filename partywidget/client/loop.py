"""The client's own event loop, on one background thread per process.

Why a thread and not the caller's loop: ipykernel runs its own asyncio loop
on the main thread, but user code in a cell runs *inside* one step of it, so a
synchronous ``room.send()`` or ``partywidget.connect()`` cannot wait on that
loop without deadlocking it (this is what ``nest-asyncio`` patched around; it
is archived upstream and breaks other libraries' assumptions, so we do not use
it). A dedicated loop thread keeps every socket alive between cells, so
callbacks fire while the kernel is idle, and the same code works unchanged in
a plain script, in a cell, and inside another asyncio program:

* sync calls hand a coroutine to :func:`run_sync`, which waits with a timeout;
* async calls (``await room.asend(...)``) bridge with ``asyncio.wrap_future``,
  so the caller's loop keeps running while the client's works;
* code already on the client thread (a callback) must not wait on it:
  :func:`run_sync` refuses with a clear error instead of deadlocking.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from ..errors import ClientError, PartyWidgetError

__all__ = ["at_the_call", "client_loop", "on_client_thread", "run_async", "run_sync"]

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def client_loop() -> asyncio.AbstractEventLoop:
    """The running client loop, started on first use (and again after a fork)."""
    global _loop, _thread
    with _lock:
        if _loop is None or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            started = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(started.set)
                loop.run_forever()

            _thread = threading.Thread(target=run, name="partywidget-client", daemon=True)
            _thread.start()
            started.wait()
            _loop = loop
        return _loop


def on_client_thread() -> bool:
    """True in code the client loop runs: callbacks, async callbacks, our tasks."""
    return _thread is not None and threading.current_thread() is _thread


def run_sync(coro: Coroutine[Any, Any, T], timeout: float, what: str) -> T:
    """Run ``coro`` on the client loop and wait at most ``timeout`` seconds for it.

    ``what`` names the call for the error messages.
    """
    if on_client_thread():
        coro.close()
        raise ClientError(f"{what} waits for the network, so it cannot run inside a "
                          "partywidget callback (that would block the client it waits for); "
                          "make the callback `async def` and use the async form instead")
    future = asyncio.run_coroutine_threadsafe(coro, client_loop())
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        if future.done():  # the coroutine's own TimeoutError, not our wait's
            raise
        future.cancel()
        raise ClientError(f"{what} did not finish within {timeout:g} s") from None
    except PartyWidgetError as exc:
        raise at_the_call(exc) from None


def at_the_call(exc: PartyWidgetError) -> PartyWidgetError:
    """``exc`` without the frames it crossed on the client loop (issue 18, item 5).

    Our errors carry what the user needs in their message; the frames of
    ``concurrent.futures`` and the client's coroutines above it add nothing
    but scrolling. Re-raised ``from None``, the traceback ends at the user's
    call with the message as its last line. Other exceptions (bugs) keep theirs.
    """
    return exc.with_traceback(None)


async def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` on the client loop from any loop (or directly, if this is it)."""
    if on_client_thread():
        return await coro
    try:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, client_loop()))
    except PartyWidgetError as exc:
        raise at_the_call(exc) from None
