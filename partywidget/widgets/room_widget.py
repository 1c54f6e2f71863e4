"""What Chat and Board share: the room traits, the kernel's RoomClient, the relay.

A room widget has two independent members of its room:

* the front end (every view of the model shares one ``partysocket`` connection,
  opened by the page with its own cookies), and
* the kernel, through a :class:`partywidget.client.RoomClient`, which keeps the
  kernel-side state live (``chat.messages``, ``board.strokes``) and carries
  ``chat.send`` / ``board.draw``.

Where the page cannot reach a room host (VS Code, Colab, Voila without the
server extension) or ``endpoint="relay"`` forces it, the kernel's client also
carries the front end's traffic: frames travel as widget custom messages
``{"kind": "frame", "data": <JSON text>}`` both ways, and the kernel's
connection state as ``{"kind": "status", "status": ...}`` (so the page shows
"reconnecting" while the kernel's socket is down). Custom messages sent
before a view loaded are lost (anywidget docs), so a front end starts with
``{"kind": "hello"}`` and gets a fresh welcome plus join frame built from the
client's state.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..client import RoomClient, connect
from ..client.discovery import extension_prefix
from ..client.hubservice import widget_endpoint
from ..errors import PartyWidgetError
from ..protocol.frames import Clear, Envelope, ErrorFrame, Lock, Remove, Welcome
from ..protocol.jsonrules import encode_json

__all__ = ["RELAY", "STATIC", "RoomView", "RoomWidget", "endpoint_url"]

#: The built front-end bundles (``npm run build``; produced by ``pip install``).
STATIC = Path(__file__).parent / "static"
#: ``endpoint`` value that routes the front end's traffic through the kernel.
RELAY = "relay"
#: Seconds the kernel side waits for its first join (as ``partywidget.connect``).
CONNECT_TIMEOUT = 10.0


def endpoint_url(endpoint: str) -> str | None:
    """The ``url=`` for the kernel's client: only an absolute room host URL names one."""
    return endpoint if endpoint.startswith(("http://", "https://")) else None


class RoomView(anywidget.AnyWidget):
    """The traits by which a page finds a room (js/room.ts ``resolveEndpoint``)."""

    room = traitlets.Unicode(help="Room name, shared by everyone who joins it.").tag(sync=True)
    party = traitlets.Unicode(help="Party (server-side room logic) of the room.").tag(sync=True)
    #: "" = the page's own Jupyter server (relay if it has none), "relay" = through
    #: the kernel, else the base URL or path of a room host. Never a token.
    _endpoint = traitlets.Unicode("").tag(sync=True)
    #: Where the page's Jupyter server serves rooms, under its base URL
    #: (``c.PartyWidget.url_prefix`` of the server that started this kernel).
    _prefix = traitlets.Unicode("partywidget").tag(sync=True)

    def __init__(self, room: str, *, party: str, endpoint: str | None = None,
                 **kwargs: Any) -> None:
        # On JupyterHub the hub-wide room service, if configured (docs/jupyterhub.md).
        endpoint = endpoint or widget_endpoint(os.environ)
        super().__init__(room=room, party=party, _endpoint=endpoint,
                         _prefix=extension_prefix(os.environ), **kwargs)


class RoomWidget(RoomView):
    """Base of the JSON room widgets: kernel-side client, kernel relay."""

    def __init__(self, room: str, *, party: str, endpoint: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(room, party=party, endpoint=endpoint, **kwargs)
        self._client: RoomClient | None = None
        self._client_lock = threading.Lock()
        self.on_msg(self._on_front_end_message)
        try:
            self.client  # noqa: B018 - join now, so kernel-side state is live before first use
        except (PartyWidgetError, TimeoutError):
            pass  # no room host found or reachable: the view still renders; use raises

    # kernel-side client -------------------------------------------------------

    @property
    def client(self) -> RoomClient:
        """The kernel's connection to the room, opened on first use.

        Raises :class:`~partywidget.NotConnectedError` (saying what to set) when
        no room host can be found or reached.
        """
        with self._client_lock:
            if self._client is None:
                self._client = self._join()
            return self._client

    def _join(self) -> RoomClient:
        """Open the kernel's membership of the room, following its frames from the start.

        ``on_event`` is attached before the socket opens: the join frames
        (welcome, history/state) arrive before ``connect`` returns, and a Board
        builds its strokes from the state frame.
        """
        return connect(self.room, self.party, url=endpoint_url(self._endpoint),
                       timeout=CONNECT_TIMEOUT, on_event=self._on_server_frame,
                       on_status=self._on_status)

    def _on_server_frame(self, frame: Any) -> None:
        """Every frame of the kernel's client (subclasses keep their state first)."""
        # Runs on the client's thread; Widget.send goes through ipykernel's
        # thread-safe iopub socket.
        if self._endpoint == RELAY:
            self._relay_frame(frame)

    def _on_status(self, status: str) -> None:
        if self._endpoint == RELAY:
            self._to_front_end({"kind": "status", "status": status})

    def close(self) -> None:
        """Close the widget's views and the kernel's connection to the room."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.off(self._on_server_frame)
            client.off(self._on_status)
            client.close()
        super().close()

    # moderation ---------------------------------------------------------------

    @property
    def locked(self) -> bool:
        """Whether the room is read-only for non-moderators now."""
        return self.client.locked

    def lock(self, locked: bool = True) -> None:
        """Make the room read-only for non-moderators (``False``: writable again).

        The server allows moderators only and tells every member (``locked``).
        """
        self.send_frame(Lock(bool(locked)))

    def clear(self) -> None:
        """Empty the room for everyone (the server allows moderators only)."""
        self.send_frame(Clear())

    def remove(self, connection_id: str) -> None:
        """Remove the participant of connection ``connection_id`` (an ``id`` of
        :attr:`users`) with all their connections (moderators only)."""
        self.send_frame(Remove(connection_id))

    def send_frame(self, frame: Envelope) -> None:
        """Send one of the party's client frames through the kernel's connection."""
        self.client.send_raw(frame.serialize())

    @property
    def users(self) -> list[dict[str, Any]]:
        """Who is online: ``[{"id": <connection id>, "user": {...}}, ...]``."""
        return self.client.users

    # relay ----------------------------------------------------------------------

    def _join_frame(self, client: RoomClient) -> Envelope:
        """The party's join frame (``history``/``state``) rebuilt from kernel state."""
        raise NotImplementedError

    def _welcome_frame(self, client: RoomClient) -> Welcome:
        return Welcome(self.room, self.party, client.id, client.user or {}, client.epoch,
                       client.users, client.locked)

    def _on_front_end_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("kind") not in ("hello", "frame"):
            return  # not a relay message (or from a newer front end): nothing to do
        try:
            client = self.client
        except (PartyWidgetError, TimeoutError) as exc:
            self._relay_problem(str(exc))
            return
        if content["kind"] == "hello":
            for frame in (self._welcome_frame(client), self._join_frame(client)):
                self._to_front_end({"kind": "frame", "data": frame.serialize()})
        elif isinstance(content.get("data"), str):
            client.send_raw(content["data"])

    def _to_front_end(self, content: dict[str, Any]) -> None:
        # Widget.send itself, which Chat.send shadows with the chat's own send.
        anywidget.AnyWidget.send(self, content)

    def _relay_frame(self, frame: Any) -> None:
        """Forward a server frame (decoded by the kernel's client) to the page as text.

        The relay carries text frames only, as the widgets' parties send; a
        binary frame has no place in a custom message's JSON and is not relayed.
        """
        if isinstance(frame, bytes):
            return
        data = frame if isinstance(frame, str) else encode_json(frame)
        self._to_front_end({"kind": "frame", "data": data})

    def _relay_problem(self, reason: str) -> None:
        """Tell a relaying front end why it has no room (it shows "closed" and the reason)."""
        self._to_front_end({"kind": "frame",
                            "data": ErrorFrame("no_room_host", reason).serialize()})
        self._to_front_end({"kind": "status", "status": "closed"})
