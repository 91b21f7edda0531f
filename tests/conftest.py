"""Fixtures shared by every test layer.

The shared corpus is read through ``YITAOTU_CORPUS`` (CI sets it to ``../shared/corpus``);
when unset we look beside the clone, and fail loudly rather than skip if it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    path = Path(os.environ.get("YITAOTU_CORPUS") or REPO.parent / "shared" / "corpus")
    if not (path / "MANIFEST.tsv").is_file():
        raise RuntimeError(f"corpus not found at {path}: set YITAOTU_CORPUS")
    return path


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_dir()
