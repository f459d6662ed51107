"""Satisfaction evaluation (满意度评价) and acceptance (竣工验收) rules: plain values only.

Pure: no Flask, no database. A response scores three aspects 1–5 (the renovation content, the
works process, the long-term management), optionally each passed item in the household's scope,
and may carry free text. A printed form is keyed twice like a paper ballot (app.paper.keying):
two keyings by different workers that agree make the response; a disagreement waits for the
committee. Averages are exact fractions, shown to one decimal.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

ASPECTS = ("content", "process", "management")
SCORES = (1, 2, 3, 4, 5)
RESULTS = ("passed", "conditional", "failed")
CHANNELS = ("phone", "door", "paper")
LIVE = ("pending", "confirmed", "mismatch", "resolution")
COUNTED = ("confirmed", "resolution")


@dataclass(frozen=True)
class Scores:
    """One household's answers: aspect -> 1..5, item id -> 1..5 (blank answers left out)."""

    aspects: Mapping[str, int]
    items: Mapping[int, int] = field(default_factory=dict)
    comment: str = ""

    def __post_init__(self):
        for name, score in self.aspects.items():
            if name not in ASPECTS:
                raise ValueError(f"unknown aspect {name!r}")
            if score not in SCORES:
                raise ValueError(f"{name}: score {score!r} is not 1-5")
        for item_id, score in self.items.items():
            if score not in SCORES:
                raise ValueError(f"item {item_id}: score {score!r} is not 1-5")
        object.__setattr__(self, "comment", (self.comment or "").strip())

    def is_empty(self) -> bool:
        """Nothing scored and nothing written."""
        return not self.aspects and not self.items and not self.comment


def encode_scores(s: Scores) -> str:
    """The JSON stored for a response or keying."""
    return json.dumps(
        {
            "aspects": dict(sorted(s.aspects.items())),
            "items": {str(k): v for k, v in sorted(s.items.items())},
            "comment": s.comment,
        },
        ensure_ascii=False,
    )


def decode_scores(text: str) -> Scores:
    """Scores back from their JSON."""
    data = json.loads(text)
    return Scores(
        data.get("aspects", {}),
        {int(k): v for k, v in data.get("items", {}).items()},
        data.get("comment", ""),
    )


def parse_score(value: str | None) -> int | None:
    """A form field as a score: "1".."5" -> int, blank -> None; anything else ValueError."""
    value = (value or "").strip()
    if not value:
        return None
    if value not in {str(s) for s in SCORES}:
        raise ValueError(value)
    return int(value)


def keyings_agree(a: Scores, b: Scores) -> bool:
    """The same scores; free text compared without surrounding or repeated spaces."""
    return (
        dict(a.aspects) == dict(b.aspects)
        and dict(a.items) == dict(b.items)
        and " ".join(a.comment.split()) == " ".join(b.comment.split())
    )


@dataclass(frozen=True)
class KeyingRef:
    """An earlier keying of the same form."""

    id: int
    user_id: int | None
    status: str
    scores: Scores


@dataclass(frozen=True)
class KeyingOutcome:
    """A new keying's status and the earlier keying it pairs with, or a refusal
    ("counted", "in_review", "same_worker")."""

    status: str | None
    partner: int | None = None
    refusal: str | None = None


def keying_outcome(
    existing: Sequence[KeyingRef], user_id: int | None, scores: Scores
) -> KeyingOutcome:
    """The double-entry state machine of app.paper.keying, for an evaluation form."""
    live = [e for e in existing if e.status in LIVE]
    if any(e.status in COUNTED for e in live):
        return KeyingOutcome(None, refusal="counted")
    if any(e.status == "mismatch" for e in live):
        return KeyingOutcome(None, refusal="in_review")
    pending = [e for e in live if e.status == "pending"]
    if not pending:
        return KeyingOutcome("pending")
    first = pending[0]
    if first.user_id == user_id:
        return KeyingOutcome(None, refusal="same_worker")
    if keyings_agree(first.scores, scores):
        return KeyingOutcome("confirmed", partner=first.id)
    return KeyingOutcome("mismatch", partner=first.id)


@dataclass(frozen=True)
class Tally:
    """Scores given to one question: how many, their sum, and how many of each score."""

    count: int = 0
    total: int = 0
    histogram: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)

    def add(self, score: int) -> "Tally":
        """This tally with one more score."""
        h = list(self.histogram)
        h[score - 1] += 1
        return Tally(self.count + 1, self.total + score, tuple(h))

    @property
    def average(self) -> Fraction | None:
        """The exact mean score, None when nobody answered."""
        return Fraction(self.total, self.count) if self.count else None

    @property
    def satisfied(self) -> int:
        """Answers of 4 or 5 (满意 and 非常满意)."""
        return self.histogram[3] + self.histogram[4]


def tally_scores(responses: Iterable[Scores]) -> tuple[dict[str, Tally], dict[int, Tally]]:
    """Per aspect and per item, the tally of the given responses."""
    aspects = {a: Tally() for a in ASPECTS}
    items: dict[int, Tally] = {}
    for r in responses:
        for name, score in r.aspects.items():
            aspects[name] = aspects[name].add(score)
        for item_id, score in r.items.items():
            items[item_id] = items.get(item_id, Tally()).add(score)
    return aspects, items


def one_decimal(value: Fraction | None) -> str:
    """A mean or a percentage with one decimal, rounded half up; "—" for None."""
    if value is None:
        return "—"
    d = Decimal(value.numerator) / Decimal(value.denominator)
    return str(d.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def rate(part: int, whole: int) -> Fraction | None:
    """part / whole as an exact percentage; None when whole is 0."""
    return Fraction(part * 100, whole) if whole else None


def acceptance_outcome(results: Iterable[str]) -> str:
    """The plan's acceptance in one word: "failed" if any item failed, "conditional" if any
    passed with conditions, "passed" if all passed, "pending" when none is recorded yet."""
    results = list(results)
    if not results:
        return "pending"
    for worst in ("failed", "conditional"):
        if worst in results:
            return worst
    return "passed"


def _check_digit(digits: str) -> int:
    """A weighted check digit (weights 3 and 1, as EAN) that catches any one mistyped digit."""
    total = sum(int(d) * (3 if n % 2 == 0 else 1) for n, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def form_code(round_number: int, household_id: int) -> str:
    """The code printed on a household's evaluation form: PJ<round>-<household>-<check>."""
    digits = f"{round_number}{household_id:06d}"
    return f"PJ{round_number}-{household_id:06d}-{_check_digit(digits)}"


def parse_form_code(text: str) -> tuple[int, int]:
    """(round number, household id) from a typed or scanned form code; ValueError if it is not
    one or its check digit does not match."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if not cleaned.startswith("PJ") or len(cleaned) < 10 or not cleaned[2:].isdigit():
        raise ValueError("format")
    body = cleaned[2:]
    round_part, household_part, check = body[:-7], body[-7:-1], body[-1]
    if not round_part:
        raise ValueError("format")
    if _check_digit(round_part + household_part) != int(check):
        raise ValueError("check")
    return int(round_part), int(household_part)
