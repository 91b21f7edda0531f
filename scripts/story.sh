#!/usr/bin/env bash
# The loop as real projects run it (README "闭环流程 Workflow"), on generated sheets: 桩基 approved
# first, then the rest by two disciplines; a 图纸会审 with two questions; three changes at once
# (two general, one major) with a rebase; the set in force asked at six moments.  Uses a
# throw-away home unless YITAOTU_HOME is set; needs `yitaotu` and `python` of the venv on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

W="$(mktemp -d -t yitaotu-story.XXXXXX)"
export YITAOTU_HOME="${YITAOTU_HOME:-$W/home}"
now() { date -u +%Y-%m-%dT%H:%M:%S.%6N+00:00; }

python - "$W" <<'PY'
"""Sheets r1 (the set), r2 (S-01 answers the opinion), then the drawings of three changes."""
import sys
from pathlib import Path

import ezdxf

work = Path(sys.argv[1])


def sheet(rev: str, number: str, title: str, walls: int = 6, box: float = 0.0) -> None:
    doc = ezdxf.new("R2013", setup=False)
    msp = doc.modelspace()
    for i in range(walls):
        msp.add_line((i * 1000, 0), (i * 1000, 8000), dxfattribs={"layer": "WALL"})
    if box:
        msp.add_lwpolyline([(500, 500), (500 + box, 500), (500 + box, 500 + box)],
                           dxfattribs={"layer": "NEW"})
    msp.add_text("图号", dxfattribs={"insert": (7000, -500), "height": 100})
    msp.add_text(number, dxfattribs={"insert": (7500, -500), "height": 100})
    msp.add_text("图名", dxfattribs={"insert": (7000, -700), "height": 100})
    msp.add_text(title, dxfattribs={"insert": (7500, -700), "height": 100})
    path = work / rev / f"{number} {title}.dxf"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.saveas(path)


for number, title in [("S-01", "桩位图"), ("S-02", "基坑支护"), ("A-101", "一层平面图"),
                      ("A-102", "二层平面图"), ("S-101", "梁配筋图")]:
    sheet("r1", number, title)
sheet("r2", "S-01", "桩位图", walls=7)                 # answers the review opinion
sheet("c1", "S-101", "梁配筋图", walls=8)             # C-1: the meeting's question
sheet("c2", "A-101", "一层平面图", walls=9)           # C-2: a door added
sheet("c3", "A-101", "一层平面图", box=2000)          # C-3: drawn on the old A-101...
sheet("c3", "A-102", "二层平面图", box=1500)
sheet("c3b", "A-101", "一层平面图", walls=9, box=2000)  # ...and redrawn on C-2's
PY

# --- story begin
P=2023-110105-04-01-123450
yitaotu init
yitaotu project create $P 示例住宅小区
for org in 甲设计院 乙审查中心 丙建设公司 丁施工公司 戊监理公司; do yitaotu org add $org; done
yitaotu user add des --org 甲设计院
yitaotu user add rev_a --org 乙审查中心 --discipline 建筑
yitaotu user add rev_s --org 乙审查中心 --discipline 结构
yitaotu user add own --org 丙建设公司
yitaotu user add con --org 丁施工公司
yitaotu user add sup --org 戊监理公司
yitaotu party add $P design 甲设计院
yitaotu party add $P review 乙审查中心
yitaotu party add $P owner 丙建设公司
yitaotu party add $P contractor 丁施工公司
yitaotu party add $P supervisor 戊监理公司
yitaotu ingest $P $W/r1 -m "首次报审 first submission" --author des
T0=$(now)

# 桩基 first: the pile and pit drawings only, reviewed by the structural reviewer
yitaotu submit $P head --stage 桩基 --sheets 'S-0*' --as des
yitaotu review accept $P --as rev_s
yitaotu opinion add $P S-01 "桩长不足 piles too short" --point 500,300 -c mandatory --as rev_s
yitaotu review return $P --as rev_s
yitaotu opinion reply $P 1 "已加长 lengthened" --as des
yitaotu ingest $P $W/r2 -m "按意见修改 per opinion" --author des
yitaotu submit $P head --as des                     # resubmits the returned S-1
yitaotu review accept $P --as rev_s
yitaotu opinion close $P 1 --as rev_s
yitaotu review sign $P --as rev_s                   # 结构 signs its part
yitaotu review approve $P --as rev_s                # S-01, S-02 approved: construction starts
T1=$(now)

# then the rest (主体): two disciplines, each signs its own part
yitaotu submit $P head --stage 主体 --sheets 'A-*' --sheets 'S-1*' --as des
yitaotu review accept $P --as rev_a
yitaotu opinion add $P A-101 "补充门窗表 add the door schedule" --point 300,300 --as rev_a
yitaotu review sign $P --as rev_a
yitaotu review sign $P --as rev_s
yitaotu review approve $P --as rev_a
T2=$(now)

# 图纸会审: two questions; the second needs drawings, so a 设计变更 (C-1) is requested
yitaotu meeting open $P --date 2026-06-01 --location 项目部 --participant owner=own \
  --participant design=des --participant contractor=con --participant supervisor=sup --as own
yitaotu meeting question $P A-101 "门洞尺寸未标注" --point 300,300 --as con
yitaotu meeting question $P S-101 "梁配筋不足" --rect 100,100,400,300 --as sup
yitaotu meeting answer $P Q-1 "门洞 1000×2100，见门窗表" --as des
yitaotu meeting answer $P Q-2 "加大配筋，出设计变更" --needs-change --as des
yitaotu meeting close $P --as own
for u in own des con sup; do yitaotu meeting sign $P --as $u; done
yitaotu meeting minutes $P M-1 -o $W/会审纪要.pdf

# three changes open at once: C-1 (the meeting's), C-2 general, C-3 major; C-2 and C-3 both
# touch A-101
yitaotu ingest $P $W/c1 -m "C-1 图纸" --author des
yitaotu change propose $P head --change C-1 --sheets S-101 --as des
yitaotu ingest $P $W/c2 -m "C-2 图纸" --author des
yitaotu change propose $P head --sheets A-101 --reason "业主要求加门 owner adds a door" --as des
yitaotu ingest $P $W/c3 -m "C-3 图纸" --author des
yitaotu change propose $P head --sheets 'A-10*' --reason "平面调整 plan revised" --class major \
  --as des
yitaotu change confirm $P C-2 --as own
yitaotu change confirm $P C-2 --as sup
yitaotu change sign $P C-2 --as des                 # C-2 effective: current moves
T3=$(now)
yitaotu change show $P C-3                          # stale on A-101: what C-2 changed there
yitaotu change confirm $P C-3 --as own || echo "refused: C-3 must be rebased first"
yitaotu change rebase $P C-3 head --as des || echo "refused: C-2's door would be lost"
yitaotu ingest $P $W/c3b -m "C-3 改基 rebased on C-2" --author des
yitaotu change rebase $P C-3 head --as des          # keeps C-2's edit: accepted
yitaotu change confirm $P C-1 --as sup
yitaotu change confirm $P C-1 --as own
yitaotu change sign $P C-1 --as des                 # C-1 effective
T4=$(now)
yitaotu change confirm $P C-3 --as own
yitaotu change confirm $P C-3 --as sup
yitaotu change sign $P C-3 --as des                 # major: its sheets go to review (S-3)
yitaotu review accept $P --as rev_a
yitaotu review sign $P --as rev_a
yitaotu review approve $P --as rev_a                # S-3 approved: C-3 effective
T5=$(now)

yitaotu status $P --as own
yitaotu change list $P
for t in $T0 $T1 $T2 $T3 $T4 $T5; do yitaotu audit at $P $t || true; done
yitaotu audit verify $P
# --- story end

echo
echo "story home: $YITAOTU_HOME (delete $W when done)"
