"""``%load_ext partywidget``: the ``%party``, ``%chat`` and ``%board`` magics.

* ``%party`` shows where rooms are served (as :func:`partywidget.connect`
  would find them) and this kernel's open rooms with their state;
* ``%party connect ROOM [--party P]`` joins a room and returns the client;
* ``%%party send ROOM [--party P]`` sends the cell's text as a chat message
  (through this kernel's open client of that room, or a short-lived one);
* ``%chat ROOM`` and ``%board ROOM`` display the widgets.

``%party?`` shows the full usage.
"""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from .client import RoomClient, connect, find_room_host, open_clients
from .errors import InvalidName, PartyWidgetError

__all__ = ["PartyMagics", "register"]


def _open_client(room: str, party: str) -> RoomClient | None:
    for client in open_clients():
        if client.room == room and client.party == party:
            return client
    return None


def _one_room(magic: str, words: list[str]) -> str:
    """The room of ``%chat ROOM``; several words get a hint instead of argparse's
    "unrecognized arguments" (room names have no spaces)."""
    if len(words) > 1:
        raise UsageError(f"a room name has no spaces: try %{magic} {'-'.join(words)}")
    return words[0]


@magics_class
class PartyMagics(Magics):
    """Magics to see, join and talk in partywidget rooms from a notebook."""

    @magic_arguments()
    @argument("action", nargs="?", choices=["connect", "send"],
              help="nothing: show the status; connect: join ROOM and return the client; "
                   "send (as %%%%party send ROOM): send the cell body to ROOM")
    @argument("room", nargs="?", help="the room name, e.g. class-101")
    @argument("--party", default="main", help="the party (default: main, the chat)")
    @line_cell_magic
    def party(self, line: str, cell: str | None = None) -> RoomClient | None:
        """Rooms of partywidget: status, connect to a room, or send a cell to it.

        Examples::

            %party                          # where rooms are served; this kernel's rooms
            room = %party connect class-101
            %%party send class-101
            Hello from a notebook cell!
        """
        args = parse_argstring(self.party, line)
        if args.action is None:
            print(self.status())
            return None
        if args.room is None:
            print(f"%party {args.action} needs a room name, e.g. %party {args.action} class-101")
            return None
        if args.action == "connect":
            return _open_client(args.room, args.party) or connect(args.room, args.party)
        if cell is None:
            print("%%party send ROOM sends the rest of the cell: put it on the first line of a "
                  "cell and the message below it")
            return None
        self.send(args.room, args.party, cell.strip("\n"))
        return None

    @staticmethod
    def status() -> str:
        try:
            address = find_room_host()
            lines = [f"partywidget rooms: {address.url}/parties/{{party}}/{{room}}",
                     f"  found via {address.source}"]
        except PartyWidgetError as exc:
            lines = [f"partywidget rooms: none found. {exc}"]
        clients = open_clients()
        lines.append(f"open rooms in this kernel: {len(clients)}")
        lines.extend(f"  {client!r}" for client in clients)
        return "\n".join(lines)

    @staticmethod
    def send(room: str, party: str, text: str) -> None:
        client = _open_client(room, party)
        if client is not None:
            client.send(text)
            return
        with connect(room, party) as client:  # close() waits until the host echoed it
            client.send(text)

    @magic_arguments()
    @argument("room", nargs="+", help="the room name, e.g. class-101")
    @line_magic
    def chat(self, line: str) -> None:
        """Show a live chat of ROOM in this cell: ``%chat class-101``."""
        self._show_widget("Chat", _one_room("chat", parse_argstring(self.chat, line).room))

    @magic_arguments()
    @argument("room", nargs="+", help="the room name, e.g. class-101")
    @line_magic
    def board(self, line: str) -> None:
        """Show a shared whiteboard of ROOM in this cell: ``%board class-101``."""
        self._show_widget("Board", _one_room("board", parse_argstring(self.board, line).room))

    @staticmethod
    def _show_widget(kind: str, room: str) -> None:
        try:
            from . import widgets

            widget_class: Any = getattr(widgets, kind)
        except (ImportError, AttributeError) as exc:
            print(f"the partywidget {kind} widget is not available in this installation "
                  f"({type(exc).__name__}: {exc}). The room is still open to Python: "
                  f"room = partywidget.connect({room!r}"
                  f"{', party=' + repr('board') if kind == 'Board' else ''})")
            return
        try:
            widget = widget_class(room)
        except InvalidName as exc:  # said as a usage error: no traceback for a typo
            raise UsageError(str(exc)) from None
        display(widget)


def register(ipython: Any) -> None:
    """Register the magics with ``ipython`` (called by ``%load_ext partywidget``)."""
    ipython.register_magics(PartyMagics)
