"""The Redis backplane: pub/sub per room and presence with a heartbeat.

* Broadcasts: ``PUBLISH {p}room:{room}``, sent through the storage's writer
  (:meth:`RedisStorage.command`), so a frame is published after the append it
  announces and a process's frames keep their order; one subscriber
  connection per process reads every loaded room's channel. The broadcasts a
  room makes until the writer sends its ``PUBLISH`` go in that one message
  (:func:`encode_batch`, at most :attr:`RedisBackplane.max_batch_bytes`): under
  load a burst costs one publish, one pub/sub message per process and one
  decode, not one per frame. A process drops its own batches, read back
  from its subscription, by their origin before decoding them (it delivered
  them when it sent them).
* Presence: ``{p}members:{room}`` maps connection ids to ``<process>\\n<info>``;
  each process refreshes ``{p}proc:{id}`` (expiring after
  :attr:`member_expiry`) every third of it. Members of a process whose key
  expired are claimed (``HDEL``: exactly one claimer) and announced gone.
* Health: with every heartbeat the process publishes a probe (its send
  time) on its own channel ``{p}probe:{id}``; the time until its reader sees
  it is :attr:`lag_seconds` (the pub/sub round trip plus the reader's
  backlog), and a subscription not confirmed since it was lost makes
  :meth:`unready` say so (``/readyz``).
* A lost subscription (Redis restarted, or Redis cut this process off as a
  slow pub/sub consumer at its ``client-output-buffer-limit``) is reported to
  every room (``None``): their connections close with 1001 and resume from
  storage, so no frame is silently missed and nothing queues without bound.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from typing import Any

from ..rooms.backplane import (Backplane, Broadcast, Listener, batch_origin, decode_batch,
                               encode_batch)
from .redis import RedisStorage

__all__ = ["RedisBackplane"]

log = logging.getLogger("partywidget")

#: KEYS members; ARGV proc-prefix claim. Without claim ("0"): the infos of members
#: whose process is alive. With it ("1"): removes and returns those of dead processes.
_MEMBERS = """
local out, alive = {}, {}
local want = ARGV[2] == '1' and 0 or 1
local all = redis.call('HGETALL', KEYS[1])
for i = 2, #all, 2 do
  local nl = string.find(all[i], '\\n', 1, true)
  local proc = string.sub(all[i], 1, nl - 1)
  if alive[proc] == nil then alive[proc] = redis.call('EXISTS', ARGV[1] .. proc) end
  if alive[proc] == want then
    if want == 0 then redis.call('HDEL', KEYS[1], all[i - 1]) end
    out[#out + 1] = string.sub(all[i], nl + 1)
  end
end
return out
"""

#: KEYS members; ARGV id proc. Removes a member only if this process added it.
_REMOVE_MEMBER = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value and string.sub(value, 1, #ARGV[2] + 1) == ARGV[2] .. '\\n' then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""


class RedisBackplane(Backplane):
    """Rooms shared by every process using the same Redis (and key prefix)."""

    #: Seconds to wait before listening again after the subscription was lost.
    retry_seconds = 1.0
    #: A batch of broadcasts grows to this many body bytes at most; the next
    #: broadcast starts another (one pub/sub message stays far below Redis's
    #: ``client-output-buffer-limit pubsub``).
    max_batch_bytes = 256 * 1024

    def __init__(self, storage: RedisStorage, *, member_expiry: float = 15.0) -> None:
        self.storage = storage
        self.member_expiry = member_expiry
        self.id = secrets.token_hex(6)
        self._listeners: dict[bytes, Listener] = {}
        #: Per room, the broadcasts waiting for their ``PUBLISH`` to be sent.
        self._pending: dict[str, _Batch] = {}
        #: The subscriber connection's (re)connections, and per channel the one
        #: it was subscribed on: a reconnection loses what was published in
        #: between, so the channels subscribed before it must resync.
        self._generation = 0
        self._since: dict[bytes, int] = {}
        self._confirmed: dict[bytes, asyncio.Future[None]] = {}
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._scripts: dict[str, Any] = {}
        #: Members whose removal failed while Redis was down: (room, id).
        self._unremoved: set[tuple[str, str]] = set()
        self._probe = self._key("probe", self.id).encode("utf-8")
        self._origin = self.id.encode()
        #: The subscriber connection confirmed its subscriptions, and lost none since.
        self._listening = False

    def _key(self, kind: str, name: str) -> str:
        return self.storage.key(kind, name)

    async def start(self) -> None:
        if self._heartbeat is not None:
            return
        client = self.storage.client
        for name, source in (("members", _MEMBERS), ("remove_member", _REMOVE_MEMBER)):
            self._scripts[name] = client.register_script(source)
        self._pubsub = client.pubsub()
        await self._listen(self._probe)
        await self._beat()  # presence, and the first probe: a lag to show at once
        self._heartbeat = asyncio.ensure_future(self._beat_forever())

    def unready(self) -> str:
        return "" if self._listening else "redis subscription lost; reconnecting"

    async def close(self) -> None:
        for task in (self._reader, self._heartbeat):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._reader = self._heartbeat = None
        if self._pubsub is not None:
            await self._pubsub.aclose()
            self._pubsub = None
        try:  # a clean exit: our members are gone now, not after the expiry
            await self.storage.client.delete(self._key("proc", self.id))
        except Exception as exc:
            log.warning("could not remove this process's presence from Redis: %s", exc)

    # presence ------------------------------------------------------------------

    async def _beat(self) -> None:
        await self.storage.client.set(self._key("proc", self.id), 1,
                                      px=int(self.member_expiry * 1000))
        if self._pubsub is not None:
            await self.storage.client.publish(self._probe, repr(time.monotonic()))

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.member_expiry / 3)
            try:
                await self._beat()
                for room, id in list(self._unremoved):
                    self._unremoved.discard((room, id))
                    await self.remove_member(room, id)
            except Exception as exc:  # Redis down: try again next beat, no busy loop
                log.warning("redis heartbeat failed: %s", exc)

    async def add_member(self, room: str, id: str, info: dict[str, Any]) -> None:
        value = f"{self.id}\n{json.dumps(info, separators=(',', ':'))}"
        await self.storage.client.hset(self._key("members", room), id, value)

    async def remove_member(self, room: str, id: str) -> None:
        try:
            await self._scripts["remove_member"](keys=[self._key("members", room)],
                                                 args=[id, self.id])
        except Exception as exc:
            # Redis is down: this process lives on, so the member would never
            # expire; the heartbeat removes it once Redis answers again.
            log.warning("redis: removing member %r of %s failed (%s); retried later",
                        id[:40], room, exc)
            self._unremoved.add((room, id))

    async def members(self, room: str) -> list[dict[str, Any]]:
        return await self._members(room, claim=False)

    async def claim_lost(self, room: str) -> list[dict[str, Any]]:
        return await self._members(room, claim=True)

    async def _members(self, room: str, *, claim: bool) -> list[dict[str, Any]]:
        raw = await self._scripts["members"](keys=[self._key("members", room)],
                                             args=[self._key("proc", ""), int(claim)])
        return [json.loads(info) for info in raw]

    # pub/sub -------------------------------------------------------------------

    def publish(self, room: str, item: Broadcast) -> None:
        size = len(item.message.data) if item.message is not None else 0
        batch = self._pending.get(room)
        if batch is not None and batch.size + size <= self.max_batch_bytes:
            batch.items.append(item)  # goes with the PUBLISH queued already, in order
            batch.size += size
            return
        batch = _Batch(item, size)
        done = self.storage.command(lambda: self._publish_command(room, batch))
        # Pending only once queued: a refused command (StorageError) must not
        # leave a batch that later broadcasts join and that is never sent.
        self._pending[room] = batch
        done.add_done_callback(_log_failure)

    def _publish_command(self, room: str, batch: _Batch) -> list[Any]:
        """The ``PUBLISH`` of ``batch``, built as the writer sends it: later
        broadcasts start a new batch."""
        if self._pending.get(room) is batch:
            del self._pending[room]
        return ["PUBLISH", self._key("room", room), encode_batch(batch.items)]

    async def subscribe(self, room: str, listener: Listener) -> None:
        channel = self._key("room", room).encode("utf-8")
        self._listeners[channel] = listener
        await self._listen(channel)

    async def _listen(self, channel: bytes) -> None:
        """Subscribe ``channel`` and wait for Redis to confirm it."""
        confirmed = self._confirmed[channel] = asyncio.get_running_loop().create_future()
        await self._pubsub.subscribe(channel)
        if self._reader is None:
            self._pubsub.connection.register_connect_callback(self._reconnected)
            self._reader = asyncio.ensure_future(self._read_forever())
        self._since[channel] = self._generation
        # Listening before the party reads any history: a frame published
        # after that read is heard (delivery contract: no gap).
        await asyncio.wait_for(confirmed, timeout=30)

    async def unsubscribe(self, room: str, listener: Listener) -> None:
        channel = self._key("room", room).encode("utf-8")
        if self._listeners.get(channel) != listener:
            return
        del self._listeners[channel]
        self._since.pop(channel, None)
        try:
            await self._pubsub.unsubscribe(channel)
        except Exception as exc:  # Redis is down: a channel without a listener is ignored
            log.warning("redis unsubscribe of %r failed: %s", channel[:100], exc)

    async def _read_forever(self) -> None:
        while True:
            try:
                # Blocking: no timer per message (a dead connection raises). It
                # ignores socket_timeout from redis-py 8.0.1 on (pyproject's minimum).
                message = await self._pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("redis subscription lost (%s); rooms resume from storage", exc)
                self._listening = False
                self._resync(self._generation + 1)
                await asyncio.sleep(self.retry_seconds)  # no busy loop while Redis is down
                continue
            if message is None:
                continue
            try:
                self._dispatch(message)
            except Exception:  # one odd message must not end the reader (readyz stays true)
                log.exception("redis message on %r dropped", str(message.get("channel"))[:100])

    def _reconnected(self, connection: Any) -> None:
        """redis-py reconnected the subscriber (and re-subscribed on its own)."""
        self._generation += 1
        self._resync(self._generation)

    def _resync(self, generation: int) -> None:
        """Tell every room subscribed before ``generation`` that it may have missed frames."""
        for channel, since in list(self._since.items()):
            listener = self._listeners.get(channel)
            if since < generation and listener is not None:
                del self._since[channel]
                listener(None)

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel = message["channel"]
        listener = self._listeners.get(channel)
        if message["type"] == "subscribe":
            confirmed = self._confirmed.pop(channel, None)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(None)
            if channel == self._probe:  # also after redis-py re-subscribed on a reconnect
                self._listening = True
            return
        if channel == self._probe and message["type"] == "message":
            try:
                self.lag_seconds = time.monotonic() - float(message["data"])
            except ValueError:
                log.error("undecodable probe on %r dropped", channel[:100])
            return
        if message["type"] != "message" or listener is None:
            return
        data = message["data"]
        if batch_origin(data) == self._origin:
            return  # ours: delivered here when published
        try:
            items = decode_batch(data)
        except (ValueError, TypeError, KeyError):
            log.error("undecodable broadcast on %r dropped", channel[:100])
            return
        for item in items:
            try:
                listener(item)
            except Exception:  # one room's failure must not stop every room's stream
                log.exception("delivering a broadcast of %r failed", channel[:100])


class _Batch:
    """Broadcasts of one room queued for one ``PUBLISH``, and their body bytes."""

    __slots__ = ("items", "size")

    def __init__(self, item: Broadcast, size: int) -> None:
        self.items = [item]
        self.size = size


def _log_failure(done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("redis publish failed: %s", done.exception())
