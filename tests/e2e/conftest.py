"""Fixtures for the CLI tests: a private, empty home per test."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch) -> Path:
    """A fresh ``YITAOTU_HOME`` (SQLite + local blobs) with a Chinese user name."""
    h = tmp_path / "home"
    monkeypatch.setenv("YITAOTU_HOME", str(h))
    monkeypatch.setenv("YITAOTU_USER", "张工")
    for k in ("YITAOTU_DATABASE_URL", "YITAOTU_BLOBS"):
        monkeypatch.delenv(k, raising=False)
    return h
