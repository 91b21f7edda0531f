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
- access (:mod:`workflow.access`, :mod:`workflow.accounts`): :func:`project_access`,
  :func:`visible_projects`, :func:`authenticate`, :func:`set_password`, :func:`issue_token`,
  :func:`user_for_token`, :func:`add_jurisdiction`
- assisted review of BIM models (#18): :func:`run_model_checks` (IDS + rules -> drafted
  findings), :func:`list_findings`, :func:`confirm_finding` (-> an opinion),
  :func:`discard_finding`, :func:`finding_dict`, :data:`CHECK_RULES`; BCF 2.1/3.0
  :func:`export_bcf` / :func:`import_bcf` of opinions
- reading: :func:`status`, :func:`inbox`, :func:`set_in_force`, :func:`audit_events`,
  :func:`audit_head`, :func:`verify_chain`
- archive (#13): :func:`create_archive`, :func:`verify_package` (四性检测 on a package),
  :func:`verify_project` (on a live project), :func:`inspect_pull` (the inspector's package of
  the set in force on a date: the web portal's download), :func:`archive_packages` (retention,
  what is due for appraisal)
- certificates: :func:`certificate_by_code`, :func:`certificate_by_hash` (the public check of a
  审查合格书 behind its QR code)
- the inspector's portal: :func:`search_projects`, :func:`check_package_name` (the package
  itself is :func:`inspect_pull`)

Importing the package registers :func:`blob_references` with ``drawings.maintenance``, so
``verify``, ``fsck`` and ``gc`` see the blobs the workflow's rows name.
"""

from drawings import register_blob_references
from workflow import exchange as exchange  # #14: records up to higher systems
from workflow.access import Access, Forbidden, project_access, project_rows, visible_projects
from workflow.accounts import (
    LoginFailed,
    add_jurisdiction,
    authenticate,
    issue_token,
    session_stamp,
    set_password,
    user_for_token,
)
from workflow.actions import (
    event_line,
    list_changes,
    list_submissions,
    outcome,
    propose_change,
    rebase_change,
)
from workflow.archive import create_archive, inspect_pull, verify_package, verify_project
from workflow.archive import list_packages as archive_packages
from workflow.audit import events as audit_events
from workflow.audit import head as audit_head
from workflow.audit import parse_anchor, verify_chain
from workflow.bcfio import export_bcf, import_bcf
from workflow.blobrefs import blob_references
from workflow.changes import change_version, meeting, meetings, minutes_blob, rebased_version
from workflow.changes import show as change_details
from workflow.clock import CHINA_TZ, parse_time, utcnow
from workflow.engine import get_record, records
from workflow.geomap import map_geojson
from workflow.inspection import check_package_name
from workflow.inspection import search as search_projects
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
from workflow.verification import certificate_by_code, certificate_by_hash

register_blob_references("workflow", blob_references)

#: Modules other packages may import by name: the lifecycles' declarations (tables, labels,
#: diagrams), and the record types the web's pages read attributes of.
PUBLIC_MODULES = ("machine", "models", "exchange")

__all__ = [
    "Access",
    "Forbidden",
    "LoginFailed",
    "add_jurisdiction",
    "authenticate",
    "issue_token",
    "project_access",
    "project_rows",
    "session_stamp",
    "set_password",
    "user_for_token",
    "visible_projects",
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
    "archive_packages",
    "audit_events",
    "audit_head",
    "blob_references",
    "certificate_by_code",
    "certificate_by_hash",
    "certificate_trust",
    "check_package_name",
    "search_projects",
    "change_details",
    "change_version",
    "close",
    "create_archive",
    "event_line",
    "fire",
    "get_flow",
    "get_opinion",
    "get_record",
    "get_user",
    "inbox",
    "inspect_pull",
    "lifecycle_of",
    "list_changes",
    "list_opinions",
    "list_orgs",
    "list_submissions",
    "list_users",
    "map_geojson",
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
    "verify_package",
    "verify_project",
]
