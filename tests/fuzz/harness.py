"""Run `yitaotu` commands fast and fenced: a zygote process imports the CLI once, under an
address-space limit, and forks one child per command (the child runs ``yitaotu.cli.main``
exactly as the installed script does, with its own stdout/stderr files and process group).
A child past its timeout is killed and reported as a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ZYGOTE = r"""
import json, os, resource, signal, sys, time, traceback
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from yitaotu.cli import main
import drawings.ingest, drawings.render, diffing.compare  # noqa: the forks share them
import yitaotu.commands.ingest, yitaotu.commands.diff, yitaotu.commands.render  # noqa
proto_in, proto_out = sys.stdin.buffer, os.fdopen(os.dup(1), "w")
proto_out.write("ready\n"); proto_out.flush()
for line in proto_in:
    job = json.loads(line)
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(job["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(job["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(null, 0); os.dup2(out, 1); os.dup2(err, 2)
        os.chdir(job["cwd"])
        code = 0
        try:
            main(job["args"])
        except SystemExit as e:
            if isinstance(e.code, int) or e.code is None:
                code = e.code or 0
            else:
                print(e.code, file=sys.stderr); code = 1
        except BaseException:
            traceback.print_exc(); code = 1
        try:
            sys.stdout.flush(); sys.stderr.flush()
        finally:
            os._exit(code)
    deadline = time.monotonic() + job["timeout"]
    timed_out = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            timed_out = True
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.02)
    proto_out.write(json.dumps({"exit": os.waitstatus_to_exitcode(status),
                                "timed_out": timed_out}) + "\n")
    proto_out.flush()
"""


@dataclass
class Outcome:
    args: list[str]
    exit: int  # negative: killed by that signal
    timed_out: bool
    stdout: str
    stderr: str


class Zygote:
    """``run(args)`` runs ``yitaotu ARGS`` in a fresh fork of a process that imported it."""

    def __init__(self, env: dict[str, str], work: Path, mem_limit: int, timeout: float) -> None:
        self.work, self.timeout, self.n = work, timeout, 0
        env = {**env, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, str(mem_limit)],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline()
        if ready != "ready\n":
            raise RuntimeError(f"fuzz zygote did not start: {ready!r}")

    def run(self, *args: str, cwd: Path | None = None) -> Outcome:
        self.n += 1
        out, err = self.work / f"{self.n}.out", self.work / f"{self.n}.err"
        job = {"args": list(args), "out": str(out), "err": str(err),
               "cwd": str(cwd or self.work), "timeout": self.timeout}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        texts = [p.read_bytes().decode("utf-8", "backslashreplace") for p in (out, err)]
        for p in (out, err):
            p.unlink()
        return Outcome(list(args), reply["exit"], reply["timed_out"], *texts)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, 9)
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
