"""`yitaotu render`: one sheet to PNG / PDF / SVG, from a file or a store reference."""

from __future__ import annotations

import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import click

from storage.errors import InvalidInput, NotFound, YitaotuError
from storage.terminal import printable_json
from yitaotu.commands._common import print_error, say

EXIT_ERROR = 2
#: Above this many entities (or this file size) the CLI shows a progress bar.
BIG_ENTITIES = 20_000
BIG_BYTES = 5_000_000
STAGES = ("parse", "layout", "draw", "write")
STAGE_LABELS = {
    "parse": "读取 parsing",
    "layout": "布局 layout",
    "draw": "绘制 drawing",
    "write": "输出 writing",
}


def _is_store_ref(source: str) -> bool:
    """PROJECT:REV:SHEETNO (a path that exists always wins)."""
    return source.count(":") >= 2 and not Path(source).exists()


@contextmanager
def _progress(enabled: bool):
    """Yields ``step(stage)``; draws a rich progress bar on stderr when enabled."""
    if not enabled:
        yield lambda stage: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        task = bar.add_task(STAGE_LABELS["parse"], total=len(STAGES))

        def step(stage: str) -> None:
            i = STAGES.index(stage) if stage in STAGES else 0
            bar.update(task, completed=i, description=STAGE_LABELS.get(stage, stage))

        yield step
        bar.update(task, completed=len(STAGES))


def _store_file(ref: str, tmp: Path) -> tuple[Path, str | None]:
    """Fetch the sheet's blob from the store into ``tmp``: its path, and for a page of a PDF
    that page's number as the layout (the file stays whole so the page passes through)."""
    from drawings import registry
    from yitaotu.context import App
    from yitaotu.settings import Settings

    project, rev, sheet_no = ref.split(":", 2)
    app = App.from_settings(Settings.from_env())
    try:
        with app.session(write=False) as s:
            version = registry.resolve_version(s, project, rev)
            manifest = dict(version.manifest)
        entry = manifest.get(sheet_no)
        if entry is None:
            raise NotFound(f"{ref}: no sheet {sheet_no!r} in version {rev} / 该版本无此图号")
        data = app.blobs.read_bytes(entry["blob"])
    finally:
        app.close()
    path = tmp / f"{sheet_no.replace('/', '_')}.{entry.get('format') or 'bin'}"
    path.write_bytes(data)
    page = entry.get("page")
    if page and entry.get("format") == "pdf":
        return path, str(int(page))
    return path, None


@click.command("render")
@click.argument("source")
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="输出文件 output file: .png, .pdf or .svg.",
)
@click.option("--dpi", type=float, help="分辨率 raster resolution (PNG; default 150).")
@click.option("--width", type=int, help="宽度 PNG width in pixels (instead of --dpi).")
@click.option("--layout", help="布局/页 layout name or page number (default: model space).")
@click.option("--paper", help="图幅 paper size for model space: A0..A4 (default A1).")
@click.option("--progress/--no-progress", default=None, help="进度条 show progress.")
@click.option("--json", "as_json", is_flag=True, help="机器可读 print a JSON summary.")
def render_cmd(
    source: str,
    out: Path,
    dpi: float | None,
    width: int | None,
    layout: str | None,
    paper: str | None,
    progress: bool | None,
    as_json: bool,
) -> None:
    """出图 Render one sheet of SOURCE (a file or PROJECT:REV:SHEETNO) to PNG/PDF/SVG."""
    from drawings.render import RENDERER_VERSION, format_of, render_source, write_atomic

    try:
        if dpi is not None and width is not None:
            raise InvalidInput("use --dpi or --width, not both / 二选一")
        format_of(out)  # fail before any parsing
        with tempfile.TemporaryDirectory(prefix="yitaotu-render-") as tmp:
            big = progress
            if big is None:
                big = (
                    not _is_store_ref(source)
                    and Path(source).is_file()
                    and (Path(source).stat().st_size > BIG_BYTES)
                )
            with _progress(bool(big)) as step:
                step("parse")
                if _is_store_ref(source):
                    path, page_layout = _store_file(source, Path(tmp))
                    layout = layout or page_layout
                else:
                    path = Path(source)
                    if not path.is_file():
                        raise InvalidInput(f"{path}: no such file / 文件不存在")
                done = render_source(
                    path,
                    format_of(out),
                    layout=layout,
                    dpi=dpi,
                    width=width,
                    paper=paper,
                    progress=step,
                )
                write_atomic(out, done.data)
        say((f"警告 warning: {w}" for w in done.warnings), err=True)
    except YitaotuError as e:
        print_error(e.message)
        sys.exit(EXIT_ERROR)
    except OSError as e:
        print_error(f"{getattr(e, 'filename', '') or out}: {e.strerror or e}")
        sys.exit(EXIT_ERROR)
    if as_json:
        import orjson

        info = {
            "output": str(out),
            "format": out.suffix.lower().lstrip("."),
            "bytes": out.stat().st_size,
            "source": source,
            "sheet": done.sheet,
            "entities": done.entities,
            "renderer": RENDERER_VERSION,
            "warnings": list(done.warnings),
        }
        click.echo(printable_json(orjson.dumps(info).decode()))
    else:
        say([str(out)])
