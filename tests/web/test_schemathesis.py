"""schemathesis (pinned, bounded: a dozen cases per operation, a few hundred in all, seeded)
against /api/v1/openapi.json: no 500, and every documented response matches its schema."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.web.api_client import token

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
CASES = 12
#: Path parameters that reach the demo's data (else nearly every case would be a 404).
REAL = {"code": "2023-110105-04-01-123450", "rev": "head", "number": "A-101"}


def test_api_answers_within_its_schema(app: Any, logins: Any) -> None:
    headers = token(app.test_client(), logins["review"])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1

        @given(case=op.as_strategy(), real=st.booleans())
        @settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any, real: bool) -> None:
            if real and case.path_parameters:
                case.path_parameters.update({k: v for k, v in REAL.items()
                                             if k in case.path_parameters})
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Exception as e:  # every operation is tried; all failures are reported
            failures.append(f"{op.method.upper()} {op.path}: {e}")
    assert operations >= 15
    assert not failures, "\n\n".join(failures)
