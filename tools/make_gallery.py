"""Composes outputs/gallery.jpg: the two start images and the five graded results, captioned.

Run after the notebooks (`make dreams` does both). Reads only outputs/ and images/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import deepdream_utils as dd  # noqa: E402

GALLERY = dd.OUTPUTS_DIR / "gallery.jpg"
ROWS = [
    [("start: seeded noise (01, 02)", None),
     ("01 · 6 pts · noise, mixed3", "01_noise_mixed3.jpg"),
     ("02 · 7 pts · noise, mixed3 + mixed5", "02_noise_mixed3_mixed5.jpg"),
     ("start: images/mountain.jpg (03-05)", "../images/mountain.jpg")],
    [("03 · 8 pts · mountain, mixed3", "03_mountain_mixed3.jpg"),
     ("04 · 9 pts · mountain, mixed3 + mixed5", "04_mountain_mixed3_mixed5.jpg"),
     ("05 · 10 pts · mountain, octaves + tiles + transforms", "05_mountain_octaves_tiled.jpg")],
]
CREDIT = ("Mountain: “Altai” by Alesya Khoteeva (KDE Visual Design Group), CC BY-SA 4.0; "
          "the dreams made from it are adaptations, CC BY-SA 4.0.")


def _image(name: str | None):
    if name is None:
        return dd.noise_image(400, 400, seed=0)
    return dd.load_image(dd.OUTPUTS_DIR / name, max_side=640)


def main() -> None:
    images = [[_image(name) for _, name in row] for row in ROWS]
    fig = plt.figure(figsize=(16, 7.4), dpi=100)
    for subfig, row, pictures in zip(fig.subfigures(2, 1, height_ratios=[1.1, 1]), ROWS, images):
        ratios = [picture.shape[1] / picture.shape[0] for picture in pictures]
        axes = subfig.subplots(1, len(row), gridspec_kw={"width_ratios": ratios})
        for ax, (caption, _), picture in zip(axes, row, pictures):
            ax.imshow(picture)
            ax.set_title(caption, fontsize=11)
            ax.axis("off")
        subfig.subplots_adjust(left=0.01, right=0.99, top=0.9, bottom=0.02, wspace=0.04)
    fig.text(0.5, 0.005, CREDIT, ha="center", fontsize=9)
    dd.save_figure(fig, GALLERY, dpi=100)
    print(f"wrote {GALLERY.relative_to(ROOT)} ({GALLERY.stat().st_size / 1e3:.0f} KB)")


if __name__ == "__main__":
    main()
