"""Vectorised identifiers: credit codes, 区划代码, phone numbers, and their damaged forms.

Every function takes a numpy ``Generator`` and a count and returns a polars Series; no
per-row Python.

Examples
--------
>>> import numpy as np
>>> import polars as pl
>>> rng = np.random.default_rng(0)
>>> codes = credit_codes(rng, 3)
>>> from source_check.formats import uscc_check_char
>>> all(c[-1] == uscc_check_char(c[:17]) for c in codes)
True
>>> excel_damage(pl.Series(["913101070000000012"]), "sci").to_list()
['9.13101E+17']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from ..formats import USCC_ALPHABET

__all__ = [
    "ascii_strings",
    "credit_codes",
    "division_codes",
    "excel_damage",
    "fixed_phones",
    "mobiles",
    "org_check_values",
    "uscc_check_values",
]

_ALPHA = np.frombuffer(USCC_ALPHABET.encode("ascii"), dtype=np.uint8)
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
# GB 11714 values: digits 0-9, letters A-Z as 10-35 (indexed by the USCC alphabet position)
_ORG_VALUE_OF_USCC = np.array(
    [int(ch, 36) for ch in USCC_ALPHABET], dtype=np.int64
)

_X = USCC_ALPHABET.index("X")


def ascii_strings(codes: np.ndarray) -> pl.Series:
    """A String Series from an ``(n, k)`` array of ASCII byte values.

    Examples
    --------
    >>> ascii_strings(np.array([[65, 66], [67, 68]], dtype=np.uint8)).to_list()
    ['AB', 'CD']
    """
    arr = np.ascontiguousarray(codes, dtype=np.uint8)
    width = arr.shape[1]
    return pl.Series(arr.view(f"S{width}").ravel()).cast(pl.String)


def uscc_check_values(index17: np.ndarray) -> np.ndarray:
    """Alphabet indices of the check character, for an ``(n, 17)`` array of alphabet indices."""
    total = index17.astype(np.int64) @ _USCC_WEIGHTS
    return ((31 - total % 31) % 31).astype(np.uint8)


def org_check_values(index8: np.ndarray) -> np.ndarray:
    """Alphabet indices of the GB 11714 check character for ``(n, 8)`` alphabet indices.

    The check character is ``11 - Σ v·w mod 11`` with 10 written X and 11 written 0.
    """
    total = _ORG_VALUE_OF_USCC[index8.astype(np.int64)] @ _ORG_WEIGHTS
    c = 11 - total % 11
    out = np.where(c == 11, 0, c)
    return np.where(out == 10, _X, out).astype(np.uint8)


def credit_codes(
    rng: np.random.Generator,
    n: int,
    *,
    authority: Sequence[str] = ("310107", "310000", "310106", "310104"),
    authority_p: Sequence[float] = (0.82, 0.10, 0.04, 0.04),
    new_style: float = 0.6,
) -> pl.Series:
    """Unique, valid 统一社会信用代码 of enterprises (``91`` + authority + 主体标识码 + check).

    ``new_style`` of them have a 主体标识码 of the form ``MA`` + 6 characters + its
    GB 11714 check character (codes issued since 2015); the rest carry an older 8-digit
    organisation code, so some codes are all digits (and can be damaged by Excel).
    """
    idx = np.empty((n, 17), dtype=np.uint8)
    idx[:, 0] = 9
    idx[:, 1] = 1
    auth = np.array([[int(ch) for ch in a] for a in authority], dtype=np.uint8)
    which = rng.choice(len(authority), n, p=np.asarray(authority_p) / np.sum(authority_p))
    idx[:, 2:8] = auth[which]
    idx[:, 8:17] = _bodies(rng, n, new_style)
    # make the codes unique: redraw the 主体标识码 of later duplicates until none is left
    powers = 31 ** np.arange(9, dtype=np.int64)
    while True:
        key = which.astype(np.int64) * 31**9 + idx[:, 8:17].astype(np.int64) @ powers
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        dup = order[1:][ordered[1:] == ordered[:-1]]
        if dup.size == 0:
            break
        idx[dup, 8:17] = _bodies(rng, dup.size, new_style)
    check = uscc_check_values(idx)
    full = np.concatenate([idx, check[:, None]], axis=1)
    return ascii_strings(_ALPHA[full])


def _bodies(rng: np.random.Generator, n: int, new_style: float) -> np.ndarray:
    body = np.empty((n, 9), dtype=np.uint8)
    new = rng.random(n) < new_style
    body[:, :8] = rng.integers(0, 10, (n, 8), dtype=np.uint8)
    body[new, 0] = USCC_ALPHABET.index("M")
    body[new, 1] = USCC_ALPHABET.index("A")
    body[new, 2:8] = rng.integers(0, 31, (int(new.sum()), 6), dtype=np.uint8)
    body[:, 8] = org_check_values(body[:, :8])
    return body


def division_codes(rng: np.random.Generator, towns: pl.Series, committees: int = 60) -> pl.Series:
    """12-digit 统计用区划代码: the 9-digit 街镇 code plus a 居委会 code 001–``committees``.

    Examples
    --------
    >>> division_codes(np.random.default_rng(1), pl.Series(["310107005"])).str.len_chars().to_list()
    [12]
    """
    committee = pl.Series(rng.integers(1, committees + 1, towns.len()))
    return pl.select(pl.concat_str(pl.lit(towns), pl.lit(committee).cast(pl.String).str.zfill(3))).to_series()


def _digit_strings(first: np.ndarray, rest: np.ndarray) -> pl.Series:
    digits = np.concatenate([first, rest], axis=1).astype(np.uint8) + ord("0")
    return ascii_strings(digits)


def fixed_phones(rng: np.random.Generator, n: int) -> pl.Series:
    """8-digit Shanghai fixed-line numbers (first digit 2, 3, 5 or 6)."""
    first = rng.choice(np.array([2, 3, 5, 6], dtype=np.uint8), (n, 1), p=[0.2, 0.1, 0.35, 0.35])
    return _digit_strings(first, rng.integers(0, 10, (n, 7), dtype=np.uint8))


def mobiles(rng: np.random.Generator, n: int) -> pl.Series:
    """11-digit mobile numbers matching ``^1[3-9]\\d{9}$``."""
    head = np.column_stack([np.ones(n, dtype=np.uint8), rng.integers(3, 10, n, dtype=np.uint8)])
    return _digit_strings(head, rng.integers(0, 10, (n, 9), dtype=np.uint8))


def excel_damage(codes: pl.Series, how: str) -> pl.Series:
    """How Excel shows an 18-digit code typed into a General cell (stored as a float).

    ``how``: ``"sci"`` gives ``9.13101E+17`` (the General format in a narrow column),
    ``"digits"`` keeps 15 significant digits and turns the rest into zeros
    (``913101070304010000``), ``"float"`` gives what a program writes back for such a
    float (``9.131010703040101e+17``). Codes with letters are left alone (Excel keeps
    them as text).

    Examples
    --------
    >>> s = pl.Series(["913101070304010123", "91310107MA1G00000Q"])
    >>> excel_damage(s, "sci").to_list()
    ['9.13101E+17', '91310107MA1G00000Q']
    >>> excel_damage(s, "digits").to_list()
    ['913101070304010000', '91310107MA1G00000Q']
    """
    numeric = codes.str.contains(r"^\d{18}$")
    x = codes.cast(pl.Float64, strict=False)
    if how == "sci":
        frame = pl.DataFrame({"x": x})
        exp = pl.col("x").log10().floor()
        mant = (pl.col("x") / pl.lit(10.0).pow(exp)).round(5)
        text = pl.format("{}E+{}", mant.map_batches(_fixed5, return_dtype=pl.String), exp.cast(pl.Int64))
        damaged = frame.select(text.str.replace(r"0+E", "E").str.replace(r"\.E", "E")).to_series()
    elif how == "digits":
        damaged = codes.str.slice(0, 15).str.pad_end(18, "0")
    elif how == "float":
        damaged = x.cast(pl.String)
    else:
        raise ValueError(f"unknown damage {how!r}")
    return pl.select(pl.when(pl.lit(numeric)).then(pl.lit(damaged)).otherwise(pl.lit(codes))).to_series()


def _fixed5(s: pl.Series) -> pl.Series:
    """Floats as text with exactly five decimals (vectorised through numpy)."""
    return pl.Series(np.char.mod("%.5f", s.fill_null(0.0).to_numpy()))
