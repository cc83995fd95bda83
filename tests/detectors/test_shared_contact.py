"""shared_contact: order invariance and blank values (the end-to-end test is in tests/engine)."""

from __future__ import annotations

from dhelp import assert_same_output, frame, run, shuffled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from source_check import load_pack_text

PACK = load_pack_text("pack: sc\nkey: [k]\ngroup: g\nfields: {k: {}, g: {}, phone: {label: 联系电话}}\n")


def test_blank_values_are_not_shared_contacts():
    df = frame({"k": list("abcde"), "g": ["x"] * 5, "phone": ["", " ", "", None, "139"]}, group="g")
    assert run("shared_contact", PACK, df, fields=["phone"], min_units=2).units.is_empty()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]), st.sampled_from(["1", "2", "3", None])),
                min_size=1, max_size=30), st.integers(0, 10_000))
def test_row_order_does_not_matter(rows, seed):
    df = frame({"k": [r[0] for r in rows], "g": ["x"] * len(rows), "phone": [r[1] for r in rows]}, group="g")
    assert_same_output(run("shared_contact", PACK, df, fields=["phone"], min_units=2),
                       run("shared_contact", PACK, shuffled(df, seed), fields=["phone"], min_units=2))
