"""Exchange with higher-level approval systems (一数一源, #14 §6): versioned, signed JSON
records described by the JSON Schema files in ``schemas/``, exported and imported with every
check (层级校验), and an outbox pushing them to an HTTP endpoint exactly once, in order per
project.

- :func:`export` (issues what changed, then the batch ``seq > since``), :func:`issue`;
- :func:`import_batch` → :class:`ImportReport`, :func:`raise_if_refused`, :func:`trust`;
- :func:`enqueue`, :func:`push`, :func:`push_once`, :class:`Policy`, :func:`status`;
- :func:`validate` / :func:`problems` against :data:`RECORD_SCHEMA` / :data:`BATCH_SCHEMA`.
"""

from workflow.exchange.inbox import ImportReport, import_batch, raise_if_refused, trust
from workflow.exchange.outbox import Policy, enqueue, push, push_once, status
from workflow.exchange.records import KINDS, export, issue, record_hash
from workflow.exchange.schema import (
    BATCH_FORMAT,
    BATCH_SCHEMA,
    RECORD_FORMAT,
    RECORD_SCHEMA,
    SCHEMA_DIR,
    problems,
    validate,
)

__all__ = [
    "BATCH_FORMAT", "BATCH_SCHEMA", "KINDS", "RECORD_FORMAT", "RECORD_SCHEMA", "SCHEMA_DIR",
    "ImportReport", "Policy", "enqueue", "export", "import_batch", "issue", "problems", "push",
    "push_once", "raise_if_refused", "record_hash", "status", "trust", "validate",
]
