"""Redis storage: rooms shared by several room hosts (``redis://host:6379/0``).

Layout, per room (``{p}`` is the key prefix, ``pw:`` by default):

* ``{p}st:{room}``: hash ``epoch top floor removal_mark`` (the :class:`LogState`);
* ``{p}log:{room}``: a Redis stream whose entry IDs are ``<offset>-0``, so
  ``XRANGE`` reads in offset order, ``XDEL`` removes one entry and
  ``XTRIM MINID`` enforces the length bound;
* ``{p}cid:{room}`` / ``{p}cidq:{room}``: the de-duplication keys of
  :meth:`RedisStorage.append_once` and their insertion order (bounded);
* ``{p}kv:{room}`` / ``{p}kvk:{room}``: the key-value map and its keys in a
  sorted set (``ZRANGE BYLEX``: byte order, as SQLite's ``BINARY``);
* ``{p}kvrooms``: rooms holding any key (``find``: stored alarms at start).

Every write is one Lua script, so Redis runs it atomically: the offset is
taken, the entry stored, the log trimmed and a ``cid`` claimed in one step,
whichever process asks. Writes of one process go through one connection in
submission order, pipelined (the group commit of the SQLite backend), so a
burst of appends costs one round trip and offsets follow the send order.
Reads use the connection pool; the writer has a connection of its own
(:meth:`RedisStorage._round_trip`). Durability is Redis's: see docs/scaling.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ConfigurationError, StorageError
from .base import LogEntry, LogState, Storage, encode_value, new_epoch

# The choice redis-py makes (its redis/asyncio/connection.py): asyncio.timeout
# misbehaves before 3.11.3, and redis-py depends on async-timeout below it.
# Without redis installed this module must still import: start() then says what
# to install (a ConfigurationError), not an ImportError of async-timeout.
if sys.version_info >= (3, 11, 3):
    from asyncio import timeout as _timeout
else:
    try:
        from async_timeout import timeout as _timeout
    except ImportError:
        _timeout = None

__all__ = ["RedisStorage"]

log = logging.getLogger("partywidget")

#: Creates a room's stream state once (a fresh epoch); every log script starts with it.
_ENSURE = """
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'top', 0, 'floor', 0, 'removal_mark', 0)
end
"""

#: KEYS st log cid cidq; ARGV epoch keep remember, then an entry and its dedup key
#: ("" for none) per append: the appends the writer sends for one room at once run
#: as one call (one command to pack, one reply to parse, one script run in Redis).
#: Returns {offset, 1} per new entry, {offset, 0} per key seen before, flat and in order.
_APPEND = _ENSURE + """
local keep, remember = tonumber(ARGV[2]), tonumber(ARGV[3])
local out, top = {}, nil
for i = 4, #ARGV, 2 do
  local entry, dk = ARGV[i], ARGV[i + 1]
  local seen = dk ~= '' and redis.call('HGET', KEYS[3], dk)
  if seen then
    out[#out + 1] = tonumber(seen)
    out[#out + 1] = 0
  else
    top = redis.call('HINCRBY', KEYS[1], 'top', 1)
    redis.call('XADD', KEYS[2], string.format('%d-0', top), 'e', entry)
    if dk ~= '' then
      redis.call('HSET', KEYS[3], dk, top)
      redis.call('RPUSH', KEYS[4], dk)
      if redis.call('LLEN', KEYS[4]) > remember then
        redis.call('HDEL', KEYS[3], redis.call('LPOP', KEYS[4]))
      end
    end
    out[#out + 1] = top
    out[#out + 1] = 1
  end
end
if top then
  local floor = tonumber(redis.call('HGET', KEYS[1], 'floor'))
  if top - floor > keep then
    redis.call('HSET', KEYS[1], 'floor', top - keep)
    redis.call('XTRIM', KEYS[2], 'MINID', string.format('%d-0', top - keep + 1))
  end
end
return out
"""

#: KEYS st log; ARGV epoch first-id ("" for the state only).
_READ = _ENSURE + """
local st = redis.call('HMGET', KEYS[1], 'epoch', 'top', 'floor', 'removal_mark')
local entries = {}
if ARGV[2] ~= '' then entries = redis.call('XRANGE', KEYS[2], ARGV[2], '+') end
return {st, entries}
"""

#: KEYS st log; ARGV epoch stream-id.
_REMOVE = _ENSURE + """
if redis.call('XDEL', KEYS[2], ARGV[2]) == 0 then return 0 end
local top = tonumber(redis.call('HGET', KEYS[1], 'top'))
redis.call('HSET', KEYS[1], 'removal_mark', top + 1)
return 1
"""

#: KEYS st log; ARGV epoch new-epoch.
_RESET = _ENSURE + """
redis.call('DEL', KEYS[2])
local top = redis.call('HGET', KEYS[1], 'top')
redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'floor', top, 'removal_mark', 0)
return redis.call('HMGET', KEYS[1], 'epoch', 'top', 'floor', 'removal_mark')
"""

#: KEYS kv kvk kvrooms; ARGV room key value.
_PUT = """
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
return 1
"""

#: KEYS kv kvk kvrooms; ARGV room key value: _PUT unless the key holds a value.
_PUT_IF_ABSENT = """
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 1 then
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
  redis.call('ZADD', KEYS[3], 0, ARGV[1])
end
return redis.call('HGET', KEYS[1], ARGV[2])
"""

#: KEYS kv kvk kvrooms; ARGV room key.
_DELETE = """
local gone = redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('ZREM', KEYS[3], ARGV[1]) end
return gone
"""

#: KEYS kv kvk kvrooms; ARGV room.
_DELETE_ALL = """
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""

#: KEYS kv kvk; ARGV min max rev(0/1) limit(-1: none). Keys and values in one step.
_LIST = """
local keys
if ARGV[3] == '1' then
  keys = redis.call('ZRANGE', KEYS[2], ARGV[2], ARGV[1], 'BYLEX', 'REV', 'LIMIT', 0, ARGV[4])
else
  keys = redis.call('ZRANGE', KEYS[2], ARGV[1], ARGV[2], 'BYLEX', 'LIMIT', 0, ARGV[4])
end
if #keys == 0 then return {{}, {}} end
return {keys, redis.call('HMGET', KEYS[1], unpack(keys))}
"""

#: KEYS kvrooms; ARGV min max key prefix. {rooms, values} of rooms holding the key.
_FIND = """
local rooms = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'BYLEX')
local found, values = {}, {}
for _, room in ipairs(rooms) do
  local value = redis.call('HGET', ARGV[4] .. 'kv:' .. room, ARGV[3])
  if value then
    found[#found + 1] = room
    values[#values + 1] = value
  end
end
return {found, values}
"""

#: Stored values carry a one-byte tag: JSON text or raw bytes.
_JSON, _BYTES = b"j", b"b"


def _encode(value: Any) -> bytes:
    encoded = encode_value(value, max_bytes=1 << 62)
    return _BYTES + encoded if isinstance(encoded, bytes) else _JSON + encoded.encode("utf-8")


def _decode(raw: bytes | None) -> Any:
    if raw is None:
        return None
    if raw[:1] == _BYTES:
        return raw[1:]
    return json.loads(raw[1:])


def _state(row: list[Any]) -> LogState:
    epoch, top, floor, mark = row
    return LogState(epoch.decode(), int(top), int(floor), int(mark))


def _offset(stream_id: bytes) -> int:
    return int(stream_id.split(b"-", 1)[0])


def _lex_range(prefix: str | None, start: str | None,
               end: str | None) -> tuple[bytes, bytes]:
    """``ZRANGE BYLEX`` bounds for keys ``>= start``, ``< end`` and starting with ``prefix``.

    UTF-8 never contains the byte 0xFF, so every key starting with ``prefix``
    sorts below ``prefix + b"\\xff"``.
    """
    low, high = b"-", b"+"
    lows = [s.encode("utf-8") for s in (prefix, start) if s]
    if lows:
        low = b"[" + max(lows)
    highs = [s.encode("utf-8") for s in (end,) if s is not None]
    if prefix:
        highs.append(prefix.encode("utf-8") + b"\xff")
    if highs:
        high = b"(" + min(highs)
    return low, high


class _Write:
    """One queued script call (or, without ``script``, one command whose
    arguments ``args()`` builds when it is sent): the writer sends a batch of
    them in one pipeline."""

    __slots__ = ("script", "keys", "args", "future")

    def __init__(self, script: Any | None, keys: list[str],
                 args: list[Any] | Callable[[], Sequence[Any]],
                 future: asyncio.Future[Any]) -> None:
        self.script = script
        self.keys = keys
        self.args = args
        self.future = future


class RedisStorage(Storage):
    """All rooms in one Redis database, shared by every process that names it."""

    #: Remembered de-duplication keys per room (``append_once``), oldest forgotten first.
    remember = 10_000
    #: Seconds one round trip of the writer may take before it fails (redis-py's
    #: default ``socket_timeout``): a hung Redis is an error, not a stalled writer.
    timeout = 5.0

    def __init__(self, url: str, *, prefix: str = "pw:") -> None:
        self.url = url
        self.prefix = prefix
        self.client: Any = None
        self._queue: asyncio.Queue[_Write] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._scripts: dict[str, Any] = {}
        #: The writer's own connection, and how it packs commands.
        self._conn: Any = None
        self._pack: Callable[[list[tuple[Any, ...]]], Any] | None = None

    @property
    def description(self) -> str:
        return f"{_redacted(self.url)} (Redis; durability as its appendonly/appendfsync)"

    def key(self, kind: str, room: str) -> str:
        return f"{self.prefix}{kind}:{room}"

    async def start(self) -> None:
        if self.client is not None:
            return
        try:
            import redis.asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
            from redis.exceptions import ConnectionError as RedisConnectionError
        except ImportError:
            raise ConfigurationError(
                "Redis storage needs the redis package: pip install 'partywidget[redis]'"
            ) from None
        # After a Redis restart every pooled connection is dead and fails its
        # next command once: retry that once, at once. A batch that reached a
        # Redis which then died is not resent (the immediate retry finds it
        # still down), so no append is stored twice. RESP2, not redis-py 8's
        # default RESP3: under RESP3 every pub/sub message is a push that
        # redis-py formats into a debug log line (payload and all) even when
        # debug logging is off, a cost paid per received broadcast batch.
        client = aioredis.from_url(self.url, retry=Retry(NoBackoff(), 1),
                                   retry_on_error=[RedisConnectionError], protocol=2)
        try:
            await client.ping()
        except Exception as exc:
            await client.aclose()
            raise ConfigurationError(
                f"cannot reach Redis at {_redacted(self.url)}: {exc}") from None
        self.client = client
        for name, source in (("append", _APPEND), ("read", _READ), ("remove", _REMOVE),
                             ("reset", _RESET), ("put", _PUT), ("put_if_absent", _PUT_IF_ABSENT),
                             ("delete", _DELETE),
                             ("delete_all", _DELETE_ALL), ("list", _LIST), ("find", _FIND)):
            self._scripts[name] = script = client.register_script(source)
            script.sha = await client.script_load(source)
        self._conn, self._pack = _writer_connection(client)
        self._queue = asyncio.Queue()
        self._writer = asyncio.ensure_future(self._write_loop())

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._conn is not None:
            await self._conn.disconnect()
        if self.client is not None:
            await self.client.aclose()
        self.client = self._queue = self._writer = self._conn = None

    # the writer ----------------------------------------------------------------

    def _write(self, name: str | None, keys: list[str],
               args: list[Any] | Callable[[], Sequence[Any]]) -> asyncio.Future[Any]:
        if self._queue is None:
            raise StorageError("storage is not started (call start()) or already closed")
        future = asyncio.get_running_loop().create_future()
        script = None if name is None else self._scripts[name]
        self._queue.put_nowait(_Write(script, keys, args, future))
        return future

    def command(self, build: Callable[[], Sequence[Any]]) -> asyncio.Future[Any]:
        """Run the Redis command ``build()`` returns, in order with this process's
        writes (``PUBLISH`` after the append it announces).

        ``build`` is called when the writer sends the command, not now: what
        the caller gathers until then (the broadcasts of a burst) goes out as
        one command."""
        return self._write(None, [], build)

    async def _write_loop(self) -> None:
        """Send whatever is queued as one pipeline on one connection, in queue order."""
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            # One more loop iteration for company (one loop pass of latency):
            # the frames a socket read yields reach their parties' appends a
            # step or two after it, and then go in this pipeline, not the next.
            await asyncio.sleep(0)
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results = await self._send(batch)
            except asyncio.CancelledError:
                for op in batch:
                    op.future.cancel()
                raise
            except Exception as exc:
                # Nothing in the batch is known to be stored: no operation may
                # report success (no broadcast of an unstored message).
                log.error("redis batch of %d writes failed: %s", len(batch), exc)
                error = StorageError(f"storage write failed: {exc}")
                results = [error] * len(batch)
            for op, result in zip(batch, results):
                if op.future.done():
                    continue
                if isinstance(result, Exception):
                    op.future.set_exception(result)
                else:
                    op.future.set_result(result)

    async def _send(self, batch: list[_Write]) -> list[Any]:
        from redis.exceptions import NoScriptError

        results = await self._pipeline(batch)
        # A restarted Redis forgot the scripts; an op refused with NOSCRIPT did
        # not run, so loading them and sending those ops again is safe.
        again = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if again:
            for script in {batch[i].script for i in again}:
                script.sha = await self.client.script_load(script.script)
            for i, result in zip(again, await self._pipeline([batch[i] for i in again])):
                results[i] = result
        return results

    async def _pipeline(self, batch: list[_Write]) -> list[Any]:
        """Results in ``batch`` order; a command whose ``args()`` raises (a
        broadcast that cannot be encoded) fails alone, not the writes queued with it."""
        results: list[Any] = [None] * len(batch)
        sent: list[list[int]] = []
        commands: list[tuple[Any, ...]] = []
        for ops in self._plan(batch):
            op = batch[ops[0]]
            if callable(op.args):
                try:
                    commands.append(tuple(op.args()))
                except Exception as exc:
                    log.error("redis command not sent, its arguments failed: %r", exc)
                    results[ops[0]] = exc
                    continue
            elif op.script is self._scripts["append"]:
                entries = [arg for i in ops for arg in batch[i].args[3:]]
                commands.append(("EVALSHA", op.script.sha, len(op.keys), *op.keys,
                                 *op.args[:3], *entries))
            else:
                commands.append(("EVALSHA", op.script.sha, len(op.keys), *op.keys, *op.args))
            sent.append(ops)
        replies = await self._exchange(commands) if commands else []
        for ops, reply in zip(sent, replies):
            if batch[ops[0]].script is not self._scripts["append"] or isinstance(reply, Exception):
                for i in ops:
                    results[i] = reply
            else:  # one (offset, fresh) pair per merged append, in order
                for n, i in enumerate(ops):
                    results[i] = reply[2 * n:2 * n + 2]
        return results

    async def _exchange(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """The replies to ``commands``, sent as one write; a Redis error is its command's reply.

        After a Redis restart the connection is dead and fails its first use:
        that is retried once, at once (what ``Retry(NoBackoff(), 1)`` does for
        the pool). A batch that reached a Redis which then died is not resent
        (the immediate retry finds it still down), so no append is stored twice;
        a timeout is not retried at all (the batch may have run).
        """
        from redis.exceptions import ConnectionError as RedisConnectionError

        try:
            return await self._round_trip(commands)
        except RedisConnectionError:
            return await self._round_trip(commands)

    async def _round_trip(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """One write and its replies on the writer's own connection (docs/scaling.md,
        "Third round"): no pool checkout, no pipeline object, one timer per round
        trip instead of a task per send, and the commands packed by hiredis."""
        from redis.exceptions import ResponseError

        assert self._conn is not None and self._pack is not None
        conn, replies = self._conn, []
        # A send or read cut off (the timeout, a cancel, a dead socket) drops the
        # connection (redis-py's disconnect_on_error): no reply left unread can
        # answer the next batch, which starts on a fresh connection.
        async with _timeout(self.timeout):
            await conn.send_packed_command(self._pack(commands), check_health=False)
            for _ in commands:
                try:
                    replies.append(await conn.read_response())
                except ResponseError as exc:  # this command's error, not the batch's
                    replies.append(exc)
        return replies

    def _plan(self, batch: list[_Write]) -> list[list[int]]:
        """The commands to send for ``batch``: the indices each one answers, in send order.

        The appends of one room (with the same bounds) go as one call of the
        append script, at the place of the first, in their order: a burst
        costs one command, not one per message. An append may move ahead of
        a ``PUBLISH`` (which only announces appends acknowledged before it, so
        never this one) but not ahead of another script (a removal or reset
        of the log it appends to, a key-value write).
        """
        plan: list[list[int]] = []
        #: Per room (its keys), the call its next append may join.
        appends: dict[tuple[str, ...], list[int]] = {}
        for i, op in enumerate(batch):
            if op.script is self._scripts["append"]:
                room = tuple(op.keys)
                ops = appends.get(room)
                # Another bound (keep) starts a new call: it must trim after the ones before.
                if ops is None or batch[ops[0]].args[1:3] != op.args[1:3]:
                    ops = appends[room] = []
                    plan.append(ops)
                ops.append(i)
                continue
            if not callable(op.args):
                appends.clear()
            plan.append([i])
        return plan

    def _keys(self, room: str) -> list[str]:
        return [self.key("st", room), self.key("log", room)]

    # key-value -------------------------------------------------------------------

    def _kv_keys(self, room: str) -> list[str]:
        return [self.key("kv", room), self.key("kvk", room), self.prefix + "kvrooms"]

    async def get(self, room: str, key: str) -> Any | None:
        return _decode(await self._client().hget(self.key("kv", room), key))

    async def put(self, room: str, key: str, value: Any) -> None:
        await self._write("put", self._kv_keys(room), [room, key, _encode(value)])

    async def put_if_absent(self, room: str, key: str, value: Any) -> Any:
        return _decode(await self._write("put_if_absent", self._kv_keys(room),
                                         [room, key, _encode(value)]))

    async def delete(self, room: str, key: str) -> bool:
        return bool(await self._write("delete", self._kv_keys(room), [room, key]))

    async def list(self, room: str, *, prefix: str | None = None, start: str | None = None,
                   end: str | None = None, limit: int | None = None,
                   reverse: bool = False) -> dict[str, Any]:
        if limit is not None and limit <= 0:
            return {}
        low, high = _lex_range(prefix, start, end)
        keys, values = await self._scripts["list"](
            keys=self._kv_keys(room)[:2],
            args=[low, high, int(reverse), -1 if limit is None else int(limit)],
            client=self._client())
        return {key.decode("utf-8"): _decode(value) for key, value in zip(keys, values)}

    async def delete_all(self, room: str) -> None:
        await self._write("delete_all", self._kv_keys(room), [room])

    async def find(self, key: str, *, room_prefix: str = "") -> dict[str, Any]:
        low, high = _lex_range(room_prefix, None, None)
        rooms, values = await self._scripts["find"](
            keys=[self.prefix + "kvrooms"], args=[low, high, key, self.prefix],
            client=self._client())
        return {room.decode("utf-8"): _decode(value) for room, value in zip(rooms, values)}

    # log -------------------------------------------------------------------------

    async def append(self, room: str, entry: str, *, keep: int) -> int:
        offset, _ = await self.append_once(room, entry, keep=keep, key=None)
        return offset

    async def append_once(self, room: str, entry: str, *, keep: int,
                          key: str | None) -> tuple[int, bool]:
        keys = [*self._keys(room), self.key("cid", room), self.key("cidq", room)]
        offset, fresh = await self._write(
            "append", keys, [new_epoch(), keep, self.remember, entry, key or ""])
        return int(offset), bool(fresh)

    async def read(self, room: str, *, after: int = 0) -> tuple[LogState, list[LogEntry]]:
        row, entries = await self._scripts["read"](
            keys=self._keys(room), args=[new_epoch(), f"{after + 1}-0"], client=self._client())
        return _state(row), [(_offset(sid), fields[b"e"].decode("utf-8"))
                             for sid, fields in _pairs(entries)]

    async def state(self, room: str) -> LogState:
        row, _ = await self._scripts["read"](
            keys=self._keys(room), args=[new_epoch(), ""], client=self._client())
        return _state(row)

    async def remove(self, room: str, offset: int) -> bool:
        return bool(await self._write("remove", self._keys(room), [new_epoch(), f"{offset}-0"]))

    async def reset(self, room: str) -> LogState:
        return _state(await self._write("reset", self._keys(room), [new_epoch(), new_epoch()]))

    def _client(self) -> Any:
        if self.client is None:
            raise StorageError("storage is not started (call start()) or already closed")
        return self.client


def _writer_connection(client: Any) -> tuple[Any, Callable[[list[tuple[Any, ...]]], Any]]:
    """A connection for the writer alone, and the function that packs its commands.

    Made by the pool's own class and settings (URL, auth, ``protocol=2``, the
    connect retry) but without a socket timeout: :meth:`RedisStorage._round_trip`
    bounds the whole round trip with one timer, where redis-py would run every
    send as an ``asyncio.wait_for`` task. Commands are packed by redis-py's
    hiredis serializer (what its synchronous client uses when hiredis is
    installed; the asyncio client packs in Python, several times slower for a
    burst's arguments), else by the connection itself.
    """
    from redis.utils import HIREDIS_AVAILABLE

    pool = client.connection_pool
    conn = pool.connection_class(**{**pool.connection_kwargs, "socket_timeout": None})
    if not HIREDIS_AVAILABLE:
        return conn, conn.pack_commands
    from redis.connection import HiredisRespSerializer

    serializer = HiredisRespSerializer()
    return conn, lambda commands: [chunk for command in commands
                                   for chunk in serializer.pack(*command)]


def _pairs(entries: list[Any]) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """Stream entries as Lua returns them: ``[id, [field, value, ...]]`` each."""
    return [(sid, dict(zip(flat[::2], flat[1::2]))) for sid, flat in entries]


def _redacted(url: str) -> str:
    """The URL without its password, for logs and errors."""
    scheme, sep, rest = url.partition("://")
    auth, at, host = rest.rpartition("@")
    if not at:
        return url
    user = auth.partition(":")[0]
    return f"{scheme}{sep}{user}:***@{host}"
