"""Bounded fuzz (issue #10): mutated test and corpus drawings through `yitaotu ingest`,
`yitaotu diff` and `yitaotu render`, each in its own process under an address-space limit and
a timeout.  Whatever the bytes, the user gets an answer: exit 0 (diff: 0 or 1), or one
`error:` line naming the file (ingest 2x, diff and render 2) -- no traceback, no hang, no
death by signal.

Seeded: ``YITAOTU_FUZZ_SEED`` (default fixed, so CI is repeatable; set another to explore)
and ``YITAOTU_FUZZ_CASES`` (default 100, about two minutes here).  A failure prints its case,
seed, mutators and the kept input (under pytest's ``tmp_path``).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import corpus_dir
from tests.drawings.sheets import make_dxf, make_pdf
from tests.fuzz import mutate
from tests.fuzz.harness import Outcome, Zygote

CODE = "2023-110105-04-01-123450"
SEED = int(os.environ.get("YITAOTU_FUZZ_SEED", "20261210"))
CASES = int(os.environ.get("YITAOTU_FUZZ_CASES", "100"))
#: Address space of each command: ten times what these small files need.
MEM_LIMIT = 2 << 30
#: A command still running after this long is a hang (they take about a second).
TIMEOUT = 120.0
#: Corpus files larger than this are left to the corpus tests (the fuzz wants many cases).
MAX_SOURCE = 700_000


def sources(tmp: Path) -> list[Path]:
    """The sample corpus (the shared corpus's small files when YITAOTU_CORPUS is set) and
    generated sheets: DXF with a title block, binary DXF, a multi-page PDF."""
    root = corpus_dir()
    files = sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in (".dxf", ".dwg", ".pdf")
        and p.stat().st_size <= MAX_SOURCE
    )
    gen = tmp / "generated"
    files.append(make_dxf(gen / "A-101 一层平面图.dxf", "A-101", "一层平面图", lines=30))
    files.append(make_dxf(gen / "A-102.dxf", "A-102", "二层", attribs=True, lines=30))
    files.append(make_pdf(gen / "pages.pdf", ["A-301", None, "A-303"]))
    import ezdxf

    doc = ezdxf.readfile(gen / "A-102.dxf")
    doc.saveas(gen / "A-103 binary.dxf", fmt="bin")
    files.append(gen / "A-103 binary.dxf")
    return files


@dataclass
class Case:
    number: int
    source: Path
    mutators: list[str]
    path: Path
    archive: bool


def make_cases(tmp: Path) -> list[Case]:
    rng = random.Random(SEED)
    pool = sources(tmp)
    out = []
    for n in range(CASES):
        src = rng.choice(pool)
        data, names, archive = mutate.mutate(src.read_bytes(), rng)
        folder = tmp / "cases" / f"{n:03d}"
        folder.mkdir(parents=True)
        path = folder / (f"case{n:03d}.zip" if archive else f"M-{n:03d}{src.suffix.lower()}")
        path.write_bytes(data)
        out.append(Case(n, src, names, path, archive))
    return out


def judge(o: Outcome, case: Case, ok_exits: set[int], error_exits: set[int]) -> str | None:
    """Why this outcome is a failure, or None (a diff may refuse either of its files)."""
    if o.timed_out:
        return "hang (timeout)"
    if o.exit < 0:
        return f"killed by signal {-o.exit}"
    if "Traceback" in o.stderr:
        return "traceback"
    if o.exit in ok_exits:
        return None
    if o.exit not in error_exits:
        return f"exit {o.exit}"
    lines = [x for x in o.stderr.splitlines() if x.startswith("error: ")]
    if not lines:
        return "no error line"
    named = (case.path.name, case.source.name) if o.args[0] == "diff" else (case.path.name,)
    if not any(name in lines[0] for name in named):
        return "the error does not name the file"
    if len(lines[0]) > 600:
        return f"error line of {len(lines[0])} characters"
    return None


@pytest.mark.skipif(os.name != "posix", reason="fork and RLIMIT_AS")
def test_fuzz_ingest_diff_render(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "YITAOTU_HOME": str(home), "YITAOTU_USER": "fuzz",
           "YITAOTU_DEBUG": "1"}
    for k in ("YITAOTU_DATABASE_URL", "YITAOTU_BLOBS"):
        env.pop(k, None)
    cases = make_cases(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    z = Zygote(env, work, MEM_LIMIT, TIMEOUT)
    failures: list[str] = []
    tally: Counter[str] = Counter()
    try:
        assert z.run("init").exit == 0
        assert z.run("project", "create", CODE, "fuzz").exit == 0
        for case in cases:
            runs = [(z.run("ingest", CODE, str(case.path), "-m", f"case {case.number}"),
                     {0}, set(range(20, 30)))]
            if not case.archive:
                out = case.path.with_suffix(".png")
                runs.append((z.run("diff", str(case.source), str(case.path)), {0, 1}, {2}))
                runs.append((z.run("render", str(case.path), "-o", str(out), "--width", "300"),
                             {0}, {2}))
            for outcome, ok, errors in runs:
                tally[f"{outcome.args[0]} exit {outcome.exit}"] += 1
                why = judge(outcome, case, ok, errors)
                if why is None:
                    continue
                line = (f"case {case.number} (seed {SEED}) {outcome.args[0]} "
                        f"{case.source.name} {'+'.join(case.mutators)}: {why}; exit "
                        f"{outcome.exit}; kept {case.path}\n{outcome.stderr[-1500:]}")
                failures.append(line)
    finally:
        z.close()
    print(f"fuzz seed {SEED}, {len(cases)} cases:", dict(sorted(tally.items())))
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)


def test_judge() -> None:
    """The verdicts the fuzz relies on (a fuzz that cannot fail proves nothing)."""
    case = Case(1, Path("A-1.dxf"), ["flip_bytes"], Path("/t/M-001.dxf"), False)

    def o(cmd: str, code: int, err: str = "", hung: bool = False) -> Outcome:
        return Outcome([cmd], code, hung, "", err)

    ingest = ({0}, set(range(20, 30)))
    assert judge(o("ingest", 0), case, *ingest) is None
    assert judge(o("ingest", 20, "error: /t/M-001.dxf: truncated DXF\n"), case, *ingest) is None
    assert judge(o("ingest", 20, "error: nothing to ingest\n"), case, *ingest) == (
        "the error does not name the file")
    assert judge(o("ingest", 1, "Traceback (most recent call last):\n"), case, *ingest) == (
        "traceback")
    assert judge(o("ingest", -9), case, *ingest) == "killed by signal 9"
    assert judge(o("ingest", -9, hung=True), case, *ingest) == "hang (timeout)"
    assert judge(o("diff", 2, "error: A-1.dxf: empty\n"), case, {0, 1}, {2}) is None
    assert judge(o("render", 2, "error: A-1.dxf: empty\n"), case, {0}, {2}) == (
        "the error does not name the file")
