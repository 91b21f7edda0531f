"""workflow: the closed loop (review rounds, opinions, design changes, as-built, acceptance,
archive), signatures and the audit chain.

The service API (every function takes a SQLAlchemy ``Session``; the caller commits):

- organisations and people: :func:`add_org`, :func:`add_user`, :func:`add_party`, :func:`get_user`
- moves: :func:`fire` (any event of :data:`TRANSITIONS`), :func:`submit`
- opinions: :func:`add_opinion`, :func:`reply`, :func:`close`, :func:`reopen`,
  :func:`list_opinions`, :func:`mark_change`, :func:`round_changes`
- reading: :func:`status`, :func:`inbox`, :func:`set_in_force`, :func:`verify_chain`

Importing the package registers :func:`blob_references` with ``drawings.maintenance``, so
``verify``, ``fsck`` and ``gc`` see the blobs the workflow's rows name.
"""

from drawings.maintenance import register_blob_references
from workflow.audit import verify_chain
from workflow.blobrefs import blob_references
from workflow.machine import TRANSITIONS, Role, State, TransitionNotAllowed
from workflow.opinions import (
    add_opinion,
    close,
    list_opinions,
    mark_change,
    reopen,
    reply,
    round_changes,
)
from workflow.service import (
    add_org,
    add_party,
    add_user,
    fire,
    get_user,
    inbox,
    set_in_force,
    status,
    submit,
)
from workflow.signing import KeyRing

register_blob_references("workflow", blob_references)

__all__ = [
    "TRANSITIONS",
    "KeyRing",
    "Role",
    "State",
    "TransitionNotAllowed",
    "add_opinion",
    "add_org",
    "add_party",
    "add_user",
    "blob_references",
    "close",
    "fire",
    "get_user",
    "inbox",
    "list_opinions",
    "mark_change",
    "reopen",
    "reply",
    "round_changes",
    "set_in_force",
    "status",
    "submit",
    "verify_chain",
]
