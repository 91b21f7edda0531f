"""Archive packages (issue #13): the 归档 package of an accepted project, the four checks of
DA/T 70-2018 (四性检测) on a package or a live project, the inspector's pull of the set in force
on a date, and retention (保管期限) with what is due for appraisal."""

from workflow.archive.create import create_archive

__all__ = ["create_archive"]
