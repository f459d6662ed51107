"""The pure evaluation rules against simple references (hypothesis)."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from app.rules.satisfaction import (
    ASPECTS,
    Scores,
    acceptance_outcome,
    decode_scores,
    encode_scores,
    keyings_agree,
    one_decimal,
    tally_scores,
)

score = st.integers(1, 5)
scores = st.builds(
    Scores,
    st.dictionaries(st.sampled_from(ASPECTS), score),
    st.dictionaries(st.integers(1, 6), score),
    st.text(max_size=20),
)


@given(st.lists(scores, max_size=30))
def test_tally_matches_a_plain_mean(responses):
    aspects, items = tally_scores(responses)
    for a in ASPECTS:
        given_ = [r.aspects[a] for r in responses if a in r.aspects]
        t = aspects[a]
        assert t.count == len(given_) and sum(t.histogram) == len(given_)
        assert t.average == (Fraction(sum(given_), len(given_)) if given_ else None)
        assert t.satisfied == sum(1 for s in given_ if s >= 4)
    for item_id, t in items.items():
        given_ = [r.items[item_id] for r in responses if item_id in r.items]
        assert t.average == Fraction(sum(given_), len(given_))


@given(scores, scores)
def test_keyings_agree_is_symmetric_and_survives_storage(a, b):
    assert keyings_agree(a, b) == keyings_agree(b, a)
    assert keyings_agree(a, decode_scores(encode_scores(a)))


def test_one_decimal_rounds_half_up_and_outcome_takes_the_worst():
    assert one_decimal(Fraction(9, 4)) == "2.3" and one_decimal(Fraction(7, 3)) == "2.3"
    assert one_decimal(None) == "—"
    assert acceptance_outcome([]) == "pending"
    assert acceptance_outcome(["passed", "conditional"]) == "conditional"
    assert acceptance_outcome(["conditional", "failed", "passed"]) == "failed"
    assert acceptance_outcome(["passed", "passed"]) == "passed"
