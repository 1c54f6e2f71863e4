"""``partywidget serve`` as the benchmarks run it: same app, flood limit raised.

This is :func:`partywidget.cli.serve` with one difference: the per-connection
rate limits (``messages_per_second``, 50 by default, and ``bytes_per_second``)
are lifted, because the benchmark's senders flood on purpose and the limits
would otherwise be what is measured. The ``relay`` party (:mod:`benchmarks.servers.relay_party`) is
registered next to the built-in ``main`` chat.

Run: ``python -m benchmarks.servers.standalone --port N --storage rooms.db`` (or
``--redis redis://…`` for a room shared by several such processes).
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from partywidget.server.config import RoomOptions
from partywidget.server.netlimits import NetworkLimits
from partywidget.server.standalone import run

#: The lifted flood limit, shared with the Jupyter server's configuration. The
#: connection caps are lifted too: the load generator's clients are one user
#: (the Jupyter server's, or anonymous guests) and the room sweep reaches 2000.
FLOOD_LIMIT = {"messages_per_second": 1e9, "message_burst": 1 << 30,
               "bytes_per_second": 1 << 40, "byte_burst": 1 << 40,
               "max_connections_per_room": 1 << 20, "max_connections_per_user": 1 << 20}
PARTIES = {"relay": "benchmarks.servers.relay_party:RelayParty"}
#: Every load-generator client comes from 127.0.0.1: no cap per address.
NETWORK = NetworkLimits(max_connections_per_address=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--storage", default="")
    parser.add_argument("--redis", default="")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    options = RoomOptions(storage=args.storage, redis_url=args.redis, parties=PARTIES,
                          **FLOOD_LIMIT)
    asyncio.run(run(options.make_host(default_dir="."), host="127.0.0.1", port=args.port,
                    network=NETWORK))


if __name__ == "__main__":
    main()
