"""Run a native parser of untrusted bytes in a forked child with an address-space budget.

``ezdwg`` (Rust) trusts the sizes written in a DWG: two changed bytes in a 66 KB file make it
ask for 6.6 GB, and a failed allocation aborts the whole process -- no exception, no message.
In a child under ``RLIMIT_AS`` the same file costs a refused allocation and the child's death,
which the parent turns into a :class:`FileFormatError` naming the file.  Where a fork is not
safe (other threads running) or not possible, the parser runs in this process as before.
"""

from __future__ import annotations

import os
import pickle
import resource
import signal
import tempfile
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from storage.display import clip
from storage.errors import FileFormatError

T = TypeVar("T")

#: Address space a child may add to what it inherits: this many times the input's size, at
#: least :data:`MIN_BUDGET` (ezdwg needs far less than 100x a real drawing).
BUDGET_FACTOR = 100
MIN_BUDGET = 1 << 30


def can_fork() -> bool:
    """POSIX, and no threads but daemon helpers (a forked child must not need a lock that a
    thread of this process holds)."""
    if not hasattr(os, "fork"):
        return False
    me = threading.current_thread()
    return all(t.daemon for t in threading.enumerate() if t is not me)


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _limit_child(budget: int) -> None:
    used = _address_space()
    if used is None:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    new = used + budget
    if soft != resource.RLIM_INFINITY:
        new = min(new, soft)
    if hard != resource.RLIM_INFINITY:
        new = min(new, hard)
    resource.setrlimit(resource.RLIMIT_AS, (new, hard))


def run_isolated(fn: Callable[[], T], name: str, size: int, what: str) -> T:
    """``fn()`` in a forked child allowed ``max(MIN_BUDGET, BUDGET_FACTOR * size)`` more bytes
    of address space; its result comes back pickled.  A :class:`FileFormatError` raised in
    the child is raised here; any other failure, a crash or a kill becomes one naming
    ``name`` and ``what`` (the parser)."""
    if not can_fork():
        return fn()
    # what the parser says while dying (Rust's panic text) goes to a file, not the user
    with tempfile.TemporaryFile() as errors:
        status, data = _fork(fn, errors.fileno(), max(MIN_BUDGET, BUDGET_FACTOR * size))
        errors.seek(0)
        said = errors.read(4096).decode("utf-8", "replace").strip().splitlines()
    if data:
        try:
            kind, value = pickle.loads(data)
        except Exception:  # a child that died halfway through writing
            kind, value = "failed", "incomplete answer"
        if kind == "ok":
            return value
        if kind == "refused":
            raise FileFormatError(name, value)
        raise FileFormatError(name, f"unreadable ({what}): {value}")
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        try:
            sig: object = signal.Signals(-code).name
        except ValueError:
            sig = -code
        reason = f"the {what} reader died ({sig}) on this file: damaged or hostile / 文件损坏"
    else:
        reason = f"the {what} reader failed (exit {code}) / 文件损坏"
    if said:
        reason += f" ({clip(said[0])})"
    raise FileFormatError(name, reason)


def _fork(fn: Callable[[], Any], stderr: int, budget: int) -> tuple[int, bytes]:
    """(wait status, pickled reply) of ``fn`` run in a child."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(r)
            os.dup2(stderr, 2)
            _limit_child(budget)
            try:
                reply: tuple[str, Any] = ("ok", fn())
            except FileFormatError as e:
                reply = ("refused", e.reason)
            except MemoryError:
                reply = ("failed", "needs more memory than a file of this size can need")
            except Exception as e:  # the parser choking on damaged input
                reply = ("failed", f"{type(e).__name__}: {clip(e)}")
            with os.fdopen(w, "wb") as out:
                pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    try:
        with os.fdopen(r, "rb") as pipe:
            data = pipe.read()
    finally:
        _, status = os.waitpid(pid, 0)
    return status, data
