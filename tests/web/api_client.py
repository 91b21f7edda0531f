"""Helpers of the API tests: tokens, bearer calls, jobs awaited, responses checked against the
OpenAPI document the app serves."""

from __future__ import annotations

import re
import time
from typing import Any

from openapi_schema_validator import OAS30Validator


def token(client: Any, who: Any) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"user": who.user, "password": who.password})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def wait_job(client: Any, headers: dict[str, str], job: str, bound: float = 120) -> dict:
    """Poll a job until it ends (bounded, so a stuck job fails the test instead of hanging)."""
    end = time.monotonic() + bound
    while True:
        state = client.get(f"/api/v1/jobs/{job}", headers=headers).json
        if state["state"] in ("finished", "failed") or time.monotonic() > end:
            return state
        time.sleep(0.05)


class SpecChecker:
    """Checks a response against the schema the OpenAPI document gives its path, method and
    status (``$ref`` resolved against the document)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.paths = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"), p)
                      for p in spec["paths"]]

    def schema(self, path: str, method: str, status: int) -> dict[str, Any]:
        for rx, template in self.paths:
            if rx.match(path):
                op = self.spec["paths"][template][method.lower()]
                resp = op["responses"].get(str(status)) or op["responses"].get("default")
                assert resp, f"{method} {template}: {status} is not documented"
                return resp["content"]["application/json"]["schema"]
        raise AssertionError(f"{path} is not in the OpenAPI document")

    def check(self, method: str, path: str, resp: Any) -> Any:
        schema = {**self.schema(path, method, resp.status_code),
                  "components": self.spec["components"]}
        OAS30Validator(schema).validate(resp.json)
        return resp
