"""Draw the integration's icon: brand/icon.png (256 px) and brand/icon@2x.png (512 px), from one drawing.

A yellow bolt on a green disc, drawn four times larger and scaled down so that its edges are smooth.
Run it again after changing the drawing; the images are committed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = Path(__file__).parents[1] / "custom_components" / "local_energy" / "brand"
GREEN = (22, 110, 80, 255)
YELLOW = (255, 204, 0, 255)
# The bolt on a 256-unit canvas, clockwise from its top.
BOLT = [(150, 28), (160, 28), (134, 108), (188, 108), (98, 226), (124, 140), (70, 140)]
OVERSAMPLE = 4


def draw(size: int) -> Image.Image:
    """The icon, size pixels wide and high."""
    canvas = size * OVERSAMPLE
    scale = canvas / 256
    image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    margin = 4 * scale
    pen.ellipse((margin, margin, canvas - margin, canvas - margin), fill=GREEN)
    pen.polygon([(x * scale, y * scale) for x, y in BOLT], fill=YELLOW)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write both sizes."""
    draw(256).save(BRAND / "icon.png", optimize=True)
    draw(512).save(BRAND / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()
