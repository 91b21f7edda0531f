"""Archive packages (issue #13): the 归档 package of an accepted project, the four checks of
DA/T 70-2018 (四性检测) on a package or a live project, the inspector's pull of the set in force
on a date, and retention (保管期限) with what is due for appraisal."""

from workflow.archive.create import create_archive
from workflow.archive.inspect import inspect_pull
from workflow.archive.live import verify_project
from workflow.archive.report import CHECKS, Item, Report
from workflow.archive.retention import list_packages
from workflow.archive.verify import verify_package

__all__ = ["CHECKS", "Item", "Report", "create_archive", "inspect_pull", "list_packages",
           "verify_package", "verify_project"]
