"""The satisfaction index as pure arithmetic over counts of raw answers (no database here).

Default formula (``index.toml``): a criterion's satisfaction is the share of its answers at a
satisfied level (4–5) among all its answers; a factor's is the mean of its answered criteria; the
overall index is the mean of the answered factors. The mean score (1–5) is built the same way.
Below the minimum sample the headline numbers are withheld (``None``) and a warning says why: a
percentage of a dozen answers would mislead more than it informs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

#: level → number of answers at that level, for one item.
Counts = Mapping[int, int]


@dataclass(frozen=True)
class FactorSpec:
    code: str
    name: str
    criteria: tuple[tuple[str, str], ...]  # (code, text)


class CriterionScore(BaseModel):
    code: str
    text: str
    answers: int
    satisfied: int
    satisfaction: float | None = Field(description="% of answers at a satisfied level.")
    mean_score: float | None = Field(description="Mean level, 1–5.")
    levels: dict[int, int]


class FactorScore(BaseModel):
    code: str
    name: str
    answers: int
    satisfaction: float | None
    mean_score: float | None
    criteria: list[CriterionScore]


class IndexScore(BaseModel):
    responses: int = Field(description="Answers with at least one rated criterion.")
    min_sample: int
    sufficient_sample: bool
    warning: str | None
    satisfaction: float | None = Field(description="The index, %; None below the minimum sample.")
    mean_score: float | None
    factors: list[FactorScore]


class ExpectationScore(BaseModel):
    code: str
    text: str
    answers: int
    mean_level: float | None = Field(description="1 Không mong muốn … 4 Rất mong muốn.")
    wanted_share: float | None = Field(description="% of answers at 3–4 (Mong muốn, Rất …).")
    levels: dict[int, int]


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def score_criterion(
    code: str, text: str, counts: Counts, satisfied_levels: Iterable[int]
) -> CriterionScore:
    """Share of satisfied answers and mean level of one criterion; ``None`` with no answers."""
    levels = {level: int(counts.get(level, 0)) for level in range(1, 6)}
    total = sum(levels.values())
    good = sum(levels[level] for level in set(satisfied_levels))
    return CriterionScore(
        code=code,
        text=text,
        answers=total,
        satisfied=good,
        satisfaction=100.0 * good / total if total else None,
        mean_score=sum(level * n for level, n in levels.items()) / total if total else None,
        levels=levels,
    )


def sample_warning(responses: int, min_sample: int) -> str | None:
    if responses >= min_sample:
        return None
    if responses == 0:
        return "Chưa có phiếu khảo sát nào trong phạm vi này."
    return (
        f"Mới có {responses} phiếu, dưới cỡ mẫu tối thiểu {min_sample} phiếu: "
        "chưa đủ để tính chỉ số hài lòng đáng tin cậy."
    )


def _withheld(factor: FactorScore) -> FactorScore:
    criteria = [
        c.model_copy(update={"satisfaction": None, "mean_score": None}) for c in factor.criteria
    ]
    return factor.model_copy(
        update={"satisfaction": None, "mean_score": None, "criteria": criteria}
    )


def compute_index(
    *,
    factors: Sequence[FactorSpec],
    counts: Mapping[str, Counts],
    responses: int,
    satisfied_levels: Iterable[int],
    min_sample: int,
) -> IndexScore:
    """The index of one group of answers; below ``min_sample`` only the counts are given."""
    levels = frozenset(satisfied_levels)
    scored: list[FactorScore] = []
    for factor in factors:
        criteria = [
            score_criterion(code, text, counts.get(code, {}), levels)
            for code, text in factor.criteria
        ]
        scored.append(
            FactorScore(
                code=factor.code,
                name=factor.name,
                answers=sum(c.answers for c in criteria),
                satisfaction=_mean(c.satisfaction for c in criteria),
                mean_score=_mean(c.mean_score for c in criteria),
                criteria=criteria,
            )
        )
    sufficient = responses >= min_sample
    overall = _mean(f.satisfaction for f in scored)
    overall_mean = _mean(f.mean_score for f in scored)
    if not sufficient:  # counts stay visible; no percentage anywhere
        scored = [_withheld(f) for f in scored]
    return IndexScore(
        responses=responses,
        min_sample=min_sample,
        sufficient_sample=sufficient,
        warning=sample_warning(responses, min_sample),
        satisfaction=overall if sufficient else None,
        mean_score=overall_mean if sufficient else None,
        factors=scored,
    )


def score_expectation(code: str, text: str, counts: Counts) -> ExpectationScore:
    levels = {level: int(counts.get(level, 0)) for level in range(1, 5)}
    total = sum(levels.values())
    return ExpectationScore(
        code=code,
        text=text,
        answers=total,
        mean_level=sum(level * n for level, n in levels.items()) / total if total else None,
        wanted_share=100.0 * (levels[3] + levels[4]) / total if total else None,
        levels=levels,
    )
