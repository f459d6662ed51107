"""Paper ballot entry rules: keys for marks, one worker's keying, and when two keyings agree.

Pure: no Flask, no database. With double entry (docs/counting.md) a paper ballot counts only once a
second, different worker keys exactly what the first keyed; a disagreement waits for a
committee member. ``enter_outcome`` is that state machine for one ballot's entries:

    (none) --first keying--> pending --same keying, other worker--> confirmed
                                    \\--different keying-----------> mismatch --review--> resolution
    without double entry: (none) --keying--> confirmed
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

CHOICES = ("agree", "oppose", "abstain")
# Keyboard entry: one key per item, as printed on the ballot (同意 / 反对 / 弃权 / blank).
KEY_CHOICES = {"1": "agree", "2": "oppose", "3": "abstain", "0": None, "": None}
CHOICE_KEYS = {"agree": "1", "oppose": "2", "abstain": "3", None: "0"}
# Words accepted in a paper ballots file (docs/formats.md), compared after lower-casing.
FILE_WORDS = {
    "同意": "agree",
    "agree": "agree",
    "反对": "oppose",
    "oppose": "oppose",
    "弃权": "abstain",
    "abstain": "abstain",
    "": None,
}
LIVE = ("pending", "confirmed", "mismatch", "resolution")
COUNTED = ("confirmed", "resolution")


@dataclass(frozen=True)
class Keying:
    """What one worker keyed from one paper ballot: item key -> choice (None: blank), pledges,
    and for an agree on an item with options (方案比选) item key -> the option's key."""

    choices: Mapping[str, str | None]
    pledges: frozenset[str] = frozenset()
    options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for key, choice in self.choices.items():
            if choice is not None and choice not in CHOICES:
                raise ValueError(f"item {key}: invalid choice {choice!r}")
        for key in self.options:
            if self.choices.get(key) != "agree":
                raise ValueError(f"item {key}: an option marks an agree only")
        # A pledge means paying for what one agrees to; on any other mark it says nothing.
        object.__setattr__(
            self,
            "pledges",
            frozenset(k for k in self.pledges if self.choices.get(k) == "agree"),
        )

    def marked(self) -> dict[str, str]:
        """The items the ballot marks (blank items left out); an option as "agree:a"."""
        return {k: self.mark(k) for k, v in self.choices.items() if v is not None}

    def mark(self, key: str) -> str | None:
        """One item's mark: its choice, or "agree:<option key>" for an option."""
        choice = self.choices.get(key)
        option = self.options.get(key)
        return f"{choice}:{option}" if option is not None else choice


def keyings_agree(a: Keying, b: Keying) -> bool:
    """Exactly the same marks, options and pledges (a blank and a missing item are the same
    blank)."""
    return a.marked() == b.marked() and a.pledges == b.pledges


def differing_items(a: Keying, b: Keying) -> list[str]:
    """Item keys on which two keyings differ (choice, option or pledge), in sorted order."""
    keys = set(a.choices) | set(b.choices)
    return sorted(
        k for k in keys if a.mark(k) != b.mark(k) or ((k in a.pledges) != (k in b.pledges))
    )


def encode_keying(keying: Keying) -> str:
    """The JSON stored in PaperEntry.choices: {item_key: choice or null, "_pledges": [...],
    "_options": {item_key: option key}} (the last only when an option is marked)."""
    data: dict = dict(sorted(keying.choices.items()))
    data["_pledges"] = sorted(keying.pledges)
    if keying.options:
        data["_options"] = dict(sorted(keying.options.items()))
    return json.dumps(data, ensure_ascii=False)


def decode_keying(text: str) -> Keying:
    """A stored keying back from its JSON."""
    data = json.loads(text)
    pledges = frozenset(data.pop("_pledges", []))
    options = data.pop("_options", {})
    return Keying(data, pledges, options)


def file_choice(cell: str) -> str | None:
    """A paper ballots file cell as a choice; raises ValueError for anything else."""
    word = cell.strip().lower()
    if word not in FILE_WORDS:
        raise ValueError(cell)
    return FILE_WORDS[word]


def file_mark(cell: str, options: Mapping[str, str]) -> tuple[str | None, str | None]:
    """A paper ballots file cell on an item with options: (choice, option key). `options` maps
    each option's key and title, lower-cased, to its key; 同意 alone does not say which option
    and is refused. Raises ValueError for anything else."""
    word = cell.strip().lower()
    if word in options:
        return "agree", options[word]
    choice = file_choice(cell)
    if choice == "agree":
        raise ValueError(cell)
    return choice, None


@dataclass(frozen=True)
class EntryRef:
    """An existing entry of the same ballot, as the state machine sees it."""

    id: int
    user_id: int | None
    status: str
    keying: Keying


@dataclass(frozen=True)
class Outcome:
    """What a new keying does: its status and the earlier entry it pairs with, or a refusal.

    Refusals: "counted" (the ballot already counts), "in_review" (a mismatch waits for the
    committee), "same_worker" (double entry needs a second, different worker).
    """

    status: str | None
    partner: int | None = None
    refusal: str | None = None


def enter_outcome(
    double_entry: bool, existing: Sequence[EntryRef], user_id: int | None, keying: Keying
) -> Outcome:
    """Decide a new keying's fate from the ballot's earlier entries."""
    live = [e for e in existing if e.status in LIVE]
    if any(e.status in COUNTED for e in live):
        return Outcome(None, refusal="counted")
    if any(e.status == "mismatch" for e in live):
        return Outcome(None, refusal="in_review")
    if not double_entry:
        return Outcome("confirmed")
    pending = [e for e in live if e.status == "pending"]
    if not pending:
        return Outcome("pending")
    first = pending[0]
    if first.user_id == user_id:
        return Outcome(None, refusal="same_worker")
    if keyings_agree(first.keying, keying):
        return Outcome("confirmed", partner=first.id)
    return Outcome("mismatch", partner=first.id)
