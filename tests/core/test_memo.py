"""core.memo: inside reading_once() a key is computed once; outside, every time; nested
stretches keep their own results and the outer one's come back after."""

from app.core.memo import once, reading_once


def test_once_computes_a_key_once_inside_a_read_only_stretch_and_always_outside():
    calls = []

    def compute(tag):
        calls.append(tag)
        return [tag]

    assert once("k", lambda: compute("a")) is not once("k", lambda: compute("a"))
    assert calls == ["a", "a"]
    with reading_once():
        first = once("k", lambda: compute("b"))
        assert once("k", lambda: compute("c")) is first and first == ["b"]
        assert once("other", lambda: compute("d")) == ["d"]
        with reading_once():
            assert once("k", lambda: compute("e")) == ["e"]  # a stretch of its own
        assert once("k", lambda: compute("f")) is first
    assert calls == ["a", "a", "b", "d", "e"]
    assert once("k", lambda: compute("g")) == ["g"]  # outside again: afresh
