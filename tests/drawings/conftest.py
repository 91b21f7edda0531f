"""Fixtures for registry and ingest tests: sessions on the migrated engine, an example scheme."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from drawings import codes


@pytest.fixture
def sf(engine):
    from storage.db import session_factory

    return session_factory(engine)


@pytest.fixture
def zhejiang_scheme() -> Iterator[codes.Scheme]:
    """An example regional scheme (27 characters, user-supplied, MOD 11-2 over the digits)."""

    def check(code: str) -> bool:
        digits = re.sub(r"\D", "", code[:-1])
        return codes.mod11_2_check(digits) == code[-1]

    scheme = codes.register_scheme(
        codes.Scheme(
            name="zj-dtm",
            version="2023",
            pattern=r"ZJ\d{6}[A-Z]{2}\d{16}[0-9X]",
            check=check,
            description="example regional 单体码 (test only)",
        )
    )
    yield scheme
    codes.unregister_scheme("zj-dtm")


def zj_code(n: int) -> str:
    body = f"ZJ330106JZ{n:016d}"
    return body + codes.mod11_2_check(re.sub(r"\D", "", body))
