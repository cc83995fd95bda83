"""The resolved pack: what engines compile.

A :class:`Pack` is a pack file with everything it extends merged in, field constraints
turned into ordinary rules, every expression parsed and allow-listed, and code lists
read. It knows nothing of polars; engines compile it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..errors import Position
from ..expr.parse import ParsedExpr, Scope
from ..expr.template import Template
from .schema import BalanceSpec, DetectorSpec, FieldSpec, ScoringSpec

__all__ = ["DEFAULT_NA_VALUES", "DIMENSION_ZH", "LEVEL_ZH", "Codelist", "Pack", "PackTest", "Rule"]

RuleKind = Literal["field", "row", "history"]

LEVEL_ZH = {"error": "强制", "warning": "核实", "info": "提示"}
DIMENSION_ZH = {
    "completeness": "完整性",
    "validity": "有效性",
    "consistency": "一致性",
    "plausibility": "合理性",
    "uniqueness": "唯一性",
}
DEFAULT_NA_VALUES = ("空", "-", "—", "－", "/", "无", "N/A", "#N/A")


@dataclass(frozen=True)
class Rule:
    """One rule, whatever its origin (a field constraint, a row rule, a history rule).

    ``check`` is ``None`` only for balance rules and for ``<field>.type`` rules, which
    engines evaluate from the raw and typed columns.
    """

    id: str
    title: str
    level: str
    dimension: str
    kind: RuleKind
    check: ParsedExpr | None = None
    when: ParsedExpr | None = None
    balance: BalanceSpec | None = None
    message: Template | None = None
    source: str | None = None
    position: Position | None = None
    field: str | None = None
    constraint: str | None = None

    @property
    def inputs(self) -> frozenset[str]:
        """Fields whose null makes the rule not applicable."""
        if self.balance is not None:
            if self.balance.null_as_zero:
                return frozenset({self.balance.total})
            return frozenset({self.balance.total, *(p.lstrip("-") for p in self.balance.parts)})
        if self.check is None:
            return frozenset({self.field}) if self.field else frozenset()
        return self.check.columns

    @property
    def prev_inputs(self) -> frozenset[str]:
        return self.check.prev_fields if self.check is not None else frozenset()

    @property
    def fields_read(self) -> list[str]:
        """Every field the rule reads, in a stable order (for findings' ``values``)."""
        names: list[str] = []
        if self.balance is not None:
            names = [self.balance.total, *(p.lstrip("-") for p in self.balance.parts)]
        else:
            for parsed in (self.check, self.when):
                if parsed is not None:
                    names.extend(sorted(parsed.all_fields))
            if self.field and not names:
                names = [self.field]
        return list(dict.fromkeys(names))

    @property
    def prev_fields_read(self) -> list[str]:
        names: set[str] = set()
        for parsed in (self.check, self.when):
            if parsed is not None:
                names |= parsed.prev_fields | parsed.prev_null_aware
        return sorted(names)


@dataclass(frozen=True)
class Codelist:
    """A code list: its codes in file order and, if the file has one, each code's name."""

    name: str
    file: str
    key: str
    codes: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PackTest:
    """A pack's own example: records, optional previous records, rules that must fail."""

    name: str
    rows: list[dict[str, object]]
    previous: list[dict[str, object]] | None
    fails: list[str]
    position: Position | None = None


@dataclass
class Pack:
    """A loaded, resolved rule pack."""

    id: str
    title: str
    version: str
    key: list[str]
    group: str | None
    period: str | None
    params: dict[str, int | float | str]
    codelists: dict[str, Codelist]
    fields: dict[str, FieldSpec]
    rules: list[Rule]
    history: list[Rule]
    detectors: list[DetectorSpec]
    scoring: ScoringSpec
    tests: list[PackTest]
    na_values: tuple[str, ...] = DEFAULT_NA_VALUES
    forms: list[str] = field(default_factory=list)
    #: forms of a multi-form pack that may be left out (their rules are then skipped)
    optional_forms: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sha256: str = ""
    path: str = ""

    @property
    def all_rules(self) -> list[Rule]:
        """Field, row and history rules, in evaluation order."""
        return [*self.rules, *self.history]

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (``KeyError`` if none)."""
        for r in self.all_rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def scope(self, *, allow_prev: bool = False) -> Scope:
        """What expressions of this pack may name."""
        return Scope(
            fields={k: f.type for k, f in self.fields.items()},
            params=dict(self.params),
            codelists=frozenset(self.codelists),
            allow_prev=allow_prev,
        )

    def form_fields(self, form: str) -> list[str]:
        """Fields read from one form of a multi-form pack (key fields come from every form)."""
        base = self.forms[0] if self.forms else None
        return [
            fid for fid, spec in self.fields.items()
            if fid not in self.key and (spec.form == form or (spec.form is None and form == base))
        ]

    def label(self, field_id: str) -> str:
        """The Chinese label of a field, or its id."""
        spec = self.fields.get(field_id)
        return spec.label if spec is not None and spec.label else field_id

    def group_name(self, code: object) -> str | None:
        """The name of a group code, from the group field's code list, if it has one."""
        if self.group is None:
            return None
        spec = self.fields.get(self.group)
        if spec is None or spec.codelist is None or spec.codelist not in self.codelists:
            return None
        return self.codelists[spec.codelist].labels.get(str(code))
