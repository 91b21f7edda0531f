"""The exchange's JSON Schema files (``schemas/``), loaded once, validated on export and import.

Messages name the record and the JSON path of the first problems, so a refused file can be
fixed by whoever made it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson

from storage.errors import InvalidInput

SCHEMA_DIR = Path(__file__).with_name("schemas")
RECORD_SCHEMA = "record-v1.schema.json"
BATCH_SCHEMA = "batch-v1.schema.json"
RECORD_FORMAT = "yitaotu.exchange/1"
BATCH_FORMAT = "yitaotu.exchange-batch/1"


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        doc = orjson.loads(path.read_bytes())
        resources.append((path.name, Resource.from_contents(doc)))
        resources.append((doc["$id"], Resource.from_contents(doc)))
    registry = Registry().with_resources(resources)
    schema = dict(registry.contents(name))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def problems(doc: Any, name: str = RECORD_SCHEMA, *, limit: int = 5) -> list[str]:
    """Up to ``limit`` schema violations of ``doc``, each as ``$.path: message``."""
    errors = sorted(_validator(name).iter_errors(doc), key=lambda e: list(e.absolute_path))
    out = []
    for e in errors[:limit]:
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        out.append(f"{path}: {e.message[:300]}")
    return out


def validate(doc: Any, name: str = RECORD_SCHEMA, what: str = "record") -> None:
    found = problems(doc, name)
    if found:
        raise InvalidInput(f"{what} 不符合模式 does not match {name}: " + "; ".join(found))
