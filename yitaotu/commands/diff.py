"""`yitaotu diff`: compare two files, two set versions, or one sheet across versions.

    yitaotu diff OLD NEW                      two files (DXF/DWG/PDF, any mix)
    yitaotu diff PROJECT V1 V2 [--sheet NO]   two set versions (or one sheet of them)
    yitaotu diff PROJECT:V1 PROJECT:V2        the same, spelled as references
    yitaotu diff P:V1:A-101 P:V2:A-101        one sheet (also P:V1:A-101 against a file)

Exit codes as diff(1): 0 no changes, 1 changes found, 2 error (the message names the file).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from storage.errors import InvalidInput, YitaotuError
from storage.terminal import printable
from yitaotu.commands._common import json_text, print_error, say

EXIT_SAME, EXIT_DIFFERENT, EXIT_ERROR = 0, 1, 2


def _write_out(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    output = Path(output)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp",
                               dir=output.parent if str(output.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render(report: Any, fmt: str) -> str:
    from diffing import ModelDiff, get_writer, write_model_json, write_model_text

    buf = io.StringIO()
    if isinstance(report, ModelDiff):  # a BIM model: elements, not drawing entities
        if fmt != "quiet":
            (write_model_json if fmt == "json" else write_model_text)(report, buf)
        return buf.getvalue()
    get_writer(fmt)(report, buf)
    return buf.getvalue()


def _set_text(sd: Any) -> str:
    from diffing import ADDED, CHANGED, REMOVED, UNCHANGED, pad

    label = {ADDED: "新增 added", REMOVED: "删除 removed", CHANGED: "修改 changed",
             UNCHANGED: "未变 unchanged"}
    s = sd.stats
    lines = [
        f"一套图 版本差异 Set diff: {sd.project} {sd.old_version[:12]} → {sd.new_version[:12]}",
        f"汇总 Summary: 新增 added {s[ADDED]} · 删除 removed {s[REMOVED]} · "
        f"修改 changed {s[CHANGED]} · 未变 unchanged {s[UNCHANGED]}",
        "",
        f"  {pad('图号 Sheet', 20)}{pad('状态 Status', 18)}"
        "变更 Changes (+added −removed ~modified)",
    ]
    for e in sd.sheets:
        counts = ""
        if e.summary is not None:
            x = e.summary
            counts = f"+{x['added']} −{x['removed']} ~{x['modified']}"
            if e.status == UNCHANGED:
                counts += "  (重存 re-saved, 内容未变 same content)"
        if e.is_model:
            counts = (counts + "  模型 model (构件 elements)").lstrip()
        lines.append(f"  {pad(e.number, 20)}{pad(label[e.status], 18)}{counts}".rstrip())
    return "\n".join(printable(line) for line in lines) + "\n"


def _is_ref(arg: str) -> bool:
    return ":" in arg and not Path(arg).exists()


def _overlay(report: Any, old_drawing: Any, new_drawing: Any,
             out: tuple[Path | None, Path | None], sheet: str | None) -> None:
    """The overlay (and the change atlas) are drawn by the sheet renderer, so they show what
    `yitaotu render` shows, and warn of what it outlined instead (drawings/render/limits.py).
    ``out``: (overlay path, atlas path), either None."""
    from diffing import cluster_captions
    from drawings import render

    overlay_out, atlas_out = out
    warnings: list[str] = []
    if overlay_out is not None:
        render.overlay(report, old_drawing, new_drawing, overlay_out, sheet=sheet,
                       warnings=warnings)
    if atlas_out is not None:
        render.atlas(report, old_drawing, new_drawing, atlas_out, cluster_captions(report),
                     warnings=warnings)
    say((f"警告 warning: {w}" for w in warnings), err=True)


@click.command("diff")
@click.argument("args", nargs=-1, required=True, metavar="OLD NEW | PROJECT V1 V2")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "quiet"]), default="text",
              show_default=True, help="输出格式 output format.")
@click.option("--json", "as_json", is_flag=True, help="同 --format json (machine output).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="写入文件 write the report to FILE.")
@click.option("--dxf", "dxf_out", type=click.Path(dir_okay=False, path_type=Path),
              help="标注 DXF: the new drawing with YTT-* change layers and revision clouds.")
@click.option("--overlay", "overlay_out", type=click.Path(dir_okay=False, path_type=Path),
              help="叠加图 overlay picture (.png/.svg/.pdf).")
@click.option("--atlas", "atlas_out", type=click.Path(dir_okay=False, path_type=Path),
              help="变更图集 change atlas PDF: overview, then one zoomed page per cluster.")
@click.option("--ignore-style", is_flag=True, help="忽略样式 ignore colour/linetype/lineweight.")
@click.option("--tolerance", type=float, help="容差 tolerance (drawing units; PDF: points).")
@click.option("--include-xdata", is_flag=True, help="比较扩展数据 report XDATA differences.")
@click.option("--strict-style", is_flag=True,
              help="同外观异写法也算变化 list appearance-equal respellings (ACI vs true colour…).")
@click.option("--strict-position", is_flag=True,
              help="PDF 整页偏移也算变化 a PDF page moved as a whole is a change too.")
@click.option("--sheet", help="图纸/布局 sheet number (store) or layout/page name (files).")
@click.option("--no-cache", is_flag=True, help="不用缓存 recompute store diffs.")
@click.option("--storey", help="模型楼层 storey of a BIM model whose plan --overlay shows "
                               "(default: the first).")
def diff_cmd(args: tuple[str, ...], fmt: str, as_json: bool, output: Path | None,
             dxf_out: Path | None, overlay_out: Path | None, atlas_out: Path | None,
             ignore_style: bool,
             tolerance: float | None, include_xdata: bool, strict_style: bool,
             strict_position: bool, sheet: str | None, no_cache: bool,
             storey: str | None) -> None:
    """比较图纸 Compare two drawings or two set versions (exit 0 same, 1 changed, 2 error)."""
    if as_json:
        fmt = "json"
    if tolerance is not None and not tolerance >= 0:
        raise click.BadParameter("must be >= 0", param_hint="--tolerance")
    opts = {"tolerance": tolerance, "ignore_style": ignore_style, "include_xdata": include_xdata,
            "strict_style": strict_style, "strict_position": strict_position}
    try:
        pictures = (overlay_out, atlas_out)
        changed = _run(args, fmt, output, dxf_out, pictures, sheet, not no_cache, opts, storey)
    except YitaotuError as e:
        print_error(e.message)
        sys.exit(EXIT_ERROR)
    except OSError as e:  # writing -o/--dxf output
        print_error(f"{getattr(e, 'filename', '') or ''}: {e.strerror or e}")
        sys.exit(EXIT_ERROR)
    except Exception as e:  # a bug must still exit 2 with a one-line message naming the input
        if os.environ.get("YITAOTU_DEBUG"):
            raise
        print_error(f"内部错误 internal error comparing {' '.join(args)}: "
                    f"{type(e).__name__}: {e} (YITAOTU_DEBUG=1 shows the traceback)")
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_DIFFERENT if changed else EXIT_SAME)


def _parse_ref(arg: str) -> tuple[str, str, str | None]:
    """``PROJECT:REV`` or ``PROJECT:REV:SHEETNO`` (the form `yitaotu render` takes)."""
    parts = arg.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1] or (len(parts) == 3 and not parts[2]):
        raise InvalidInput(f"invalid reference {arg!r}: expected PROJECT:REV[:SHEETNO]")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else None


def _run(args, fmt, output, dxf_out, overlay_out, sheet, use_cache, opts, storey=None) -> bool:
    if len(args) == 3:
        project, v1, v2 = args
        if sheet is None:
            return _store_set(project, v1, v2, fmt, output, dxf_out, overlay_out, use_cache,
                              opts)
        return _store_sheet((project, v1, sheet), (project, v2, sheet), fmt, output, dxf_out,
                            overlay_out, use_cache, opts)
    if len(args) != 2:
        raise InvalidInput("usage: yitaotu diff OLD NEW | yitaotu diff PROJECT V1 V2")
    old, new = args
    if _is_ref(old) and _is_ref(new):
        (po, ro, so), (pn, rn, sn) = _parse_ref(old), _parse_ref(new)
        so, sn = so or sn or sheet, sn or so or sheet
        if so is None:
            if po != pn:
                raise InvalidInput(f"references name two projects: {po} and {pn}")
            return _store_set(po, ro, rn, fmt, output, dxf_out, overlay_out, use_cache, opts)
        return _store_sheet((po, ro, so), (pn, rn, sn), fmt, output, dxf_out, overlay_out,
                            use_cache, opts, storey)
    if _is_ref(old) or _is_ref(new):
        return _mixed(old, new, fmt, output, dxf_out, overlay_out, sheet, opts)
    return _files(Path(old), Path(new), fmt, output, dxf_out, overlay_out, sheet, opts)


def _files(old: Path, new: Path, fmt, output, dxf_out, overlay_out, sheet, opts,
           labels: tuple[str, str] | None = None, blobs: tuple[str, str] | None = None,
           pages: tuple[int | None, int | None] = (None, None)) -> bool:
    from diffing import diff_drawings, read_drawing, sha256_file, write_markup_dxf

    if _is_model_file(old) or _is_model_file(new):
        return _model_files(old, new, fmt, output, dxf_out, overlay_out, labels, blobs)
    od = read_drawing(old)
    nd = read_drawing(new)
    for d, page in zip((od, nd), pages, strict=True):
        if page:
            d.sheets = [d.sheets[int(page) - 1]]
    labels = labels or (str(old), str(new))
    blobs = blobs or (sha256_file(old), sha256_file(new))
    report = diff_drawings(od, nd, sheet=sheet, old_blob=blobs[0], new_blob=blobs[1],
                           old_path=labels[0], new_path=labels[1], **opts)
    _write_out(_render(report, fmt), output)
    if dxf_out is not None:
        write_markup_dxf(report, new, dxf_out, old_drawing=od, new_drawing=nd)
    if any(overlay_out):
        _overlay(report, od, nd, overlay_out, sheet)
    return bool(report)


def _is_model_file(path: Path) -> bool:
    """An IFC model, by its bytes (a missing file is left to the readers to name)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISO-10303-21")


def _model_files(old: Path, new: Path, fmt, output, dxf_out, overlay_out,
                 labels: tuple[str, str] | None, blobs: tuple[str, str] | None) -> bool:
    """Two IFC models: read both (IfcOpenShell) and diff their element indexes."""
    from diffing import diff_models, read_model_file, sha256_file

    if dxf_out is not None or any(overlay_out):
        raise InvalidInput("--dxf/--overlay/--atlas are for drawing sheets, not IFC models")
    labels = labels or (str(old), str(new))
    models = [read_model_file(p, label) for p, label in zip((old, new), labels, strict=True)]
    blobs = blobs or (sha256_file(old), sha256_file(new))
    report = diff_models(models[0], models[1], old_blob=blobs[0], new_blob=blobs[1])
    _write_out(_render(report, fmt), output)
    return bool(report)


def _mixed(old: str, new: str, fmt, output, dxf_out, overlay_out, sheet, opts) -> bool:
    """One side from the store (``PROJECT:REV:SHEETNO``), the other a file on disk."""
    import diffing
    from yitaotu.commands._common import get_app

    app = get_app()
    with tempfile.TemporaryDirectory(prefix="yitaotu-diff-") as tmp:
        paths, labels, blobs, pages = [], [], [], []
        for side, arg in (("old", old), ("new", new)):
            if not _is_ref(arg):
                from diffing import sha256_file

                paths.append(Path(arg))
                labels.append(arg)
                blobs.append(sha256_file(arg) if Path(arg).is_file() else "")
                pages.append(None)
                continue
            project, rev, number = _parse_ref(arg)
            number = number or sheet
            if number is None:
                raise InvalidInput(f"{arg}: name the sheet (PROJECT:REV:SHEETNO or --sheet)")
            with app.session() as s:
                e = diffing.sheet_entry(s, project, rev, number)
            p = Path(tmp) / f"{side}.{e.get('format') or 'bin'}"
            p.write_bytes(app.blobs.read_bytes(e["blob"]))
            paths.append(p)
            labels.append(f"{project}:{rev}:{number}")
            blobs.append(e["blob"])
            pages.append(e.get("page"))
        return _files(paths[0], paths[1], fmt, output, dxf_out, overlay_out, None, opts,
                      labels=(labels[0], labels[1]), blobs=(blobs[0], blobs[1]),
                      pages=(pages[0], pages[1]))


def _store_set(project, v1, v2, fmt, output, dxf_out, overlay_out, use_cache, opts) -> bool:
    import diffing
    from yitaotu.commands._common import get_app

    if dxf_out is not None or any(overlay_out):
        raise InvalidInput("--dxf/--overlay/--atlas need one sheet: --sheet NO or "
                           "PROJECT:REV:SHEETNO")
    app = get_app()
    with app.session() as s:
        sd = diffing.diff_versions(s, app.blobs, project, v1, v2, use_cache=use_cache, **opts)
    if fmt == "json":
        text = json_text(sd.to_json()) + "\n"
    elif fmt == "quiet":
        text = ""
    else:
        text = _set_text(sd)
    _write_out(text, output)
    return bool(sd)


def _store_sheet(old_ref, new_ref, fmt, output, dxf_out, overlay_out, use_cache, opts,
                 storey=None) -> bool:
    import diffing
    from yitaotu.commands._common import get_app

    app = get_app()
    with app.session() as s:
        a = diffing.sheet_entry(s, *old_ref)
        b = diffing.sheet_entry(s, *new_ref)
        label = old_ref[2] if old_ref[2] == new_ref[2] else f"{old_ref[2]}→{new_ref[2]}"
        report = diffing.diff_entries(s, app.blobs, a, b, label=label, use_cache=use_cache,
                                      **opts)
    _write_out(_render(report, fmt), output)
    if dxf_out is not None or any(overlay_out):
        from diffing import ModelDiff

        if isinstance(report, ModelDiff):
            _model_overlay(app, a, b, dxf_out, overlay_out, storey)
        else:
            _store_pictures(app, a, b, report, dxf_out, overlay_out)
    return bool(report)


def _model_overlay(app, a, b, dxf_out, overlay_out, storey) -> None:
    """Two revisions of a model: the plans of one storey diffed as sheets (handles are
    GlobalIds) and drawn as an overlay, as for drawings."""
    from diffing import diff_drawings
    from drawings import render

    if dxf_out is not None:
        raise InvalidInput("--dxf is for drawing sheets; use --overlay for a model")
    od = render.model_plans(app.blobs.read_bytes(a["blob"]), f"old {a['blob'][:12]}")
    nd = render.model_plans(app.blobs.read_bytes(b["blob"]), f"new {b['blob'][:12]}")
    name = render.pick_sheet(nd, storey).name
    report = diff_drawings(od, nd, sheet=name)
    _overlay(report, od, nd, overlay_out, name)


def _store_pictures(app, a, b, report, dxf_out, overlay_out) -> None:
    """Pictures need the drawings themselves: fetch both blobs to a temp dir and read them."""
    from diffing import read_drawing, write_markup_dxf

    with tempfile.TemporaryDirectory(prefix="yitaotu-diff-") as tmp:
        paths = []
        for side, e in (("old", a), ("new", b)):
            p = Path(tmp) / f"{side}.{e.get('format') or 'bin'}"
            p.write_bytes(app.blobs.read_bytes(e["blob"]))
            paths.append(p)
        od, nd = read_drawing(paths[0]), read_drawing(paths[1])
        for d, e in ((od, a), (nd, b)):
            if e.get("page"):
                d.sheets = [d.sheets[int(e["page"]) - 1]]
        if dxf_out is not None:
            write_markup_dxf(report, paths[1], dxf_out, old_drawing=od, new_drawing=nd)
        if any(overlay_out):
            _overlay(report, od, nd, overlay_out, None)
