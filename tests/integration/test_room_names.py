"""What a room name costs on a real ``partywidget serve`` (issue 17): nothing until written.

The review's attack: 45,000 GETs of fresh room names left 45,001 stored rows.
Reading a room, over HTTP or by joining and leaving, must store nothing; loading
rooms is rate-limited per user (``--room-loads-per-minute``, 60 here).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator

import pytest

from partywidget.rooms.identity import SECRET_ROOM
from tests.conftest import ServerProcess

from .clients import fetch

pytestmark = pytest.mark.timeout(120)

LOADS_PER_MINUTE = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("room-names")
    running = ServerProcess("standalone", workdir, storage=str(workdir / "rooms.db"), token="",
                            extra_args=["--room-loads-per-minute", str(LOADS_PER_MINUTE)])
    running.start()
    try:
        yield running
    finally:
        running.stop()


def stored_rows(server: ServerProcess) -> dict[str, int]:
    """Rows per table of the server's database, read alongside it (WAL), but the
    host's own secret (connection ids), which no room name adds to."""
    db = sqlite3.connect(server.storage)
    try:
        rows = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("streams", "log")}
        rows["kv"] = db.execute("SELECT count(*) FROM kv WHERE room != ?",
                                (SECRET_ROOM,)).fetchone()[0]
        return rows
    finally:
        db.close()


async def test_reading_and_visiting_fresh_rooms_stores_nothing(server, join):
    tag = secrets.token_hex(4)
    for n in range(30):
        got = await fetch("GET", server.room_url(f"look-{tag}-{n}", ws=False))
        assert got.status == 200 and got.json()["messages"] == []
    for party in ("main", "board"):
        visitor = await join(server, f"visit-{tag}", party)
        await visitor.expect("welcome")
        await visitor.close()
    assert stored_rows(server) == {"streams": 0, "log": 0, "kv": 0}

    posted = await fetch("POST", server.room_url(f"look-{tag}-0", ws=False), body="written",
                         headers={"Content-Type": "text/plain"})
    assert posted.status == 201
    assert stored_rows(server) == {"streams": 1, "log": 1, "kv": 0}


async def test_one_user_loading_rooms_fast_is_refused_with_429(server):
    tag = secrets.token_hex(4)
    loaded = server.room_url(f"loaded-{tag}", ws=False)
    assert (await fetch("GET", loaded)).status == 200
    statuses = []
    for n in range(3 * LOADS_PER_MINUTE):  # bounded: far past one minute's allowance
        statuses.append((await fetch("GET", server.room_url(f"fresh-{tag}-{n}", ws=False))).status)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429 and statuses.count(200) <= 2 * LOADS_PER_MINUTE
    # A room already loaded costs no allowance: it still answers.
    assert (await fetch("GET", loaded)).status == 200
