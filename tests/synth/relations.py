"""FORMS.md's audit relations written directly in polars: an oracle for the generator
that does not depend on which packs have been written yet.

Each relation is a boolean expression over one generated form (or the join of two on
``credit_code``) that must hold for every clean unit; bands are the table's, so a
clean unit must pass the warnings too.
"""

from __future__ import annotations

import polars as pl

c = pl.col
M = 12  # months in the default period 202412

VARIANT_ROWS: dict[str, pl.Expr] = {
    "103-01": (c("total_assets") - c("total_liabilities") - c("owners_equity")).abs() <= 1,
    "103-02": c("total_assets") >= c("current_assets"),
    "103-03": c("revenue") >= c("main_revenue"),
    "103-04": c("inventory") >= c("finished_goods"),
    "103-05": (c("fixed_assets_orig") >= c("accum_depr")) & (c("accum_depr") >= c("depr_current")),
    "103-06": (
        c("revenue") - c("cost") - c("taxes_surcharges") - c("selling_exp") - c("admin_exp") - c("rd_exp")
        - c("fin_exp") + c("other_income") + c("invest_income") + c("hedge_income") + c("fair_value_income")
        + c("credit_impair") + c("asset_impair") + c("disposal_income") - c("op_profit")
    ).abs() <= 1,
    "103-07": (c("op_profit") + c("nonop_income") - c("nonop_exp") - c("total_profit")).abs() <= 1,
    "103-08": c("total_liabilities") <= c("total_assets"),
    "103-09": ~((c("revenue") > 0) & (c("cost") == 0)),
    "103-10": ((c("revenue") - c("cost")) / c("revenue")).is_between(-0.2, 0.8),
    "103-11": (c("vat_payable") / c("revenue")).is_between(0, 0.13),
    "cost>=main_cost": c("cost") >= c("main_cost"),
    "current>=receivables+inventory": c("current_assets") >= c("receivables") + c("inventory"),
    "nonneg": pl.all_horizontal([
        c(f) >= 0 for f in ("total_assets", "current_assets", "receivables", "inventory", "finished_goods",
                            "fixed_assets_orig", "accum_depr", "depr_current", "total_liabilities", "revenue",
                            "main_revenue", "cost", "main_cost", "taxes_surcharges", "selling_exp", "admin_exp",
                            "rd_exp", "interest_exp", "interest_income", "nonop_income", "nonop_exp",
                            "vat_payable", "payroll_payable", "taxes_paid")
    ]),
    "losses<=0": (c("credit_impair") <= 0) & (c("asset_impair") <= 0),
}

FORM_ROWS: dict[str, dict[str, pl.Expr]] = {
    "101": {
        "101-02": c("credit_code").str.contains(r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
        "101-03": c("division_code").str.contains(r"^310107\d{6}$"),
        "101-04": c("division_code").str.slice(0, 9) == c("town_code"),
        "101-05": c("industry_code").str.contains(r"^\d{4}$"),
        "101-07": c("org_type") == "10",
        "101-08": c("mobile").str.contains(r"^1[3-9]\d{9}$") & c("phone").str.contains(r"^\d{8}$"),
        "101-09": c("open_date") <= pl.date(2024, 12, 31),
        "101-10": ~(c("op_status").is_in(["2", "4", "5", "6", "7"]) & (c("revenue") > 0)),
        "committee": c("division_code").str.slice(9, 3).cast(pl.Int64).is_between(1, 199),
    },
    "102": {
        "102-01": c("emp_end") >= c("emp_female"),
        "102-02": c("emp_end") >= c("emp_dispatch"),
        "102-03": (c("emp_avg") > 0) == (c("wages") > 0),
        "102-04": c("wages") * 1000 / c("emp_avg") / M >= 2690,
        "102-05": c("wages") * 1000 / c("emp_avg") / M <= 5 * 12307,
        "102-06": (c("emp_end") / c("emp_avg")).is_between(0.5, 2),
    },
    "B204-1": {
        "B204-01": c("export_value") <= c("sales_value"),
        "B204-02": (c("sales_value") / c("output_value")).is_between(0.7, 1.3),
        "electricity>0": c("electricity") > 0,
    },
    "E204": {
        "E204-01": (c("sales_total") - c("wholesale") - c("retail")).abs() <= 1,
        "E204-02": c("retail") >= c("online_retail"),
        "nonneg": (c("wholesale") >= 0) & (c("retail") >= 0) & (c("online_retail") >= 0) & (c("stock_end") >= 0),
    },
    "census5": {
        "emp": c("emp_end") >= c("emp_female"),
        "division": c("reg_division_code").str.contains(r"^310107\d{6}$"),
    },
}

CROSS: dict[str, tuple[str, str, pl.Expr]] = {
    "X-01": ("103", "102", (c("payroll_payable") / c("wages")).is_between(0.9, 1.8)),
    "X-02": ("B204-1", "B103", (c("output_value") / c("revenue")).is_between(0.7, 1.3)),
    "X-03": ("E204", "E103", (c("sales_total") / c("revenue")).is_between(0.8, 1.5)),
}

HISTORY: dict[str, tuple[str, str]] = {
    # relation id: (form, field) whose current/previous ratio must stay within ±50%
    "103-12": ("103", "revenue"),
    "H102-01": ("102", "wages"),
}
