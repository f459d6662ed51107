"""Which ballot counts for a household: one household, one effective ballot (docs/counting.md).

Pure: no Flask, no database. The caller passes the household's latest online ballot and its
confirmed paper and assisted ballots (double entry agreed, not void, not invalid); this module
picks one by the plan's ``conflict_policy`` and reports any disagreement between them, so a
person can review it: nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple, get_args

from app.rules.counting import CHOICES, Choice

Channel = Literal["online", "paper", "assisted"]
ConflictPolicy = Literal["paper_prevails", "online_prevails", "latest_prevails"]
CONFLICT_POLICIES: tuple[ConflictPolicy, ...] = get_args(ConflictPolicy)

# Decision.reason codes, stored with the effective ballot; app.core.vocabulary words them.
# no_ballot: no online and no confirmed paper or assisted ballot. online_only: only an online
# ballot, it counts. paper_only: only paper/assisted ballots, the latest recorded counts.
# paper_prevails / online_prevails / latest_prevails: both kinds, the plan's conflict_policy
# picked the latest paper one, the online one, or the latest recorded one.
Reason = Literal[
    "no_ballot", "online_only", "paper_only", "paper_prevails", "online_prevails", "latest_prevails"
]
REASONS: tuple[Reason, ...] = get_args(Reason)


class BallotRef(NamedTuple):
    """A ballot as precedence sees it; choices map item key to choice, None or absent = blank."""

    id: Hashable
    channel: Channel
    recorded_at: datetime
    choices: Mapping[str, Choice | None]


@dataclass(frozen=True)
class Decision:
    """The effective ballot, whether the household's ballots disagree, and why (a REASONS code).

    ``superseded`` lists the household's other ballots, so none disappears from view.
    """

    effective: BallotRef | None
    conflict: bool
    reason: Reason
    superseded: tuple[BallotRef, ...] = ()


def marked_choices(ballot: BallotRef) -> dict[str, Choice]:
    """The items a ballot marks; blank (None) and absent items are the same blank."""
    return {item: choice for item, choice in ballot.choices.items() if choice is not None}


def ballots_differ(ballots: Sequence[BallotRef]) -> bool:
    """Whether any two ballots mark any item differently (blank vs abstain counts as different)."""
    return len({tuple(sorted(marked_choices(b).items())) for b in ballots}) > 1


def _latest(ballots: Sequence[BallotRef]) -> BallotRef:
    """The latest recorded ballot; on equal times the one given last."""
    return max(enumerate(ballots), key=lambda pair: (pair[1].recorded_at, pair[0]))[1]


def choose_effective_ballot(
    online: BallotRef | None,
    paper: Sequence[BallotRef],
    policy: ConflictPolicy = "paper_prevails",
) -> Decision:
    """Pick a household's effective ballot by the plan's conflict_policy (docs/counting.md)."""
    if policy not in CONFLICT_POLICIES:
        raise ValueError(f"conflict_policy: expected one of {CONFLICT_POLICIES}, got {policy!r}")
    paper = tuple(paper)
    if online is not None and online.channel != "online":
        raise ValueError(f"ballot {online.id!r}: expected channel 'online', got {online.channel!r}")
    for ballot in paper:
        if ballot.channel not in ("paper", "assisted"):
            raise ValueError(f"ballot {ballot.id!r}: expected paper or assisted channel")
    everything = ((online,) if online is not None else ()) + paper
    for ballot in everything:
        for item, choice in ballot.choices.items():
            if choice is not None and choice not in CHOICES:
                raise ValueError(f"ballot {ballot.id!r}, item {item!r}: invalid choice {choice!r}")
    if not everything:
        return Decision(None, False, "no_ballot")
    if online is None:
        effective, reason = _latest(paper), "paper_only"
    elif not paper:
        effective, reason = online, "online_only"
    else:
        latest_paper = _latest(paper)
        if policy == "paper_prevails":
            effective = latest_paper
        elif policy == "online_prevails":
            effective = online
        else:  # latest_prevails; on equal times the signed paper wins, as by default
            effective = online if online.recorded_at > latest_paper.recorded_at else latest_paper
        reason = policy
    index = next(i for i, ballot in enumerate(everything) if ballot is effective)
    superseded = everything[:index] + everything[index + 1 :]
    return Decision(effective, ballots_differ(everything), reason, superseded)
