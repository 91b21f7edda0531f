"""Settings from the environment, with an embedded home directory by default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Where the database and blobs live.

    ``YITAOTU_HOME`` (default ``~/.yitaotu``) holds ``yitaotu.db`` (SQLite) and ``objects/``;
    ``YITAOTU_DATABASE_URL`` and ``YITAOTU_BLOBS`` (``file:///dir`` or ``s3://bucket``, with
    ``YITAOTU_S3_ENDPOINT``, ``YITAOTU_S3_ACCESS_KEY``, ``YITAOTU_S3_SECRET_KEY``,
    ``YITAOTU_S3_SECURE``) override them.
    """

    home: Path
    database_url: str
    blobs_url: str
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_secure: bool = False
    redis_url: str | None = None
    user: str | None = None
    corpus: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        home = Path(_env("YITAOTU_HOME", str(Path.home() / ".yitaotu"))).expanduser()
        corpus = _env("YITAOTU_CORPUS")
        values: dict[str, object] = {
            "home": home,
            "database_url": _env("YITAOTU_DATABASE_URL", f"sqlite:///{home / 'yitaotu.db'}"),
            "blobs_url": _env("YITAOTU_BLOBS", (home / "objects").as_uri()),
            "s3_endpoint": _env("YITAOTU_S3_ENDPOINT"),
            "s3_access_key": _env("YITAOTU_S3_ACCESS_KEY"),
            "s3_secret_key": _env("YITAOTU_S3_SECRET_KEY"),
            "s3_secure": _env("YITAOTU_S3_SECURE", "0") in ("1", "true", "yes"),
            "redis_url": _env("YITAOTU_REDIS_URL"),
            "user": _env("YITAOTU_USER"),
            "corpus": Path(corpus) if corpus else None,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
