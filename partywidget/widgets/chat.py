"""``Chat``: a live chat room (the ``main`` party) in a notebook cell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets

from ..client.transcript import to_markdown
from ..protocol import chat
from .room_widget import STATIC, RoomWidget

if TYPE_CHECKING:
    from ..client import RoomClient

__all__ = ["Chat"]


class Chat(RoomWidget):
    """A chat room shown in the notebook, with its kernel side.

    ``Chat("class-101")`` joins room ``class-101`` of the ``main`` party. The
    view connects by itself; the kernel side reads and writes the same room:

    >>> chat = Chat("class-101")          # doctest: +SKIP
    >>> chat.send("hello from Python")    # doctest: +SKIP
    >>> chat.messages[-1]["content"]      # doctest: +SKIP
    'hello from Python'

    ``endpoint``: ``None`` uses the page's Jupyter server (and the kernel as a
    relay where the page has none, or where ``PARTYWIDGET_URL`` names the
    kernel's room host), ``"relay"`` forces the relay, anything else is the
    base URL or path of a room host.

    ``markdown=False`` shows every message as plain text (no Markdown, math,
    highlighted code or kernel images); it can be changed live.
    """

    _esm = STATIC / "chat.js"
    _css = STATIC / "chat.css"

    markdown = traitlets.Bool(True, help="Render Markdown, math, code and rich kernel output "
                                         "(sanitized); False: plain text.").tag(sync=True)

    def __init__(self, room: str, *, party: str = "main", endpoint: str | None = None,
                 markdown: bool = True, **kwargs: Any) -> None:
        super().__init__(room, party=party, endpoint=endpoint, markdown=markdown, **kwargs)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The room's stored messages, oldest first, kept live by the kernel's client."""
        return self.client.history()

    def send(self, content: Any, *, cid: str | None = None,  # type: ignore[override]
             reply_to: int | None = None) -> None:
        """Post ``content`` (any JSON value) to the room as this kernel.

        A Matplotlib figure, PIL image, DataFrame or any object with a
        ``_repr_png_``/``_repr_svg_``/``_repr_html_``/``_repr_markdown_`` is
        posted as its MIME bundle: every view shows the image or table
        (``LimitExceeded`` when it is too big to store).

        ``cid`` makes a retried send idempotent (the server stores it once);
        ``reply_to`` is the id of the message this one answers. This shadows ``Widget.send`` (the widget's own custom messages use
        ``RoomWidget._to_front_end``).
        """
        self.client.send(content, cid=cid, reply_to=reply_to)

    def to_markdown(self) -> str:
        """The room's history as a Markdown transcript (images embedded), e.g. to
        save with ``Path("chat.md").write_text(chat.to_markdown())``."""
        return to_markdown(self.messages, title=self.room)

    def on_mention(self, fn: Any) -> Any:
        """Decorator: call ``fn(msg)`` for messages from others that mention this
        kernel (``@name``): a bot that answers only when addressed
        (:meth:`partywidget.client.RoomClient.on_mention`)."""
        return self.client.on_mention(fn)

    def delete(self, message_id: int) -> None:
        """Delete the message with id ``message_id`` for everyone.

        The server allows one's own messages, and any for moderators.
        """
        self.send_frame(chat.Delete(message_id))

    def edit(self, message_id: int, content: Any) -> None:
        """Replace the content of this kernel's own message ``message_id`` (the
        server refuses others' messages, moderators' included)."""
        self.send_frame(chat.Edit(message_id, content))

    def react(self, message_id: int, emoji: str, on: bool = True) -> None:
        """Add (or with ``on=False`` take back) this kernel's ``emoji`` reaction."""
        self.send_frame(chat.React(message_id, chat.parse_emoji(emoji), on))

    def _join_frame(self, client: RoomClient) -> chat.History:
        return chat.History(client.history(), client.epoch)
