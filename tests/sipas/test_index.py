"""The index arithmetic, by hand, without a database."""

from __future__ import annotations

import json

import pytest

from app.sipas.index import compute_index, score_criterion, score_expectation
from app.sipas.questionnaire import DEFAULT_PATH, parse_content
from tests.sipas.conftest import HAND_FIXTURE


def _counts(answers: list[dict[str, int]]) -> dict[str, dict[int, int]]:
    counts: dict[str, dict[int, int]] = {}
    for answer in answers:
        for item, level in answer.items():
            counts.setdefault(item, {}).setdefault(level, 0)
            counts[item][level] += 1
    return counts


@pytest.fixture
def factors():
    return parse_content(json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))).factor_specs()


def test_questionnaire_has_5_factors_16_criteria_10_expectations() -> None:
    content = parse_content(json.loads(DEFAULT_PATH.read_text(encoding="utf-8")))
    assert [len(f.criteria) for f in content.factors] == [3, 4, 3, 3, 3]
    assert len(content.expectations) == 10
    assert [s.label for s in content.scale] == [
        "Rất không hài lòng",
        "Không hài lòng",
        "Bình thường",
        "Hài lòng",
        "Rất hài lòng",
    ]


def test_criterion_is_the_share_of_4_and_5() -> None:
    score = score_criterion("tc1", "", {5: 1, 2: 1, 4: 1}, {4, 5})
    assert score.answers == 3 and score.satisfied == 2
    assert score.satisfaction == pytest.approx(200 / 3)
    assert score.mean_score == pytest.approx(11 / 3)
    assert score_criterion("tc3", "", {}, {4, 5}).satisfaction is None


def test_hand_computed_index(factors) -> None:
    # tiếp cận: tc1 2/3, tc2 2/2 → (66,67 + 100)/2 = 83,33; thủ tục: tt1 2/3 = 66,67;
    # công chức: cc1 2/3 = 66,67; kết quả: kq1 0/1 = 0; góp ý: no answers, left out.
    # index = (83,33 + 66,67 + 66,67 + 0) / 4 = 54,17
    # mean score = (3,833 + 4 + 4,333 + 1) / 4 = 3,2917
    index = compute_index(
        factors=factors,
        counts=_counts(HAND_FIXTURE),
        responses=3,
        satisfied_levels={4, 5},
        min_sample=3,
    )
    by_code = {f.code: f for f in index.factors}
    assert by_code["tiep-can"].satisfaction == pytest.approx(250 / 3)
    assert by_code["thu-tuc"].satisfaction == pytest.approx(200 / 3)
    assert by_code["ket-qua"].satisfaction == 0
    assert by_code["gop-y"].satisfaction is None
    assert index.satisfaction == pytest.approx(54.1667, abs=1e-3)
    assert index.mean_score == pytest.approx(3.2917, abs=1e-3)
    assert index.sufficient_sample and index.warning is None


def test_below_minimum_sample_no_percentage_only_counts(factors) -> None:
    index = compute_index(
        factors=factors,
        counts=_counts(HAND_FIXTURE),
        responses=3,
        satisfied_levels={4, 5},
        min_sample=30,
    )
    assert index.satisfaction is None and index.mean_score is None
    assert index.warning == (
        "Mới có 3 phiếu, dưới cỡ mẫu tối thiểu 30 phiếu: "
        "chưa đủ để tính chỉ số hài lòng đáng tin cậy."
    )
    tc1 = index.factors[0].criteria[0]
    assert tc1.satisfaction is None and tc1.levels == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}


def test_another_formula_only_counts_very_satisfied(factors) -> None:
    index = compute_index(
        factors=factors,
        counts=_counts(HAND_FIXTURE),
        responses=3,
        satisfied_levels={5},
        min_sample=1,
    )
    # tc1 1/3, tc2 0 → 16,67; tt1 1/3; cc1 2/3; kq1 0 → (16,67 + 33,33 + 66,67 + 0) / 4 = 29,17
    assert index.satisfaction == pytest.approx(29.1667, abs=1e-3)


def test_a_better_answer_never_lowers_the_index(factors) -> None:
    base = _counts(HAND_FIXTURE)
    before = compute_index(
        factors=factors, counts=base, responses=3, satisfied_levels={4, 5}, min_sample=1
    )
    better = {k: dict(v) for k, v in base.items()}
    better["kq1"] = {4: 1}
    after = compute_index(
        factors=factors, counts=better, responses=3, satisfied_levels={4, 5}, min_sample=1
    )
    assert after.satisfaction > before.satisfaction
    assert after.mean_score > before.mean_score


def test_expectations_share_of_wanted() -> None:
    score = score_expectation("mm1", "", {1: 1, 3: 2, 4: 1})
    assert score.wanted_share == 75.0 and score.mean_level == pytest.approx(11 / 4)
