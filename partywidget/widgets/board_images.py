"""Kernel-side images for the board: a Matplotlib figure, an array or PNG/JPEG bytes as PNG/JPEG.

Whatever goes on the board is a PNG or a JPEG of at most
:data:`~partywidget.protocol.board_items.MAX_IMAGE_BYTES` (the room host takes
nothing else: docs/security.md, "Board items"). A figure is rendered at a
lower resolution until it fits; an array is encoded here with :mod:`zlib`, so
neither Pillow nor Matplotlib is needed unless the caller already uses them.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from ..protocol.board_items import MAX_IMAGE_BYTES

__all__ = ["image_bytes", "png_from_array"]

#: Resolutions tried for a figure, best first, until its PNG fits.
_DPIS = (100, 80, 64, 48, 32)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_from_array(array: Any) -> bytes:
    """An 8-bit PNG of an ``(h, w)``, ``(h, w, 3)`` or ``(h, w, 4)`` array.

    Integers are taken as 0..255, floats as 0..1 (clipped), as Matplotlib's
    ``imshow`` does for RGB data.
    """
    import numpy as np  # the caller passed an array: numpy is there

    data = np.asarray(array)
    if data.dtype.kind == "f":
        data = np.clip(data, 0, 1) * 255
    data = np.clip(data, 0, 255).astype(np.uint8)
    if data.ndim == 2:
        data = data[:, :, None]
    if data.ndim != 3 or data.shape[2] not in (1, 3, 4) or 0 in data.shape:
        raise ValueError(f"expected an (h, w), (h, w, 3) or (h, w, 4) array, got {data.shape}")
    height, width, channels = data.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + data[y].tobytes() for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b""))


def image_bytes(source: Any) -> bytes:
    """PNG/JPEG bytes of ``source``: bytes as they are, a figure (``savefig``), or an array."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if hasattr(source, "savefig"):
        png = b""
        for dpi in _DPIS:
            buffer = io.BytesIO()
            source.savefig(buffer, format="png", dpi=dpi)
            png = buffer.getvalue()
            if len(png) <= MAX_IMAGE_BYTES:
                break
        return png
    if hasattr(source, "__array__") or isinstance(source, (list, tuple)):
        return png_from_array(source)
    raise TypeError(f"expected a Matplotlib figure, an array or PNG/JPEG bytes, "
                    f"got {type(source).__name__}")
