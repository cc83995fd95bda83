"""The pack language as pydantic models: one YAML file, validated key by key.

These models describe what may be *written* in one pack file. They are the single
source of the editor-facing JSON Schema (:func:`pack_json_schema`) and of the
"unknown key / did you mean" errors. The resolved, inherited pack that engines compile
is :class:`source_check.pack.model.Pack`.

Examples
--------
>>> RuleSpec.model_validate({"id": "R1", "check": "a <= b"}).check
'a <= b'
>>> "fields" in pack_json_schema()["properties"]
True
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

__all__ = [
    "BalanceSpec",
    "CodelistSpec",
    "DetectorSpec",
    "Dimension",
    "FieldSpec",
    "FieldType",
    "Level",
    "PackFile",
    "PackTestSpec",
    "RuleSpec",
    "ScoringSpec",
    "pack_json_schema",
]

Level = Literal["error", "warning", "info"]
Dimension = Literal["completeness", "validity", "consistency", "plausibility", "uniqueness"]
FieldType = Literal["str", "int", "float", "date"]
Scalar = int | float | str
#: Text that YAML may read as a number (``version: 2024.1``, ``code: 12``, ``id: 101``):
#: the loader keeps it as text, and the JSON Schema accepts both so editors agree.
Text = Annotated[str, WithJsonSchema({"type": ["string", "number"]})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _to_str(value: Any) -> Any:
    """YAML turns ``version: 2024.1`` or ``code: 12`` into numbers; keep them as text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return value


class CodelistSpec(_Strict):
    """A code list read from a CSV file next to the pack."""

    file: str = Field(description="CSV 文件路径（相对规则包）")
    key: str = Field(description="代码列名")
    label: str | None = Field(default=None, description="名称列名（可选）")


class FieldSpec(_Strict):
    """One field (指标) of the form."""

    label: str | None = Field(default=None, description="中文名称")
    code: Text | None = Field(default=None, description="指标代码")
    aliases: list[str] = Field(default_factory=list, description="其他表头写法")
    type: FieldType = "str"
    unit: str | None = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    pattern: str | None = Field(default=None, description="正则表达式（整值匹配）")
    format: str | None = Field(default=None, description="命名格式，如 uscc")
    codelist: str | None = None
    unique: bool = False
    form: Text | None = Field(default=None, description="多表规则包中，该指标来自哪张报表（forms 中的名称）")

    _coerce_code = field_validator("code", "form", mode="before")(_to_str)


class BalanceSpec(_Strict):
    """``total = sum(parts)`` within ``tolerance``; a part written ``-x`` is subtracted."""

    total: str
    parts: list[str] = Field(min_length=1)
    tolerance: float = 0.0
    null_as_zero: bool = Field(default=False, description="空值按 0 计（财务表常用）")


class RuleSpec(_Strict):
    """A row rule (or a history rule, or an override of an inherited/generated rule).

    A rule with neither ``check`` nor ``balance`` whose id names an inherited or
    generated rule only overrides that rule's attributes (level, message, ...).
    """

    id: Text
    title: str | None = None
    level: Level | None = None
    dimension: Dimension | None = None
    when: str | None = None
    check: str | None = None
    balance: BalanceSpec | None = None
    message: str | None = None
    source: str | None = None

    _coerce_id = field_validator("id", mode="before")(_to_str)


class DetectorSpec(BaseModel):
    """A statistical detector; its parameters are checked by the detector's own kind."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    kind: str
    level: Level | None = None
    title: str | None = None


class ScoringSpec(_Strict):
    """How groups are scored and findings prioritised."""

    weights: dict[str, float] = Field(default_factory=dict)
    grades: dict[str, float] = Field(default_factory=dict)
    priority_fields: list[str] = Field(default_factory=list)
    auxiliary: str | None = None
    strata: list[str] = Field(default_factory=list)
    boilerplate: list[str] | None = None
    min_explanation_length: int | None = None


class PackTestSpec(_Strict):
    """An example record (or records) and exactly which rules it must fail."""

    name: str
    row: dict[str, Any] | None = None
    rows: list[dict[str, Any]] | None = None
    previous: dict[str, Any] | list[dict[str, Any]] | None = None
    fails: list[Text] = Field(default_factory=list)

    _coerce_fails = field_validator("fails", mode="before")(
        lambda v: [_to_str(x) for x in v] if isinstance(v, list) else v
    )


class PackFile(_Strict):
    """One rule-pack YAML file."""

    pack: str = Field(description="规则包标识")
    title: str | None = None
    version: Text | None = None
    extends: list[str] = Field(default_factory=list)
    key: list[str] | None = None
    group: str | None = None
    period: str | None = None
    params: dict[str, Scalar] = Field(default_factory=dict)
    codelists: dict[str, CodelistSpec] = Field(default_factory=dict)
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(default_factory=list)
    history: list[RuleSpec] = Field(default_factory=list)
    detectors: list[DetectorSpec] = Field(default_factory=list)
    scoring: ScoringSpec | None = None
    tests: list[PackTestSpec] = Field(default_factory=list)
    disable: list[str] = Field(default_factory=list)
    na_values: list[str] | None = None
    forms: list[Text] | None = Field(
        default=None, description="多表规则包的报表名称，第一个为主表，其余按 key 左连接"
    )
    optional_forms: list[Text] | None = Field(
        default=None,
        description="可以不提供的报表（forms 中除主表外的名称）；未提供时，读取该表指标的规则不执行并注明原因",
    )

    _coerce_version = field_validator("version", mode="before")(_to_str)
    _coerce_forms = field_validator("forms", "optional_forms", mode="before")(
        lambda v: [_to_str(x) for x in v] if isinstance(v, list) else v
    )


def pack_json_schema() -> dict[str, Any]:
    """JSON Schema of one pack file, for editors (``yaml-language-server``).

    Examples
    --------
    >>> pack_json_schema()["title"]
    'source_check rule pack'
    """
    schema = PackFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "source_check rule pack"
    return schema
