"""A kernel's rich output as a chat message: ``room.send(figure)``.

Jupyter shows an object by its MIME bundle (``_repr_png_``, ``_repr_html_``,
...); :func:`mime_bundle` builds the same bundle without IPython, so any
client can post a Matplotlib figure, a PIL image, a pandas DataFrame or any
object with a ``_repr_*_`` method. It lives on the kernel side: the room host
only validates the bundle (:func:`partywidget.protocol.chat.parse_mime`) and
the widget renders it sanitized (js/render/mime.ts).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import LimitExceeded
from ..protocol.chat import MIME_TYPES
from ..protocol.defaults import MAX_VALUE_BYTES
from ..protocol.jsonrules import encode_json

__all__ = ["is_plain", "mime_bundle"]

#: ``_repr_*_`` method of each MIME type (the IPython display protocol).
REPR_METHODS = {"image/png": "_repr_png_", "image/jpeg": "_repr_jpeg_",
                "image/svg+xml": "_repr_svg_", "text/html": "_repr_html_",
                "text/markdown": "_repr_markdown_"}
#: Longest ``text/plain`` kept (it is the message's content, shown by text-only readers).
MAX_PLAIN = 2000
#: Resolution of a posted Matplotlib figure (Jupyter's inline backend default is 72-100).
FIGURE_DPI = 100


def is_plain(value: Any) -> bool:
    """Whether ``value`` is sent as JSON content as it is (not as rich output)."""
    return value is None or isinstance(value, (str, int, float, bool, list, tuple, dict))


def _as_text(kind: str, data: Any) -> str | None:
    """One bundle entry as the wire's text: images base64, the rest as they are."""
    if isinstance(data, tuple) and data:  # (data, metadata) from a _repr_*_ method
        data = data[0]
    if kind.startswith("image/") and kind != "image/svg+xml":
        if isinstance(data, bytes):
            return base64.b64encode(data).decode("ascii")
        return data.replace("\n", "") if isinstance(data, str) else None
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data if isinstance(data, str) else None


def _figure_png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return buffer.getvalue()


def _call(method: Callable[..., Any]) -> Any:
    try:
        return method()
    except Exception:  # noqa: BLE001 - a failing repr is no repr (as IPython's formatters)
        return None


def _raw_bundle(obj: Any) -> dict[str, Any]:
    bundle: dict[str, Any] = {}
    full = getattr(obj, "_repr_mimebundle_", None)
    if callable(full):
        result = _call(full)
        if isinstance(result, tuple) and result:
            result = result[0]
        if isinstance(result, Mapping):
            bundle.update(result)
    for kind, name in REPR_METHODS.items():
        method = getattr(obj, name, None)
        if kind not in bundle and callable(method) and not isinstance(obj, type):
            bundle[kind] = _call(method)
    # A Matplotlib figure has no _repr_png_ of its own (the inline backend adds one).
    if "image/png" not in bundle and callable(getattr(obj, "savefig", None)) and hasattr(
            obj, "canvas"):
        bundle["image/png"] = _figure_png(obj)
    return bundle


def mime_bundle(obj: Any, max_bytes: int = MAX_VALUE_BYTES) -> dict[str, str] | None:
    """The MIME bundle of ``obj`` for a chat message, or ``None`` if it has no rich form.

    Only :data:`~partywidget.protocol.chat.MIME_TYPES` are kept, ``text/plain``
    always (its ``repr``, shortened). Raises :class:`~partywidget.errors.LimitExceeded`
    when the bundle cannot fit the room's stored-message limit, saying how to
    make it fit; nothing is sent then.
    """
    bundle = {kind: text for kind, data in _raw_bundle(obj).items()
              if kind in MIME_TYPES and data is not None
              and (text := _as_text(kind, data)) is not None}
    if not bundle:
        return None
    plain = bundle.get("text/plain") or repr(obj)
    bundle["text/plain"] = plain[:MAX_PLAIN]
    size = len(encode_json(bundle).encode("utf-8"))
    if size > max_bytes:
        raise LimitExceeded(
            f"{type(obj).__name__} is {size} bytes as a chat message, over the room's "
            f"stored-message limit of {max_bytes} bytes; nothing was sent. Make it smaller "
            "(a figure: fewer inches or a lower dpi; a table: fewer rows) or post it as a file")
    return bundle
