"""A kernel's part in the hub tests: ``partywidget.connect(room)`` with nothing but
the environment of the user's single-user server (which kernels inherit).

Usage: ``python kernel_member.py ROOM [--send TEXT] [--expect TEXT]``. Prints one
JSON line with the identity and room host it got, sends ``TEXT`` and waits for
its acknowledgement, and/or waits for a message ``TEXT`` from someone else.
Every wait is bounded; a timeout exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading

import partywidget

WAIT = 30.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("room")
    parser.add_argument("--send")
    parser.add_argument("--expect")
    args = parser.parse_args()
    seen = threading.Event()
    acked = threading.Event()
    with partywidget.connect(args.room) as room:
        @room.on_message
        def arrived(message: dict) -> None:
            if message["content"] == args.expect and message["user"]["username"] != room.user[
                    "username"]:
                seen.set()
            if message["content"] == args.send and message["from"] == room.id:
                acked.set()

        print(json.dumps({"user": room.user, "url": room.url}), flush=True)
        if args.expect and any(m["content"] == args.expect for m in room.history()):
            seen.set()
        if args.send:
            room.send(args.send)
            if not acked.wait(WAIT):
                print("no acknowledgement", file=sys.stderr)
                return 1
        if args.expect and not seen.wait(WAIT):
            print(f"never saw {args.expect!r}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
