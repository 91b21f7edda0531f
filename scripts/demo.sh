#!/usr/bin/env bash
# A scripted CLI walkthrough on generated sheets (make demo).  Uses a throw-away home
# unless YITAOTU_HOME is set; needs `yitaotu` and `python` of the project's venv on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

WORK="$(mktemp -d -t yitaotu-demo.XXXXXX)"
export YITAOTU_HOME="${YITAOTU_HOME:-$WORK/home}"
export YITAOTU_USER="${YITAOTU_USER:-张工 (设计院)}"
P=2023-110105-04-01-123450

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }
# diff(1) exit codes: 0 same, 1 changes found; only 2 (an error) stops the demo
step_diff() { step "$@" || [ $? -eq 1 ]; }

python - "$WORK" <<'PY'
"""Generate two revisions of a small set: DXF sheets with a 图号/图名 title block."""
import sys
from pathlib import Path

import ezdxf

work = Path(sys.argv[1])


def sheet(path: Path, number: str, title: str, shift: float) -> None:
    doc = ezdxf.new("R2013", setup=False)
    msp = doc.modelspace()
    for i in range(6):
        msp.add_line((i * 1000 + shift, 0), (i * 1000 + shift, 8000), dxfattribs={"layer": "A-WALL"})
    msp.add_circle((2500, 4000), 300, dxfattribs={"layer": "A-COLS"})
    msp.add_text("图号", dxfattribs={"insert": (7000, -500), "height": 100})
    msp.add_text(number, dxfattribs={"insert": (7500, -500), "height": 100})
    msp.add_text("图名", dxfattribs={"insert": (7000, -700), "height": 100})
    msp.add_text(title, dxfattribs={"insert": (7500, -700), "height": 100})
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.saveas(path)


sheets = [("A-101", "一层平面图"), ("A-102", "二层平面图"), ("S-201", "基础平面图")]
for number, title in sheets:
    sheet(work / "v1" / f"{number} {title}.dxf", number, title, 0)
sheet(work / "v2" / "A-102 二层平面图.dxf", "A-102", "二层平面图", 150)  # a wall moved
sheet(work / "v2" / "A-103 屋顶平面图.dxf", "A-103", "屋顶平面图", 0)  # a new sheet
sheet(work / "v3" / "A-101 一层平面图.dxf", "A-101", "一层平面图", 80)  # answers the opinion
(work / "v2" / "notes.txt").write_text("not a drawing\n", encoding="utf-8")
print(f"generated sheets in {work}")
PY

step "初始化 init" yitaotu init
step "建项目 create a project" yitaotu project create "$P" "示例住宅小区" \
  --location 北京市东城区 --party 设计=甲建筑设计院 --party 建设=乙置业有限公司
step "建筑单体 register a building unit (code allocated, MOD 11-2 check)" \
  yitaotu unit add "$P" --division 110101 --name "1#住宅楼" --floors-above 18 --floors-below 2 \
  --use 住宅 --footprint "POLYGON((116.40 39.90,116.401 39.90,116.401 39.901,116.40 39.901,116.40 39.90))"
step "单体列表 list units" yitaotu unit list "$P"
step "导入 ingest the first set" yitaotu ingest "$P" "$WORK/v1" -m "首次报审 first submission"
step "再导入 same files again: nothing changes" yitaotu ingest "$P" "$WORK/v1"
echo
echo "$ yitaotu ingest $P $WORK/v2   # contains notes.txt: refused, nothing written"
yitaotu ingest "$P" "$WORK/v2" -m "修改" || echo "(exit $? as expected)"
rm "$WORK/v2/notes.txt"
step "导入修改 ingest a revision" yitaotu ingest "$P" "$WORK/v2" -m "二层墙体调整, 增加屋顶平面"
step "日志 log" yitaotu log "$P"
step "图纸目录 ls" yitaotu ls "$P:head"
step "版本详情 show" yitaotu show "$P:head"
step "上一版本 show head~1 as JSON" yitaotu show "$P:head~1" --json
step "导出 export" yitaotu export "$P:head" "$WORK/export"
ls -l "$WORK/export"
step "引用日志 reflog" yitaotu log "$P" --reflog
step_diff "比对两版 set diff of the two versions" yitaotu diff "$P" head~1 head
step_diff "单张图比对 one sheet's changes" yitaotu diff "$P:head~1:A-102" "$P:head:A-102" \
  --overlay "$WORK/A-102-diff.png"
step "出图 render a sheet" yitaotu render "$P:head:A-101" -o "$WORK/A-101.pdf"
echo "overlay: $WORK/A-102-diff.png  rendered: $WORK/A-101.pdf"

# 闭环 the review loop, short: firm submits, agency accepts, opinion, return, answer, approve
step "单位与人员 organisations and users" yitaotu org add 甲建筑设计院
yitaotu org add 丙审查中心 --alg sm2-sm3 >/dev/null
yitaotu user add des --org 甲建筑设计院 >/dev/null
yitaotu user add rev_a --org 丙审查中心 --discipline 建筑 >/dev/null
yitaotu user add rev_s --org 丙审查中心 --discipline 结构 >/dev/null
yitaotu party add "$P" review 丙审查中心 >/dev/null
step "报审 submit" yitaotu submit "$P" head --as des
step "受理 accept for review" yitaotu review accept "$P" --as rev_a
step "审查意见 an opinion" yitaotu opinion add "$P" A-101 "楼梯宽度不足" --point 2500,4000 \
  -c mandatory --as rev_a
step "退回 return" yitaotu review return "$P" --as rev_a
step "答复 reply" yitaotu opinion reply "$P" 1 "已加宽" --as des
step "按意见修改 ingest the answer" yitaotu ingest "$P" "$WORK/v3" -m "按意见修改 per opinions"
step "重新报审 resubmit" yitaotu submit "$P" head --as des
yitaotu review accept "$P" --as rev_a >/dev/null
step "关闭意见 close" yitaotu opinion close "$P" 1 --as rev_a
step "专业签署 each discipline signs (建筑)" yitaotu review sign "$P" --as rev_a
step "专业签署 each discipline signs (结构)" yitaotu review sign "$P" --as rev_s
step "审查合格 approve (signed certificate)" yitaotu review approve "$P" --as rev_a
step "状态 status" yitaotu status "$P" --as rev_a
step "审计 audit verify" yitaotu audit verify "$P"
step "校验 verify" yitaotu verify "$P"
step "检查 fsck" yitaotu fsck
step "清理 gc" yitaotu gc
echo
echo "demo home: $YITAOTU_HOME (delete $WORK when done)"
