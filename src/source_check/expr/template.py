"""Chinese message templates: literal text with ``{expr}`` placeholders.

``{`` and ``}`` are written ``{{`` and ``}}``. Each placeholder is an expression of
the same checked SQL subset as ``check``, so it is parsed and allow-listed too; the
engine renders all rows at once in polars.

Examples
--------
>>> from source_check.expr.parse import Scope
>>> t = parse_template("女性{emp_female}人，大于{emp_end}人", Scope({"emp_female": "int", "emp_end": "int"}))
>>> [p if isinstance(p, str) else p.text for p in t.pieces]
['女性', 'emp_female', '人，大于', 'emp_end', '人']
"""

from __future__ import annotations

from dataclasses import dataclass

from .parse import ExpressionError, ParsedExpr, Scope, parse_expression

__all__ = ["Template", "parse_template"]


@dataclass(frozen=True)
class Template:
    """A parsed message template; pieces alternate literal text and expressions."""

    text: str
    pieces: tuple[str | ParsedExpr, ...]

    @property
    def expressions(self) -> list[ParsedExpr]:
        return [p for p in self.pieces if isinstance(p, ParsedExpr)]


def parse_template(text: str, scope: Scope) -> Template:
    """Split ``text`` into literals and parsed placeholder expressions.

    Raises :class:`ExpressionError` with the offset of the bad placeholder.
    """
    pieces: list[str | ParsedExpr] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{" and i + 1 < n and text[i + 1] == "{":
            buf.append("{")
            i += 2
            continue
        if ch == "}" and i + 1 < n and text[i + 1] == "}":
            buf.append("}")
            i += 2
            continue
        if ch == "}":
            raise ExpressionError("消息模板中有多余的 '}'（字面量请写 '}}'）", i)
        if ch == "{":
            end = text.find("}", i + 1)
            if end < 0:
                raise ExpressionError("消息模板中的 '{' 没有闭合", i)
            inner = text[i + 1 : end]
            try:
                parsed = parse_expression(inner, scope)
            except ExpressionError as exc:
                raise ExpressionError(exc.message, i + 1 + exc.offset, exc.hint) from None
            if buf:
                pieces.append("".join(buf))
                buf = []
            pieces.append(parsed)
            i = end + 1
            continue
        buf.append(ch)
        i += 1
    if buf:
        pieces.append("".join(buf))
    return Template(text, tuple(pieces))
