"""Project codes (GB/T 40058-2021 format), ISO 7064 MOD 11-2 and building-code schemes."""

from __future__ import annotations

import re

import pytest

from drawings import codes
from storage.errors import Conflict, InvalidInput, NotFound

VALID_PROJECT_CODES = [
    "2023-110105-04-01-123450",  # older all-digit form
    "2021-330106-47-03-51234X",  # GB/T 40058-2021 with a letter check character
    "2019-440300-70-01-000001",
]
INVALID_PROJECT_CODES = [
    "",
    "2023-110105-04-01-12345",  # one digit short
    "2023-110105-04-01-1234567",  # one too long
    "2023110105040112345X",  # no separators
    "2023-11010-504-01-123450",  # misplaced separator
    "1899-110105-04-01-123450",  # year out of range
    "2023-000000-04-01-123450",  # no region
    "2023-110105-0A-01-123450",  # letter in the department
    "2023-110105-04-01-12345@",
]


@pytest.mark.parametrize("code", VALID_PROJECT_CODES)
def test_valid_project_codes(code: str) -> None:
    parsed = codes.parse_project_code(code.lower())
    assert parsed.code == code
    assert parsed.year == int(code[:4])
    assert parsed.region == code[5:11]


def test_project_code_forms() -> None:
    assert codes.parse_project_code("2023-110105-04-01-123450").form == "legacy"
    assert codes.parse_project_code("2021-330106-47-03-51234X").form == "gb40058"


@pytest.mark.parametrize("code", INVALID_PROJECT_CODES)
def test_invalid_project_codes_show_the_pattern(code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        codes.parse_project_code(code)
    assert "project code" in str(e.value)
    if len(code) != 24 or not re.fullmatch(r"[\d-]{23}.", code):
        assert codes.PROJECT_CODE_PATTERN in str(e.value)


# Examples of the citizen identity number (GB 11643-1999) and ISO 7064.
@pytest.mark.parametrize(
    "number",
    ["11010519491231002X", "440524188001010014", "110101199003074477", "07940"],
)
def test_mod11_2_known_examples(number: str) -> None:
    assert codes.mod11_2_check(number[:-1]) == number[-1]
    assert codes.mod11_2_valid(number)


def test_mod11_2_detects_single_digit_errors() -> None:
    good = "11010519491231002X"
    for i in range(17):
        for d in "0123456789":
            if d != good[i]:
                assert not codes.mod11_2_valid(good[:i] + d + good[i + 1 :])


def test_default_scheme_allocates_checkable_codes() -> None:
    s = codes.get_scheme("yitaotu")
    code = s.allocate("330106", 2024, 42)
    assert code.startswith("3301062024") and len(code) == 18
    assert s.validate(code) == code
    assert codes.split_yitaotu_code(code) == ("330106", 2024, 42)
    broken = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(InvalidInput, match="check character"):
        s.validate(broken)
    with pytest.raises(InvalidInput, match="pattern"):
        s.validate("33010620240000042")
    with pytest.raises(InvalidInput):
        s.allocate("33010", 2024, 1)


def test_register_scheme_and_plugins(zhejiang_scheme: codes.Scheme) -> None:
    assert codes.get_scheme("zj-dtm") is zhejiang_scheme
    assert "zj-dtm" in [s.name for s in codes.schemes()]
    with pytest.raises(Conflict):
        codes.register_scheme(codes.Scheme("zj-dtm", "2", r"\d+"))
    with pytest.raises(NotFound, match="unknown building code scheme"):
        codes.get_scheme("nope")
