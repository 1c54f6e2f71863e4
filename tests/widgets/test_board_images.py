"""Images made ready for the board from the kernel: arrays encoded, figures shrunk to fit."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from partywidget.protocol.board_items import MAX_IMAGE_BYTES
from partywidget.widgets.board_images import image_bytes, png_from_array


class Figure:
    """What ``image_bytes`` asks of a Matplotlib figure: ``savefig(file, format, dpi)``."""

    def __init__(self) -> None:
        self.dpis: list[int] = []

    def savefig(self, file: io.BytesIO, format: str, dpi: int) -> None:
        assert format == "png"
        self.dpis.append(dpi)
        side = dpi * 2
        noise = os.urandom(side * side * 3)  # incompressible: size grows with the dpi
        Image.frombytes("RGB", (side, side), noise).save(file, format="PNG")


def test_a_figure_is_rendered_at_a_lower_resolution_until_it_fits() -> None:
    figure = Figure()
    png = image_bytes(figure)
    assert len(png) <= MAX_IMAGE_BYTES and figure.dpis[0] == 100 and len(figure.dpis) > 1
    assert Image.open(io.BytesIO(png)).size == (figure.dpis[-1] * 2,) * 2


def test_arrays_of_floats_grey_and_rgba_encode_as_png() -> None:
    grey = Image.open(io.BytesIO(png_from_array([[0.0, 1.0], [0.5, 2.0]])))
    assert (grey.mode, grey.size, grey.getpixel((1, 0))) == ("L", (2, 2), 255)
    rgba = Image.open(io.BytesIO(png_from_array([[[1, 2, 3, 4]]])))
    assert (rgba.mode, rgba.getpixel((0, 0))) == ("RGBA", (1, 2, 3, 4))
    with pytest.raises(ValueError):
        png_from_array([[[1, 2]]])
