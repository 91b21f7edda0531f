"""web: the Flask application — pages, the JSON API under ``/api/v1``, jobs.

:func:`create_app` builds one app from a settings object (``yitaotu.settings.Settings`` or
anything with its attributes).  Each area is a blueprint (``web.auth``, ``web.projects``,
``web.api``); pages and API calls get a transaction from ``web.store`` and ask
``workflow.project_access`` what the user may see and do.  See web/README.md.
"""

from web.app import create_app
from web.jobs import queue_name

__all__ = ["create_app", "queue_name"]
