"""Project codes (投资项目统一代码) and pluggable building-code schemes.

Project codes follow GB/T 40058-2021: ``YYYY-RRRRRR-DD-TT-NNNNNC`` (year, 6-digit
administrative division, 2-digit central department, 2-digit project type, 5 random digits
and one check character), plus the older ``YYYY-RRRRRR-II-TT-NNNNNN`` form.  The standard's
check-character algorithm is not publicly available to us, so only the format is validated.

Building codes: JGJ/T 496-2022's digit layout is not available either, and pilot regions use
their own, so every code is stored with the name and version of the scheme that made it.  The
default ``yitaotu`` scheme is ``division(6) + year(4) + sequence(7) + check(1)``, the check
character computed with ISO 7064 MOD 11-2 exactly as in the citizen identity number (GB 11643).
Regions plug in a :class:`Scheme` via :func:`register_scheme` or the entry-point group
``yitaotu.building_code_schemes`` (each entry point names a ``Scheme`` object).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from storage.display import quote
from storage.errors import Conflict, InvalidInput, NotFound

PROJECT_CODE_PATTERN = "YYYY-RRRRRR-DD-TT-NNNNNC"
PROJECT_CODE_OLD_PATTERN = "YYYY-RRRRRR-II-TT-NNNNNN"
_PROJECT_RE = re.compile(r"^(\d{4})-(\d{6})-(\d{2})-(\d{2})-(\d{5})([0-9A-Z])$")

ENTRY_POINT_GROUP = "yitaotu.building_code_schemes"
DEFAULT_SCHEME = "yitaotu"


@dataclass(frozen=True, slots=True)
class ProjectCode:
    """A parsed project code; ``form`` is ``"gb40058"`` or ``"legacy"`` (all-digit serial)."""

    code: str
    year: int
    region: str
    department: str
    project_type: str
    serial: str
    check: str

    @property
    def form(self) -> str:
        return "legacy" if self.check.isdigit() else "gb40058"


def parse_project_code(value: str) -> ProjectCode:
    """Parse and validate a project code, raising :class:`InvalidInput` with the pattern."""
    code = (value or "").strip().upper()
    m = _PROJECT_RE.match(code)
    if not m:
        raise InvalidInput(
            f"无效的项目代码 invalid project code {quote(value)}: expected "
            f"{PROJECT_CODE_PATTERN} (GB/T 40058-2021) or {PROJECT_CODE_OLD_PATTERN}, "
            "e.g. 2023-110105-04-01-123450"
        )
    year, region, dept, ptype, serial, check = m.groups()
    if not 1990 <= int(year) <= 2099:
        raise InvalidInput(
            f"无效的项目代码 invalid project code {quote(value)}: year {year} out of range"
        )
    if region == "000000":
        raise InvalidInput(f"无效的项目代码 invalid project code {quote(value)}: region 000000")
    return ProjectCode(code, int(year), region, dept, ptype, serial, check)


def normalise_project_code(value: str) -> str:
    return parse_project_code(value).code


# -- ISO 7064 MOD 11-2 ------------------------------------------------------------------------


def mod11_2_check(digits: str) -> str:
    """ISO 7064 MOD 11-2 check character for a digit string ('0'-'9' or 'X'), as in GB 11643."""
    if not digits.isdigit():
        raise InvalidInput(f"MOD 11-2 needs digits, got {quote(digits)}")
    n = len(digits)
    total = sum(int(d) * pow(2, n - i, 11) for i, d in enumerate(digits))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def mod11_2_valid(code: str) -> bool:
    return len(code) >= 2 and code[:-1].isdigit() and mod11_2_check(code[:-1]) == code[-1].upper()


# -- building-code schemes ---------------------------------------------------------------------

#: allocate(division, year, sequence) -> code
Allocator = Callable[[str, int, int], str]


@dataclass(frozen=True)
class Scheme:
    """A building-code scheme: a regex the code must match, an optional check, an allocator.

    Schemes without ``allocate`` only accept codes given by the user (codes assigned
    elsewhere, e.g. by a regional platform).
    """

    name: str
    version: str
    pattern: str
    check: Callable[[str], bool] | None = None
    allocate: Allocator | None = None
    description: str = ""

    def validate(self, code: str) -> str:
        code = (code or "").strip().upper()
        if not re.fullmatch(self.pattern, code):
            raise InvalidInput(
                f"无效的建筑单体代码 invalid building code {quote(code)} for scheme "
                f"{self.name}/{self.version}: expected pattern {self.pattern}"
            )
        if self.check is not None and not self.check(code):
            raise InvalidInput(
                f"无效的建筑单体代码 invalid building code {quote(code)}: check character mismatch "
                f"(scheme {self.name}/{self.version})"
            )
        return code


_SCHEMES: dict[str, Scheme] = {}
_plugins_loaded = False


def register_scheme(scheme: Scheme, *, replace: bool = False) -> Scheme:
    """Make ``scheme`` available by name; registering a name twice is a :class:`Conflict`."""
    if scheme.name in _SCHEMES and not replace and _SCHEMES[scheme.name] != scheme:
        raise Conflict(f"building code scheme {scheme.name!r} is already registered")
    _SCHEMES[scheme.name] = scheme
    return scheme


def unregister_scheme(name: str) -> None:
    _SCHEMES.pop(name, None)


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        register_scheme(obj() if callable(obj) and not isinstance(obj, Scheme) else obj)


def get_scheme(name: str) -> Scheme:
    if name not in _SCHEMES:
        _load_plugins()
    try:
        return _SCHEMES[name]
    except KeyError:
        raise NotFound(
            f"未知的编码方案 unknown building code scheme {quote(name)} "
            f"(known: {', '.join(sorted(_SCHEMES))})"
        ) from None


def schemes() -> list[Scheme]:
    _load_plugins()
    return [_SCHEMES[k] for k in sorted(_SCHEMES)]


def _yitaotu_allocate(division: str, year: int, seq: int) -> str:
    if not re.fullmatch(r"\d{6}", division or "") or division == "000000":
        raise InvalidInput(
            f"无效的行政区划代码 invalid administrative division {quote(division)}: "
            "expected 6 digits"
        )
    if not 1900 <= int(year) <= 2999:
        raise InvalidInput(f"invalid year {quote(year)}: expected 4 digits")
    if not 0 < seq < 10**7:
        raise Conflict(f"division {division} has used up its 9999999 codes for {year}")
    body = f"{division}{int(year):04d}{seq:07d}"
    return body + mod11_2_check(body)


YITAOTU_SCHEME = register_scheme(
    Scheme(
        name=DEFAULT_SCHEME,
        version="1",
        pattern=r"\d{6}\d{4}\d{7}[0-9X]",
        check=mod11_2_valid,
        allocate=_yitaotu_allocate,
        description="division(6) + year(4) + sequence(7) + ISO 7064 MOD 11-2 check (as GB 11643)",
    )
)


def split_yitaotu_code(code: str) -> tuple[str, int, int]:
    """(division, year, sequence) of a default-scheme code."""
    code = YITAOTU_SCHEME.validate(code)
    return code[:6], int(code[6:10]), int(code[10:17])
