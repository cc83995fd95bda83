"""The credit-code checks against python-stdnum and hand-computed GB 32100 / GB 11714 cases.

``uscc_valid_expr`` is compared with ``stdnum.cn.uscc`` on 100,002 random digit-prefixed
codes (valid and corrupted five ways), evaluated in one vectorised polars pass. stdnum
wrongly rejects codes whose first characters are letters (registration authorities A, N,
Y…), so those are checked against hand-computed check characters instead. The
organisation-code check (position 17, GB 11714) is a separate, lower-level rule.
"""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from stdnum.cn import uscc as stdnum_uscc

from source_check import load_pack
from source_check.formats import USCC_ALPHABET, orgcode_valid_expr, uscc_valid_expr

N_PER_KIND = 16_667  # six kinds: 100,002 codes
FORBIDDEN = "IOZSV"
DIGITS = "0123456789"
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])


def _valid_codes(n: int, seed: int) -> list[str]:
    """Random valid codes with a digit prefix (positions 1–8), built with numpy for speed."""
    gen = np.random.default_rng(seed)
    values = np.concatenate([gen.integers(0, 10, (n, 8)), gen.integers(0, 31, (n, 9))], axis=1)
    check = (31 - (values * WEIGHTS).sum(axis=1) % 31) % 31
    table = np.array(list(USCC_ALPHABET))
    chars = table[np.concatenate([values, check[:, None]], axis=1)]
    return ["".join(row) for row in chars]


def _substitute(rng: random.Random, code: str) -> str:
    i = rng.randrange(18)
    pool = DIGITS if i < 8 else USCC_ALPHABET  # keep the digit prefix stdnum insists on
    return code[:i] + rng.choice([c for c in pool if c != code[i]]) + code[i + 1:]


def _transpose(rng: random.Random, code: str) -> str:
    candidates = [i for i in range(17) if code[i] != code[i + 1]]
    i = rng.choice(candidates)
    return code[:i] + code[i + 1] + code[i] + code[i + 2:]


def _wrong_length(rng: random.Random, code: str) -> str:
    if rng.random() < 0.5:
        i = rng.randrange(18)
        return code[:i] + code[i + 1:]
    i = rng.randrange(19)
    return code[:i] + rng.choice(USCC_ALPHABET) + code[i:]


def _forbidden(rng: random.Random, code: str) -> str:
    i = rng.randrange(8, 18)
    return code[:i] + rng.choice(FORBIDDEN) + code[i + 1:]


def _lowercase(rng: random.Random, code: str) -> str:
    if not any(c.isalpha() for c in code):
        i = rng.randrange(8, 17)
        code = code[:i] + "A" + code[i + 1:]
        code = code[:17] + stdnum_uscc.calc_check_digit(code[:17])
    return code.lower()


KINDS = {
    "valid": lambda rng, code: code,
    "one character changed": _substitute,
    "adjacent transposition": _transpose,
    "wrong length": _wrong_length,
    "forbidden letter I/O/Z/S/V": _forbidden,
    "lowercase": _lowercase,
}


def _vectorised(codes: list[str | None], expr=uscc_valid_expr) -> list[bool | None]:
    return pl.DataFrame({"c": codes}, schema={"c": pl.String}).select(expr(pl.col("c"))).to_series().to_list()


def _oracle(code: str) -> bool:
    # stdnum upper-cases its input first; a code as entered must already be upper case.
    return bool(stdnum_uscc.is_valid(code)) and code == code.upper()


def test_uscc_agrees_with_stdnum_on_100000_random_codes():
    rng = random.Random(20240101)
    valid = _valid_codes(N_PER_KIND * len(KINDS), seed=20240101)
    codes: list[str] = []
    kinds: list[str] = []
    for k, (kind, corrupt) in enumerate(KINDS.items()):
        for code in valid[k * N_PER_KIND:(k + 1) * N_PER_KIND]:
            codes.append(corrupt(rng, code))
            kinds.append(kind)
    got = _vectorised(list(codes))
    expected = [_oracle(c) for c in codes]
    mismatches = [(k, c, g, e) for k, c, g, e in zip(kinds, codes, got, expected, strict=True) if g != e]
    assert not mismatches, mismatches[:10]
    by_kind = pl.DataFrame({"kind": kinds, "valid": got}).group_by("kind").agg(pl.col("valid").mean())
    share = dict(by_kind.iter_rows())
    assert share["valid"] == 1.0
    for kind in ("one character changed", "wrong length", "forbidden letter I/O/Z/S/V", "lowercase"):
        assert share[kind] == 0.0, kind  # a single substitution always changes the weighted sum mod 31
    assert share["adjacent transposition"] < 0.01  # only swaps involving the check character can survive


# Hand-computed with W = 3^(i-1) mod 31 = 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28 and
# C18 = alphabet[(31 − Σ v(c_i)·W_i mod 31) mod 31]. Worked example for N2310107MA1G00062:
# 22·1 + 2·3 + 3·9 + 1·27 + 0 + 1·26 + 0 + 7·17 + 21·20 + 10·29 + 1·25 + 16·13 + 0 + 0 + 0 + 6·30 + 2·28
# = 1406 = 45·31 + 11, so C18 = alphabet[20] = L.
LETTER_PREFIXED = [
    "N2310107MA1G00062L",  # N 农业农村部门（农村集体经济组织）
    "N3310107MA1G0001X0",
    "Y1310107MA1G00005J",  # Y 其他登记管理部门
    "A1110000MA01234XYR",  # A 中央军委改革和编制办公室
    "A9310107MA1G0000KR",
]


@pytest.mark.parametrize("code", LETTER_PREFIXED)
def test_letter_prefixed_codes_are_valid_though_stdnum_rejects_them(code):
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    assert USCC_ALPHABET[(31 - total % 31) % 31] == code[17]
    assert not stdnum_uscc.is_valid(code)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert _vectorised([code, wrong, code.lower(), None]) == [True, False, False, None]


def _orgcode_reference(code: str) -> bool:
    """GB 11714: weights 3,7,9,10,5,8,4,2 over positions 9–16, C = 11 − Σ mod 11; 10 → X, 11 → 0."""
    values = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    body = code[8:17]
    if len(body) != 9 or any(c not in values for c in body[:8]):
        return False
    c = 11 - sum(values.index(ch) * w for ch, w in zip(body[:8], [3, 7, 9, 10, 5, 8, 4, 2], strict=True)) % 11
    return body[8] == {10: "X", 11: "0"}.get(c, str(c))


def test_orgcode_check_character():
    # Public credit codes whose positions 9–17 are real organisation codes: 600037341, 192203821.
    known = ["91110000600037341L", "914403001922038216"]
    broken = [c[:16] + ("2" if c[16] != "2" else "3") + c[17] for c in known]
    assert _vectorised([*known, *broken, None], orgcode_valid_expr) == [True, True, False, False, None]
    rng = random.Random(7)
    codes = []
    for _ in range(20_000):
        body = "".join(rng.choice(DIGITS + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        check = rng.choice(DIGITS + "X") if rng.random() < 0.5 else ""
        if not check:  # a correct check character, so the X (10) and 0 (11) branches are exercised
            total = sum("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".index(ch) * w
                        for ch, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
            check = {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))
        code = "91310107" + body + check
        codes.append(code + stdnum_uscc.calc_check_digit(code))
    assert _vectorised(list(codes), orgcode_valid_expr) == [_orgcode_reference(c) for c in codes]
    assert any(c[16] == "X" and _orgcode_reference(c) for c in codes)
    assert any(c[16] == "0" and _orgcode_reference(c) for c in codes)


def test_orgcode_rule_is_lower_level_than_the_credit_code_rule():
    pack = load_pack("unit-101")
    assert pack.rule("credit_code.format").level == "error"
    assert pack.rule("101-02b").level == "info"
    assert "orgcode_valid" in (pack.rule("101-02b").check.text if pack.rule("101-02b").check else "")
