import os
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """Path of a folder of ../shared/data, or skip the test saying why."""
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"needs the shared dataset {path} (absent on this machine)")
    return path


@pytest.fixture
def image_folder(tmp_path):
    """Six small PNG/JPEG images of two kinds (red discs, blue squares) on noise."""
    import cv2

    rng = np.random.default_rng(0)
    names = []
    for i in range(6):
        img = (rng.random((80, 96, 3)) * 60).astype(np.uint8)
        if i % 2 == 0:
            cv2.circle(img, (48, 40), 25, (30, 30, 220), -1)
        else:
            cv2.rectangle(img, (20, 15), (70, 60), (220, 60, 30), -1)
        name = f"img{i}.{'png' if i < 3 else 'jpg'}"
        cv2.imwrite(str(tmp_path / name), img)
        names.append(name)
    return tmp_path, names


def write_csv(path, header, rows):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path
