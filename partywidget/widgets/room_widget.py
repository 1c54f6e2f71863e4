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

The page may be less trusted than the kernel (a Voila dashboard shows the
kernel's widgets to visitors): it cannot change which room host the kernel
talks to, or which room (front-end writes to :data:`KERNEL_OWNED` traits are
ignored), and frames that would use the kernel's moderator rights are relayed
only when the page's user is the kernel's user (not under Voila, unless
``page_moderation=True``). See docs/security.md, "The kernel relay".
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
from ..protocol import board, chat
from ..protocol.frames import (Clear, Envelope, ErrorFrame, Lock, Remove, Welcome, decode_frame,
                               read_frame)
from ..protocol.jsonrules import encode_json
from ..protocol.names import check_name

__all__ = ["KERNEL_OWNED", "RELAY", "STATIC", "RoomView", "RoomWidget", "endpoint_url",
           "page_is_the_kernels_user"]

#: The built front-end bundles (``npm run build``; produced by ``pip install``).
STATIC = Path(__file__).parent / "static"
#: ``endpoint`` value that routes the front end's traffic through the kernel.
RELAY = "relay"
#: Seconds the kernel side waits for its first join (as ``partywidget.connect``).
CONNECT_TIMEOUT = 10.0
#: Synced traits only the kernel sets: they choose the room host the kernel's
#: client talks to (and hands its token to) and the room it speaks in.
KERNEL_OWNED = frozenset({"_endpoint", "_prefix", "room", "party"})
#: Page frames that act with moderator rights whatever the target...
MODERATION = frozenset({Lock.type, Clear.type, Remove.type})
#: ...and those that do when the kernel's user moderates (else: own entries only).
MODERATOR_OR_OWN = frozenset({chat.Delete.type, board.Erase.type})


def page_is_the_kernels_user(environ: Any) -> bool:
    """Whether the page showing the widgets is the kernel's own user.

    Voila runs kernels for its visitors and says so in ``SERVER_SOFTWARE``
    (CGI-style variables it gives every kernel): there the page is not.
    """
    return not str(environ.get("SERVER_SOFTWARE", "")).lower().startswith("voila")


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
        # Names are checked at the call, as partywidget.connect does: a bad name
        # raises InvalidName here instead of a view stuck on "reconnecting".
        check_name("room", room)
        check_name("party", party)
        if endpoint is None and os.environ.get("PARTYWIDGET_URL"):
            # The kernel names its room host, and holds its token (a JWT naming the
            # user, issue 15): the page joins through the kernel, as that user, and
            # never holds the token. Its own Jupyter server is another host.
            endpoint = RELAY
        # On JupyterHub the hub-wide room service, if configured (docs/jupyterhub.md).
        endpoint = endpoint or widget_endpoint(os.environ)
        super().__init__(room=room, party=party, _endpoint=endpoint,
                         _prefix=extension_prefix(os.environ), **kwargs)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply the page's trait writes, except to :data:`KERNEL_OWNED` traits.

        A page could otherwise point the kernel's client at any host, which
        would receive the kernel's ``Authorization`` token (issue 17, item 9).
        The page is told the kernel's values back.
        """
        refused = sorted(KERNEL_OWNED.intersection(sync_data))
        super().set_state({k: v for k, v in sync_data.items() if k not in KERNEL_OWNED})
        if refused:
            self.send_state(refused)


class RoomWidget(RoomView):
    """Base of the JSON room widgets: kernel-side client, kernel relay."""

    def __init__(self, room: str, *, party: str, endpoint: str | None = None,
                 page_moderation: bool | None = None, **kwargs: Any) -> None:
        super().__init__(room, party=party, endpoint=endpoint, **kwargs)
        #: Relay the page's moderation frames with the kernel's identity?
        #: ``None``: when the page is the kernel's user (not under Voila).
        self.page_moderation = (page_is_the_kernels_user(os.environ)
                                if page_moderation is None else page_moderation)
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
        if self._endpoint != RELAY:
            return
        client = self._client
        if status == "closed" and client is not None and client.error is not None:
            # Why the kernel's membership ended (removed, refused): the page says
            # it instead of a bare "closed" (issue 18: nothing fails silently).
            self._relay_problem(str(client.error))
            return
        self._to_front_end({"kind": "status", "status": status})

    def close(self) -> None:
        """Close the widget's views and the kernel's connection to the room."""
        if "_client_lock" not in self.__dict__:
            # __init__ stopped early (``Chat()`` without a room, a bad name):
            # nothing was opened, and Widget.__del__ calls close() all the same.
            super().close()
            return
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
        return Welcome(self.room, self.party, client.id or "", client.user or {}, client.epoch,
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
            if self._page_may_send(content["data"], client):
                client.send_raw(content["data"])
            else:
                self._to_front_end({"kind": "frame", "data": ErrorFrame(
                    "forbidden", "the kernel does not relay moderation from this page "
                                 "(RoomWidget page_moderation)").serialize()})

    def _page_may_send(self, data: str, client: RoomClient) -> bool:
        """Whether a page's frame may go out with the kernel's identity."""
        if self.page_moderation:
            return True
        kind, _ = read_frame(decode_frame(data))
        if kind in MODERATION:
            return False
        return kind not in MODERATOR_OR_OWN or not (client.user or {}).get("moderator")

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
