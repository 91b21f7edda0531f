"""The DWG parser runs in a forked child with a memory budget: a file that makes it ask for
gigabytes, or crash, is a refusal naming the file, not the death of the command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from drawings.readers.isolate import run_isolated
from storage.errors import FileFormatError
from tests.conftest import needs_corpus


def test_results_and_refusals_come_back() -> None:
    assert run_isolated(lambda: {"tags": [1, 2]}, "a.dwg", 10, "DWG") == {"tags": [1, 2]}

    def refuse() -> None:
        raise FileFormatError("a.dwg", "unreadable DWG AC1032: bad section")

    with pytest.raises(FileFormatError, match="^a.dwg: unreadable DWG AC1032: bad section$"):
        run_isolated(refuse, "a.dwg", 10, "DWG")
    with pytest.raises(FileFormatError, match=r"a.dwg: unreadable \(DWG\): KeyError"):
        run_isolated(lambda: {}["x"], "a.dwg", 10, "DWG")


def test_greed_and_crashes_become_refusals() -> None:
    with pytest.raises(FileFormatError, match="needs more memory"):
        run_isolated(lambda: bytearray(8 << 30), "big.dwg", 10, "DWG")

    def crash() -> None:
        os.write(2, b"memory allocation of 6594620420 bytes failed\n")
        os.abort()

    with pytest.raises(FileFormatError) as e:
        run_isolated(crash, "c.dwg", 10, "DWG AC1027")
    assert str(e.value) == (
        "c.dwg: the DWG AC1027 reader died (SIGABRT) on this file: damaged or hostile / "
        "文件损坏 (memory allocation of 6594620420 bytes failed)"
    )


CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
import drawings
from storage.errors import FileFormatError
try:
    drawings.read(sys.argv[1])
except FileFormatError as e:
    print(e)
"""


@needs_corpus
def test_dwg_that_asks_for_gigabytes(corpus: Path, tmp_path: Path) -> None:
    """One byte of a 66 KB corpus DWG changed (found by the fuzz): ezdwg asks for 6.6 GB;
    where that much cannot be had (here a 2 GiB address space, as on a small server) it
    aborted the whole process."""
    data = bytearray((corpus / "pairs/wjane-gaochengtu/r2_60b93b7.dwg").read_bytes())
    data[38189] = 29
    bad = tmp_path / "高程图.dwg"
    bad.write_bytes(bytes(data))
    r = subprocess.run([sys.executable, "-c", CHILD, str(bad)], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-500:]
    assert "高程图.dwg: the DWG AC1027 reader died (SIGABRT)" in r.stdout
    assert "memory allocation of 6594620420 bytes failed" in r.stdout
    assert r.stderr == ""
