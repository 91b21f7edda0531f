"""`yitaotu ingest PROJECT PATH…`: upload sheets and commit a set version if anything changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from yitaotu.commands._common import actor, emit, get_app, json_option, say, short

#: Show a progress bar above this many bytes (small uploads finish before it would draw).
PROGRESS_MIN_BYTES = 8 << 20


@click.command("ingest")
@click.argument("project")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-m", "--message", default="", help="说明 message of the new version.")
@click.option("--unit", help="建筑单体代码 building unit code of these sheets.")
@click.option("--replace", is_flag=True, help="替换 sheets not in the upload are removed.")
@click.option(
    "--map",
    "mapping",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="图号映射 CSV (file,number[,title]) or JSON {file: number}.",
)
@click.option("--author", help="作者 author (default: YITAOTU_USER or the login name).")
@json_option
def ingest_cmd(
    project: str,
    paths: tuple[Path, ...],
    message: str,
    unit: str | None,
    replace: bool,
    mapping: Path | None,
    author: str | None,
    as_json: bool,
) -> None:
    """导入图纸 Ingest files, directories or zips into PROJECT."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    import drawings

    app = get_app()
    bar: Progress | None = None
    task = None

    def progress(name: str, done: int, total: int) -> None:
        nonlocal bar, task
        if as_json or total < PROGRESS_MIN_BYTES:
            return
        if bar is None:
            bar = Progress(
                TextColumn("上传 uploading"), BarColumn(), DownloadColumn(), transient=True
            )
            bar.start()
            task = bar.add_task("ingest", total=total)
        bar.update(task, completed=done)

    try:
        result = drawings.ingest_upload(
            app.session,
            app.blobs,
            project,
            [str(p) for p in paths],
            message=message or f"ingest {len(paths)} path(s)",
            author=author or actor(),
            unit=unit,
            mapping=mapping,
            replace=replace,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.stop()
    data = result.to_dict()

    def text() -> Iterator[str]:
        yield result.message
        say((f"警告 warning: {w}" for w in result.warnings), err=True)
        if result.changed:
            for kind, mark in (("added", "+"), ("modified", "~"), ("removed", "-")):
                for k in data[kind]:
                    yield f"  {mark} {k}"
            yield f"head -> {short(data['version'])}"

    emit(data, as_json, text)
