"""What the classroom widgets (Poll, Hands) share: the anywidget, and the object users hold.

The anywidget (:class:`ActivityWidget`) keeps the newest view its kernel's
client received and rebuilds it for a relayed front end. Users hold an
:class:`Activity`, which shows that widget when it is a cell's value and
carries the activity's verbs: ``close`` among them, which a widget cannot
take over (ipywidgets calls ``Widget.close`` itself, on garbage collection too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..protocol.activity import ActivityView, LatestView
from ..protocol.poll import Close, Reset, Reveal
from ..protocol.frames import Envelope, read_frame
from .room_widget import RoomWidget

if TYPE_CHECKING:
    from ..client import RoomClient

__all__ = ["Activity", "ActivityWidget", "GatedActivity"]


class ActivityWidget(RoomWidget):
    """An activity's anywidget: its views, and the kernel's membership of the room."""

    #: The activity's view frame (``poll``, ``hands``).
    kind: ClassVar[str]

    def __init__(self, room: str, *, party: str, endpoint: str | None = None,
                 **kwargs: Any) -> None:
        self.state = LatestView(self.kind)
        super().__init__(room, party=party, endpoint=endpoint, **kwargs)

    def _on_server_frame(self, frame: Any) -> None:
        self.state.apply(*read_frame(frame))
        super()._on_server_frame(frame)

    def _join_frame(self, client: RoomClient) -> ActivityView:
        return ActivityView(self.kind, self.state.view)


class Activity:
    """The object a user holds: shows its widget, sends the activity's frames."""

    widget_class: ClassVar[type[ActivityWidget]]

    def __init__(self, room: str, *, party: str, endpoint: str | None = None) -> None:
        #: The anywidget (for layouts: ``VBox([activity.widget])``).
        self.widget = self.widget_class(room, party=party, endpoint=endpoint)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.widget.party}/{self.widget.room}>"

    @property
    def client(self) -> RoomClient:
        """The kernel's connection to the room (see ``RoomWidget.client``)."""
        return self.widget.client

    @property
    def view(self) -> dict[str, Any] | None:
        """The newest view the room host sent this kernel (connects on first use)."""
        self.client  # noqa: B018 - connect on first use; raises if no room host
        return self.widget.state.view

    def send(self, frame: Envelope) -> None:
        """Send one of the activity's client frames through the kernel's connection."""
        self.widget.send_frame(frame)


class GatedActivity(Activity):
    """An activity a teacher closes, reveals and resets (the poll, the quiz): one set of
    frames for both (docs/protocol.md); the room host refuses them from students."""

    def close(self, closed: bool = True) -> None:
        """Stop taking votes or answers (``False``: resume). Teachers only."""
        self.send(Close(bool(closed)))

    def reveal(self, revealed: bool = True) -> None:
        """Show students the results: a poll's counts, a quiz's answers and their marks
        (``False``: hide them again). Teachers only."""
        self.send(Reveal(bool(revealed)))

    def reset(self) -> None:
        """Drop every ballot or answer and open again. Teachers only."""
        self.send(Reset())
