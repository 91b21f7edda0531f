"""workflow: the closed loop — review submissions (whole set or by stage, per discipline),
opinions, changes (设计变更, 工程洽商, 技术核定单, many at once), 图纸会审 meetings, as-built,
acceptance and archive — with signatures and the audit chain.

Each kind of record has a declared lifecycle (:mod:`workflow.machine`); every action is one
event taken through :func:`fire` (every function takes a SQLAlchemy ``Session``; the caller
commits).  The service API:

- organisations and people: :func:`add_org`, :func:`add_user`, :func:`add_party`, :func:`get_user`
- moves: :func:`fire` / :func:`act` (any event of any lifecycle), :func:`submit`,
  :func:`propose_change`, :func:`rebase_change`; :func:`outcome` and :func:`event_line` say
  what a move did (with the follow-up events it caused)
- opinions: :func:`add_opinion`, :func:`reply`, :func:`close`, :func:`reopen`,
  :func:`list_opinions`, :func:`mark_change`, :func:`round_changes`
- records: :func:`list_submissions`, :func:`list_changes`, :func:`change_details`,
  :func:`meetings`, :func:`meeting`, :func:`records`, :func:`get_record`
- disciplines: :func:`set_discipline`, :func:`sheet_disciplines`
- assisted review of BIM models (#18): :func:`run_model_checks` (IDS + rules -> drafted
  findings), :func:`list_findings`, :func:`confirm_finding` (-> an opinion),
  :func:`discard_finding`, :func:`finding_dict`, :data:`CHECK_RULES`; BCF 2.1/3.0
  :func:`export_bcf` / :func:`import_bcf` of opinions
- reading: :func:`status`, :func:`inbox`, :func:`set_in_force`, :func:`audit_events`,
  :func:`audit_head`, :func:`verify_chain`

Importing the package registers :func:`blob_references` with ``drawings.maintenance``, so
``verify``, ``fsck`` and ``gc`` see the blobs the workflow's rows name.
"""

from drawings import register_blob_references
from workflow.actions import (
    event_line,
    list_changes,
    list_submissions,
    outcome,
    propose_change,
    rebase_change,
)
from workflow.audit import events as audit_events
from workflow.audit import head as audit_head
from workflow.audit import parse_anchor, verify_chain
from workflow.bcfio import export_bcf, import_bcf
from workflow.blobrefs import blob_references
from workflow.changes import change_version, meeting, meetings, minutes_blob, rebased_version
from workflow.changes import show as change_details
from workflow.clock import CHINA_TZ, parse_time, utcnow
from workflow.engine import get_record, records
from workflow.machine import (
    CHANGE,
    EVENT_LABELS,
    LIFECYCLES,
    OPEN_CHANGE_STATES,
    SUBMISSION,
    Role,
    TransitionNotAllowed,
    lifecycle_of,
    parse_change_kind,
    parse_role,
)
from workflow.modelchecks import RULES as CHECK_RULES
from workflow.modelreview import confirm as confirm_finding
from workflow.modelreview import discard as discard_finding
from workflow.modelreview import finding_dict, list_findings
from workflow.modelreview import run_checks as run_model_checks
from workflow.opinions import (
    add_opinion,
    close,
    get_opinion,
    list_opinions,
    mark_change,
    opinion_dict,
    reopen,
    reply,
    round_changes,
)
from workflow.service import (
    act,
    add_org,
    add_party,
    add_user,
    certificate_trust,
    fire,
    get_flow,
    get_user,
    inbox,
    list_orgs,
    list_users,
    set_discipline,
    set_in_force,
    sheet_disciplines,
    status,
    submission_dict,
    submit,
)
from workflow.signing import KeyRing

register_blob_references("workflow", blob_references)

#: Modules other packages may import by name: the lifecycles' declarations (tables, labels,
#: diagrams), and the record types the web's pages read attributes of.
PUBLIC_MODULES = ("machine", "models")

__all__ = [
    "CHECK_RULES",
    "export_bcf",
    "import_bcf",
    "confirm_finding",
    "discard_finding",
    "finding_dict",
    "list_findings",
    "run_model_checks",
    "CHANGE",
    "CHINA_TZ",
    "EVENT_LABELS",
    "LIFECYCLES",
    "OPEN_CHANGE_STATES",
    "PUBLIC_MODULES",
    "SUBMISSION",
    "KeyRing",
    "Role",
    "TransitionNotAllowed",
    "act",
    "add_opinion",
    "add_org",
    "add_party",
    "add_user",
    "audit_events",
    "audit_head",
    "blob_references",
    "certificate_trust",
    "change_details",
    "change_version",
    "close",
    "event_line",
    "fire",
    "get_flow",
    "get_opinion",
    "get_record",
    "get_user",
    "inbox",
    "lifecycle_of",
    "list_changes",
    "list_opinions",
    "list_orgs",
    "list_submissions",
    "list_users",
    "mark_change",
    "meeting",
    "meetings",
    "minutes_blob",
    "opinion_dict",
    "outcome",
    "parse_anchor",
    "parse_change_kind",
    "parse_role",
    "parse_time",
    "propose_change",
    "rebase_change",
    "rebased_version",
    "records",
    "reopen",
    "reply",
    "round_changes",
    "set_discipline",
    "set_in_force",
    "sheet_disciplines",
    "status",
    "submission_dict",
    "submit",
    "utcnow",
    "verify_chain",
]
