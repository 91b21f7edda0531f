"""The four checks' findings (四性检测, DA/T 70-2018) as data: every item passes or fails and
names the file it concerns, so an archivist sees what to look at, not only that it failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

AUTHENTICITY = "authenticity"
INTEGRITY = "integrity"
USABILITY = "usability"
SECURITY = "security"
#: The four checks in the order they are reported, with their Chinese names.
CHECKS = {AUTHENTICITY: "真实性", INTEGRITY: "完整性", USABILITY: "可用性", SECURITY: "安全性"}


@dataclass(frozen=True, slots=True)
class Item:
    check: str  # one of CHECKS
    name: str  # what was checked (sha256, signature, opens, fonts embedded…)
    file: str  # the file inside the package (or the package itself)
    ok: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "label": CHECKS[self.check], "item": self.name,
                "file": self.file, "ok": self.ok, "detail": self.detail}

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        detail = f": {self.detail}" if self.detail else ""
        return f"{mark} {CHECKS[self.check]} {self.name} {self.file}{detail}"


@dataclass
class Report:
    package: str
    items: list[Item] = field(default_factory=list)

    def add(self, check: str, name: str, file: str, ok: bool, detail: str = "") -> bool:
        self.items.append(Item(check, name, file, bool(ok), detail))
        return bool(ok)

    def passed(self, check: str | None = None) -> bool:
        return all(i.ok for i in self.items if check in (None, i.check))

    @property
    def ok(self) -> bool:
        return self.passed()

    def failures(self, check: str | None = None) -> list[Item]:
        return [i for i in self.items if not i.ok and check in (None, i.check)]

    def summary(self) -> dict[str, dict[str, Any]]:
        out = {}
        for check, label in CHECKS.items():
            items = [i for i in self.items if i.check == check]
            out[check] = {"label": label, "ok": all(i.ok for i in items), "items": len(items),
                          "failed": sum(not i.ok for i in items)}
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"package": self.package, "ok": self.ok, "checks": self.summary(),
                "items": [i.to_dict() for i in self.items]}
