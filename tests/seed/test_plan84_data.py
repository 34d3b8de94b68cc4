"""Data-fidelity tests for the Plan 84/KH-UBND seed file.

The seed JSON is curated by hand from the plan text. These tests re-derive from the text whatever
can be derived, so that an edit to either file that breaks their agreement fails here, not in a
report a ward official reads.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "app/seed/data"
SEED_PATH = DATA_DIR / "plan84.json"
PLAN_PATH = DATA_DIR / "ke-hoach-84-KH-UBND-2025.txt"
SHARED_DIR = Path(__file__).resolve().parents[3] / "shared/plan"

SUPERSCRIPTS = {"¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8"}
PARAGRAPH_SECTIONS = {"II.1.8", "II.3", "III.2"}
SECTION_COUNTS = {
    "II.1.1": 6, "II.1.2": 4, "II.1.3": 9, "II.1.4": 4, "II.1.5": 5, "II.1.6": 3, "II.1.7": 7,
    "II.1.8": 1, "II.2.1": 11, "II.2.2": 5, "II.2.3": 6, "II.2.4": 4, "II.3": 1, "III.1": 3,
    "III.2": 1,
}  # fmt: skip
LEADS = {"II.2.1": "vhxh", "II.2.2": "vp", "II.2.3": "ttpvhcc", "II.2.4": "kthtdt", "II.3": "mttq"}
LEADS["III.2"] = "vhxh"
INDICATOR_CODES = [
    "tthc_ontime", "complaint_ontime", "business_conditions_cut", "tthc_time_cut", "tthc_cost_cut",
    "boundary_free_tthc", "disbursement", "full_online_services", "online_dossier",
    "digitized_components", "electronic_results", "reuse_digitized", "tthc_published",
    "plan_targets_completed", "socioeconomic_targets",
]  # fmt: skip
DUE_MARKERS = ("hết năm 2025", "Quý IV năm 2025")
PLAN_RHYTHM = "riêng năm 2025 báo cáo hàng tháng"


@cache
def seed() -> dict[str, Any]:
    return json.loads(SEED_PATH.read_text(encoding="utf-8"))


@cache
def plan_lines() -> tuple[str, ...]:
    return tuple(PLAN_PATH.read_text(encoding="utf-8").split("\n"))


def assignments() -> dict[str, dict[str, Any]]:
    return {a["code"]: a for a in seed()["assignments"]}


def markers(text: str) -> list[str]:
    return [SUPERSCRIPTS[c] for c in text if c in SUPERSCRIPTS]


@cache
def parse_plan() -> tuple[dict[str, list[str]], dict[str, str]]:
    """Walk the plan's headings the way a reader does, independently of how the JSON was built.

    Returns the items per section (bullets, or the single paragraph of II.1.8, II.3 and III.2) and
    the II.1.x subsection headings. Footnote lines are skipped; a line that is neither a heading, a
    bullet nor a footnote continues the previous item (a page break split it).
    """
    part, section = "", ""
    items: dict[str, list[str]] = {}
    headings: dict[str, str] = {}
    for raw in plan_lines():
        line = raw.rstrip()
        if line.startswith(("Trên đây là", "Nơi nhận:")):
            break
        if m := re.fullmatch(r"(I{1,3})\. .*", line):
            part, section = m.group(1), ""
            continue
        if not line or line[0] in SUPERSCRIPTS or part not in ("II", "III"):
            continue
        if part == "II" and (m := re.fullmatch(r"(\d)\.(\d)\. (.*)", line)):
            section = f"II.{m.group(1)}.{m.group(2)}"
            headings[section] = m.group(3)
        elif m := re.fullmatch(r"(\d)\. (.*)", line):
            section = f"{part}.{m.group(1)}"
            if section == "II.3":
                items[section] = [m.group(2)]
        elif line.startswith("- "):
            items.setdefault(section, []).append(line[2:])
        elif section in PARAGRAPH_SECTIONS and section not in items:
            items[section] = [line]
        else:
            items[section][-1] += " " + line
    clean = {sec: [t.replace("*", "") for t in texts] for sec, texts in items.items()}
    return clean, headings


@cache
def normalized_plan_text() -> str:
    """The plan as one searchable string: emphasis dropped, page-break splits rejoined."""
    items, _ = parse_plan()
    body = "\n".join(line.replace("*", "") for line in plan_lines())
    return body + "\n" + "\n".join(t for texts in items.values() for t in texts)


def test_file_is_canonical_json() -> None:
    """Diffs of the seed file stay readable only if every writer emits the same layout."""
    raw = SEED_PATH.read_text(encoding="utf-8")
    assert raw == json.dumps(seed(), ensure_ascii=False, indent=2) + "\n"
    assert list(seed()) == [
        "format", "ward", "units", "areas", "domains", "plan", "footnotes", "assignments",
        "indicators",
    ]  # fmt: skip
    assert seed()["format"] == 1


def test_parser_sees_the_plan_structure() -> None:
    items, headings = parse_plan()
    assert {sec: len(texts) for sec, texts in items.items()} == SECTION_COUNTS
    expected = [f"II.1.{i}" for i in range(1, 9)] + [f"II.2.{i}" for i in range(1, 5)]
    assert sorted(headings) == expected


def test_assignment_counts_per_section_and_lead() -> None:
    counts = Counter(a["section"] for a in seed()["assignments"])
    assert dict(counts) == SECTION_COUNTS
    assert sum(n for sec, n in counts.items() if sec.startswith("II.")) == 66
    assert len(seed()["assignments"]) == 70
    leads = Counter(a["lead_unit"] for a in seed()["assignments"])
    assert leads == Counter({"vhxh": 12, "vp": 5, "ttpvhcc": 6, "kthtdt": 4, "mttq": 1, None: 42})


def test_codes_and_positions() -> None:
    rows = seed()["assignments"]
    assert len({a["code"] for a in rows}) == len(rows)
    by_section: dict[str, list[int]] = {}
    for a in rows:
        assert a["code"] == f"{a['section']}.{a['position']}"
        by_section.setdefault(a["section"], []).append(a["position"])
    for positions in by_section.values():
        assert positions == list(range(1, len(positions) + 1))


def test_scope_and_lead_follow_the_section() -> None:
    for a in seed()["assignments"]:
        if a["section"].startswith("II.1.") or a["section"] == "III.1":
            assert (a["scope"], a["lead_unit"]) == ("all_units", None), a["code"]
        else:
            assert (a["scope"], a["lead_unit"]) == ("lead_unit", LEADS[a["section"]]), a["code"]
        if a["section"].startswith("II.1."):
            assert a["area"] == "par" + a["section"][-1], a["code"]


def test_every_text_matches_an_independent_parse() -> None:
    items, _ = parse_plan()
    parsed = {f"{sec}.{i}": t for sec, texts in items.items() for i, t in enumerate(texts, 1)}
    assert {code: a["text"] for code, a in assignments().items()} == parsed


def test_literal_samples() -> None:
    """Written out by hand so a parser bug shared with the file cannot hide a wrong text."""
    rows = assignments()
    assert rows["II.1.3.6"]["text"] == (
        "Tiếp tục thực hiện danh mục TTHC thực hiện phi địa giới hành chính trong phạm vi Thành "
        "phố. Đảm bảo đến hết năm 2025, 100% TTHC (do Thành phố công bố) được thực hiện không phụ "
        "thuộc vào địa giới hành chính trong phạm vi Thành phố theo tinh thần Nghị quyết số "
        "66/NQ-CP ngày 26 tháng 3 năm 2025 của Chính phủ."
    )
    assert rows["II.2.1.9"]["text"] == (
        "Thường xuyên theo dõi, tổng hợp kết quả tiếp nhận và xử lý phản ánh kiến nghị Tổng đài "
        "phản ánh kiến nghị 1022; báo cáo Ủy ban nhân dân phường xem xét, đánh giá trách nhiệm "
        "người đứng đầu cơ quan, đơn vị chậm trễ trong việc xử lý phản ánh kiến nghị của người "
        "dân, doanh nghiệp. Thời gian thực hiện: Định kỳ hằng tháng."
    )
    assert rows["II.1.2.1"]["text"] == (
        "Nâng cao chất lượng xây dựng văn bản quy phạm pháp luật trên địa bàn phường, đảm bảo tính "
        "đồng bộ, thống nhất, hợp lý, khả thi; thường xuyên theo đổi, kiểm tra, đôn đốc việc xây "
        "dựng văn bản quy phạm pháp luật, đảm bảo tiến độ và thời gian quy định."
    )


def test_footnotes() -> None:
    notes: dict[str, str] = seed()["footnotes"]
    lines = [ln.rstrip() for ln in plan_lines() if ln[:1] in SUPERSCRIPTS]
    assert all(ln[1] == " " for ln in lines)
    in_file = {SUPERSCRIPTS[ln[0]]: ln[2:] for ln in lines}
    assert notes == in_file
    referenced: list[str] = []
    for a in seed()["assignments"]:
        assert a["footnotes"] == markers(a["text"]), a["code"]
        referenced += a["footnotes"]
    assert sorted(referenced, key=int) == sorted(notes, key=int)


def test_cadence_follows_the_text() -> None:
    rows = seed()["assignments"]
    assert {a["cadence"] for a in rows} <= {"once", "monthly", "quarterly", "continuous", "plan"}
    rhythm = {a["code"] for a in rows if PLAN_RHYTHM in a["text"]}
    assert rhythm == {"II.2.1.1", "III.1.2"}
    assert {a["code"] for a in rows if a["cadence"] == "plan"} == rhythm
    monthly = {a["code"] for a in rows if "hằng tháng" in a["text"].lower()} - rhythm
    assert {a["code"] for a in rows if a["cadence"] == "monthly"} == monthly
    once = {a["code"] for a in rows if a["cadence"] == "once"}
    assert {"II.1.6.1", "II.2.3.3", "III.1.1"} <= once


def test_due_dates_only_where_the_text_sets_one() -> None:
    for a in seed()["assignments"]:
        dated = any(marker in a["text"] for marker in DUE_MARKERS)
        assert a["due_date"] == ("2025-12-31" if dated else None), a["code"]


def test_coordinating_units_are_named_in_the_text() -> None:
    names = {u["code"]: u["name"] for u in seed()["units"]}
    for a in seed()["assignments"]:
        assert a["lead_unit"] not in a["coordinating_units"], a["code"]
        for code in a["coordinating_units"]:
            assert names[code] in a["text"], (a["code"], code)


def test_references_resolve() -> None:
    data = seed()
    units = {u["code"] for u in data["units"]}
    areas = {a["code"] for a in data["areas"]}
    assert len(units) == 6 and len(areas) == 8
    assert len({d["code"] for d in data["domains"]}) == len(data["domains"])
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", d["code"]) for d in data["domains"])
    assert [u["parent"] for u in data["units"]] == [None] + ["phu-dinh"] * 5
    assert {data["plan"]["issuer_unit"], data["plan"]["coordinator_unit"]} <= units
    for a in data["assignments"]:
        assert a["area"] in areas and set(a["coordinating_units"]) <= units
        assert a["lead_unit"] is None or a["lead_unit"] in units
    codes = assignments()
    for ind in data["indicators"]:
        assert ind["area"] in areas and ind["responsible_unit"] in units
        assert ind["assignment"] in codes


def test_areas_are_the_ii1_headings() -> None:
    _, headings = parse_plan()
    for i, area in enumerate(seed()["areas"], 1):
        assert area["code"] == f"par{i}" and area["position"] == i
        assert area["section"] == f"II.1.{i}"
        assert area["name"] == headings[area["section"]]


def test_plan_header_is_verbatim() -> None:
    plan = seed()["plan"]
    lines = [ln.rstrip() for ln in plan_lines()]
    assert plan["title"] == lines[lines.index("KẾ HOẠCH") + 2]
    assert plan["basis"].startswith("Căn cứ ") and plan["basis"] in lines
    assert plan["number"] == "84/KH-UBND" and f"Số: {plan['number']}" in lines
    assert plan["signer_name"] == next(ln for ln in reversed(lines) if ln)


def test_indicators() -> None:
    rows = seed()["indicators"]
    assert [i["code"] for i in rows] == INDICATOR_CODES
    text = normalized_plan_text()
    for ind in rows:
        assert ind["measure"] == "percent" and type(ind["target"]) is int
        assert ind["disaggregation"] == ("domain" if ind["code"] == "tthc_ontime" else "none")
        assert ind["description"] in text, ind["code"]
        assert ind["description"] in assignments()[ind["assignment"]]["text"], ind["code"]
        assert f"{ind['target']}%" in ind["description"], ind["code"]
        sections = ind["source_section"].split(", ")
        assert assignments()[ind["assignment"]]["section"] in sections, ind["code"]
        dated = any(marker in ind["description"] for marker in DUE_MARKERS)
        assert ind["due_date"] == ("2025-12-31" if dated else None), ind["code"]


def test_indicators_match_the_readme_table() -> None:
    readme = SHARED_DIR / "README.md"
    if not readme.exists():
        pytest.skip(f"{readme} not present: the shared plan folder is not beside the repo")
    table = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        if m := re.fullmatch(r"\| (II\.[\d., I]+?) \| .* \| (≥ )?(\d+)% \|", line.strip()):
            table.append((m.group(1), ">=" if m.group(2) else "=", int(m.group(3))))
    got = [(i["source_section"], i["comparator"], i["target"]) for i in seed()["indicators"]]
    assert got == table


def test_vendored_plan_equals_the_shared_copy() -> None:
    shared = SHARED_DIR / PLAN_PATH.name
    if not shared.exists():
        pytest.skip(f"{shared} not present: the shared plan folder is not beside the repo")
    assert PLAN_PATH.read_bytes() == shared.read_bytes()
