"""The one alembic history for every table (run through :mod:`storage.migrate`)."""
