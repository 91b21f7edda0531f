"""Exchange with higher-level systems (#14 §6): export, import, trust, push, status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from drawings import geo
from workflow import KeyRing, exchange
from yitaotu.commands._common import DB_INT, FINITE, emit, get_app, json_option

issuer_option = click.option(
    "--issuer", envvar="YITAOTU_EXCHANGE_ISSUER", required=True, metavar="ORG",
    help="签发单位 the organisation signing the records (default: $YITAOTU_EXCHANGE_ISSUER).")
endpoint_option = click.option(
    "--endpoint", envvar="YITAOTU_EXCHANGE_URL", required=True, metavar="URL",
    help="接收地址 where records are POSTed (default: $YITAOTU_EXCHANGE_URL).")


def _keys() -> KeyRing:
    return KeyRing(get_app().settings.home / "keys")


def _now() -> datetime:
    return datetime.now(UTC)


@click.group("exchange")
def exchange_cmd() -> None:
    """数据交换 Records up to provincial/national approval systems (一数一源)."""


@exchange_cmd.command("export")
@click.argument("project")
@click.option("--since", type=DB_INT, default=0, show_default=True,
              help="只导出序号大于 SEQ 的记录 records after SEQ only.")
@issuer_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="写入文件 write to FILE (atomically) instead of stdout.")
@json_option
def export_cmd(project: str, since: int, issuer: str, output: Path | None,
               as_json: bool) -> None:
    """Sign what changed in PROJECT as records; print (or write) those after --since."""
    with get_app().session() as s:
        doc = exchange.export(s, _keys(), project, issuer=issuer, now=_now(), since=since)
    if output is None:
        emit(doc, True, lambda: None)
        return
    geo.write_json(output, doc)
    last = doc["records"][-1]["seq"] if doc["records"] else since
    data = {"written": str(output), "records": len(doc["records"]), "first": since + 1,
            "last": last}
    emit(data, as_json, lambda: [f"已导出 wrote {data['records']} records "
                                 f"(seq {since + 1}–{last}) to {output}"])


@exchange_cmd.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def import_cmd(file: Path, as_json: bool) -> None:
    """Check every record of FILE and import all of them, or none (exit 50/21 on refusal)."""
    doc = geo.read_json(file, "exchange file")
    with get_app().session() as s:
        report = exchange.import_batch(s, doc, now=_now())
    data = report.to_dict()

    def text() -> Iterator[tuple[object, ...] | str]:
        yield (f"导入 accepted {len(data['accepted'])}, duplicates {len(data['duplicates'])}, "
               f"refused {len(data['refused'])}")
        for x in data["refused"]:
            yield ("refused", x["record"], x["check"], x["reason"])
        for x in data["duplicates"]:
            yield ("duplicate", x)

    emit(data, as_json, text)
    exchange.raise_if_refused(report)


@exchange_cmd.command("key")
@click.argument("org")
@click.option("--json", "as_json", is_flag=True, default=True,
              help="JSON output (always: the file `exchange trust` reads).")
def key_cmd(org: str, as_json: bool) -> None:
    """Print ORG's public key as JSON (what a receiver passes to `exchange trust`)."""
    pub = _keys().public(org if org.startswith("org:") else f"org:{org}")
    emit({"owner": pub.owner, "alg": pub.alg, "public": pub.public,
          "fingerprint": pub.fingerprint}, True, lambda: None)


@exchange_cmd.command("trust")
@click.argument("key_file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def trust_cmd(key_file: Path, as_json: bool) -> None:
    """Accept records signed with the key in KEY_FILE (the output of `exchange key`)."""
    doc: Any = geo.read_json(key_file, "key file")
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str)
                                            for k in ("owner", "alg", "public")):
        from storage.errors import InvalidInput

        raise InvalidInput(f"{key_file}: expected {{\"owner\", \"alg\", \"public\"}}")
    with get_app().session() as s:
        row = exchange.trust(s, doc["owner"], doc["alg"], doc["public"], now=_now())
        data = {"owner": row.owner, "fingerprint": row.fingerprint}
    emit(data, as_json, lambda: [f"已信任 trusted {data['owner']} key {data['fingerprint']}"])


@exchange_cmd.command("push")
@endpoint_option
@click.option("--wait", type=FINITE, default=0, show_default=True,
              help="重试等待秒数 keep retrying for up to this many seconds.")
@click.option("--timeout", type=FINITE, default=10, show_default=True,
              help="单次请求超时 seconds per request.")
@json_option
def push_cmd(endpoint: str, wait: float, timeout: float, as_json: bool) -> None:
    """Queue every issued record for ENDPOINT and send what is due, in order per project."""
    app = get_app()
    with app.session() as s:
        queued = exchange.enqueue(s, endpoint, now=_now())
    result = exchange.push(app.session, endpoint, wait=wait,
                           policy=exchange.Policy(timeout=timeout))
    data = {"queued": queued, **result}
    emit(data, as_json, lambda: [f"已发送 sent {data['sent']}, failed {data['failed']} "
                                 f"(newly queued {queued}); see `yitaotu exchange status`"])


@exchange_cmd.command("status")
@json_option
def status_cmd(as_json: bool) -> None:
    """Delivery state per endpoint and project."""
    with get_app().session(write=False) as s:
        data = exchange.status(s)

    def text() -> Iterator[tuple[object, ...] | str]:
        if not data:
            yield "(没有待发送记录 nothing queued)"
        for d in data:
            yield (d["endpoint"], d["project"], f"delivered {d['delivered']}",
                   f"pending {d['pending']}", f"next #{d['next_seq'] or '-'}",
                   f"attempts {d['attempts']}", d["last_error"] or "")

    emit(data, as_json, text)
