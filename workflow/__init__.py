"""workflow: the closed loop — review submissions (whole set or by stage, per discipline),
opinions, changes (设计变更, 工程洽商, 技术核定单, many at once), 图纸会审 meetings, as-built,
acceptance and archive — with signatures and the audit chain.

Each kind of record has a declared lifecycle (:mod:`workflow.machine`); every action is one
event taken through :func:`fire` (every function takes a SQLAlchemy ``Session``; the caller
commits).  The service API:

- organisations and people: :func:`add_org`, :func:`add_user`, :func:`add_party`, :func:`get_user`
- moves: :func:`fire` / :func:`act` (any event of any lifecycle), :func:`submit`
- opinions: :func:`add_opinion`, :func:`reply`, :func:`close`, :func:`reopen`,
  :func:`list_opinions`, :func:`mark_change`, :func:`round_changes`
- disciplines: :func:`set_discipline`, :func:`sheet_disciplines`
- reading: :func:`status`, :func:`inbox`, :func:`set_in_force`, :func:`verify_chain`

Importing the package registers :func:`blob_references` with ``drawings.maintenance``, so
``verify``, ``fsck`` and ``gc`` see the blobs the workflow's rows name.
"""

from drawings.maintenance import register_blob_references
from workflow.audit import verify_chain
from workflow.blobrefs import blob_references
from workflow.machine import LIFECYCLES, Role, TransitionNotAllowed
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
    act,
    add_org,
    add_party,
    add_user,
    fire,
    get_user,
    inbox,
    set_discipline,
    set_in_force,
    sheet_disciplines,
    status,
    submit,
)
from workflow.signing import KeyRing

register_blob_references("workflow", blob_references)

__all__ = [
    "LIFECYCLES",
    "KeyRing",
    "Role",
    "TransitionNotAllowed",
    "act",
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
    "set_discipline",
    "set_in_force",
    "sheet_disciplines",
    "status",
    "submit",
    "verify_chain",
]
