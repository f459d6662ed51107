"""A result in words, without a request: the one-sentence reason, the rule spelt out, headcounts
as decimals (app.tally.explain)."""

from decimal import ROUND_CEILING, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from app.rules.counting import (
    CC278_MAJOR,
    CC278_ORDINARY,
    CustomRule,
    Rule,
    count_strata,
    tally_counts,
)
from app.tally.explain import (
    owners_exact_text,
    owners_text,
    percent_text,
    result_reasons,
    result_sentence,
    rule_text,
)

ELECTORATE = "表决范围内全体业主"
PARTICIPANTS = "参与表决业主"


def _tally(rows, rule=CC278_MAJOR, policy="none"):
    return tally_counts(count_strata(rows), rule, policy)


def test_a_missed_quorum_is_the_reason_even_when_most_participants_agree():
    # Like the demo's B2: 72 % of participants agree, but too few took part.
    t = _tally([(1, "agree", 72, Decimal(7200)), (1, "oppose", 28, Decimal(2800)),
                (1, "no_ballot", 90, Decimal(9000))])  # fmt: skip
    assert not t.quorum_met and not t.approved
    assert result_sentence(t) == (
        "未通过：参与表决的人数和面积未达到表决范围内全体业主的三分之二以上（按人数 52.6%，"
        "按面积 52.6%）；同意的人数和面积未达到参与表决业主的四分之三以上（按人数 72.0%，"
        "按面积 72.0%）。"
    )


def test_only_the_missed_dimension_is_named():
    # Enough owners took part, but not enough area.
    t = _tally([(1, "agree", 8, Decimal(400)), (1, "no_ballot", 2, Decimal(600))])
    assert t.checks[2].name == "quorum_headcount" and t.checks[2].met
    assert result_reasons(t) == [
        "参与表决的面积未达到表决范围内全体业主的三分之二以上（按面积 40.0%）"
    ]
    assert result_sentence(t, provisional=True).startswith("目前未通过：参与表决的面积")


def test_a_passed_item_says_both_what_it_met_and_of_whom():
    t = _tally([(1, "agree", 9, Decimal(900)), (1, "oppose", 1, Decimal(100))], CC278_ORDINARY)
    assert result_sentence(t) == (
        "通过：参与表决的人数和面积达到表决范围内全体业主的三分之二以上（按人数 100.0%，"
        "按面积 100.0%）；同意的人数和面积超过参与表决业主的半数（按人数 90.0%，按面积 90.0%）。"
    )


def test_nobody_voting_or_nobody_in_scope_is_said_plainly():
    assert result_sentence(_tally([(1, "no_ballot", 3, Decimal(90))])) == (
        "未通过：还没有住户参与表决。"
    )
    assert result_sentence(_tally([])) == "未通过：表决范围内没有住户。"


def test_a_custom_rule_is_spelt_out_with_its_thresholds_and_base():
    rule = Rule("custom", CustomRule("0", "2/3", False, "electorate", "headcount"))
    assert rule_text(rule) == (
        "方案约定的规则：不设参与比例要求；同意的人数须达到表决范围内全体业主的三分之二以上。"
    )
    strict = Rule("custom", CustomRule("1/2", "3/5", True, "participating", "area"))
    assert rule_text(strict) == (
        "方案约定的规则：参与表决的面积须达到表决范围内全体业主的半数以上；"
        "同意的面积须超过参与表决业主的3/5。"
    )
    t = _tally([(1, "agree", 5, Decimal(500)), (1, "no_ballot", 5, Decimal(500))], rule)
    assert result_sentence(t) == (
        "未通过：同意的人数未达到表决范围内全体业主的三分之二以上（按人数 50.0%）。"
    )


def test_the_cc278_rules_name_their_thresholds():
    assert "参与表决的人数和面积须达到表决范围内全体业主的三分之二以上" in rule_text(CC278_MAJOR)
    assert "同意的人数和面积须达到参与表决业主的四分之三以上" in rule_text(CC278_MAJOR)
    assert "同意的人数和面积须超过参与表决业主的半数" in rule_text(CC278_ORDINARY)


def test_headcounts_read_as_decimals_with_the_exact_fraction_apart():
    assert owners_text(Fraction(833, 8)) == "104.1"
    assert owners_text(Fraction(645, 24)) == "26.9"  # 26又21/24
    assert owners_text(Fraction(104)) == "104"
    assert owners_text(Fraction(1, 24), ROUND_CEILING) == "0.1"  # a shortfall never reads 0
    assert owners_text(Fraction(-1, 24)) == "0.0"
    assert owners_exact_text(Fraction(833, 8)) == "104又1/8"


@given(st.fractions(min_value=0, max_value=10_000, max_denominator=60))
def test_a_decimal_headcount_is_within_half_a_tenth(owners):
    shown = owners_text(owners)
    assert abs(Fraction(Decimal(shown)) - owners) <= Fraction(1, 20)
    assert ("." in shown) == (owners.denominator != 1)
    assert Fraction(Decimal(owners_text(owners, ROUND_CEILING))) >= owners


RULES = st.one_of(
    st.sampled_from([CC278_MAJOR, CC278_ORDINARY]),
    st.builds(
        lambda q, a, strict, base, dims: Rule(
            "custom", CustomRule(q, a, strict and a != "1", base, dims)
        ),
        st.sampled_from(["0", "1/2", "2/3"]),
        st.sampled_from(["1/2", "2/3", "3/4", "1"]),
        st.booleans(),
        st.sampled_from(["participating", "electorate"]),
        st.sampled_from(["headcount", "area", "both"]),
    ),
)
CELLS = st.lists(
    st.tuples(
        st.sampled_from([1, 2, 3]),
        st.sampled_from(["agree", "oppose", "abstain", "no_ballot", "delivered_no_ballot"]),
        st.integers(1, 4),
        st.integers(0, 20_000),
    ),
    max_size=8,
)


@given(CELLS, RULES, st.sampled_from(["none", "follow_majority"]), st.booleans())
def test_every_result_says_why_in_one_sentence(cells, rule, policy, provisional):
    rows = [(k, status, n * k, Decimal(centi) / 100) for k, status, n, centi in cells]
    t = _tally(rows, rule, policy)
    sentence = result_sentence(t, provisional)
    verdict = ("目前" if provisional else "") + ("通过：" if t.passed else "未通过：")
    assert sentence.startswith(verdict) and sentence.endswith("。")
    assert sentence.count("。") == 1  # one sentence
    guards = [c for c in t.checks if c.dimension == "households"]
    if not all(c.met for c in guards):
        assert "住户" in sentence and "%" not in sentence
        return
    base = {"electorate": ELECTORATE, "participating": PARTICIPANTS}[rule.thresholds.base]
    for check in t.checks[2:]:
        dim = "按人数 " if check.dimension == "headcount" else "按面积 "
        named = f"{dim}{percent_text(check.actual)}" in sentence
        if t.passed or not check.met:
            # Every decisive check is named with its percentage, and of whom it is taken.
            assert named
            assert (ELECTORATE if check.name.startswith("quorum") else base) in sentence
        group_failed = any(
            not c.met for c in t.checks[2:] if c.name.split("_")[0] == check.name.split("_")[0]
        )
        if not t.passed and not group_failed:
            # A group the item met is not given as a reason for failing.
            what = "参与表决的" if check.name.startswith("quorum") else "同意的"
            assert what not in sentence


def test_worked_example_1_reads_as_docs_counting_md_says():
    from app.tally.explain import failure_reasons

    t = _tally([(3, "agree", 1, Decimal(50)), (3, "oppose", 1, Decimal(50)),
                (3, "no_ballot", 1, Decimal(60)), (1, "agree", 2, Decimal("150.50")),
                (1, "abstain", 1, Decimal(90))])  # fmt: skip
    assert result_sentence(t) == (
        "未通过：同意的人数和面积未达到参与表决业主的四分之三以上（按人数 63.6%，按面积 58.9%）。"
    )
    assert failure_reasons(t)[0] == (
        "同意的人数为参与表决业主的 63.6%，未达到四分之三以上，还差 0.5 人。"
    )
