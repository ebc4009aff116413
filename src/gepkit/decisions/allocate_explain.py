"""The plain-language explanation of each amount of ``gep allocate``, in English and Chinese.

Each sentence walks through the steps of the rule for one unit with the numbers of the table
(shown to the fen), ending with the amount paid, so a reader can redo the sum by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gepkit.decisions.allocate import Component, Result, UnitInput, UnitResult

LABELS = {
    "gep": ("GEP", "GEP"),
    "provisioning": ("provisioning-service value", "物质供给价值"),
    "regulating": ("regulating-service value", "调节服务价值"),
    "cultural": ("cultural-service value", "文化服务价值"),
}
MONEY = {"gep", "provisioning", "regulating", "cultural", "gdp", "gep_constant"}


def component_labels(indicator: str, per: str | None) -> tuple[str, str]:
    """Default English and Chinese names of a share's indicator."""
    en, zh = LABELS.get(indicator, (indicator, indicator))
    if per == "km2":
        return f"{en} per km²", cjk("地均", zh)
    if per == "person":
        return f"{en} per person", cjk("人均", zh)
    return en, zh


def cjk(*parts: str) -> str:
    """Join Chinese and Latin text with a space between the two scripts only."""
    out = ""
    for part in parts:
        if out and part and (out[-1].isascii() != part[0].isascii()):
            out += " "
        out += part
    return out


def fen(value: Fraction) -> int:
    """Yuan → whole fen (0.01 yuan), half up."""
    return math.floor(value * 100 + Fraction(1, 2))


@dataclass
class Display:
    """The money figures of the table in fen, such that, per row,
    Σ components + reward + adjustment − penalty + redistributed + rounding = final."""

    units: dict[str, dict[str, int]]
    line: dict[str, int]

    @classmethod
    def of(cls, result: Result) -> Display:
        units = {}
        for code, r in result.units.items():
            figures = {name: fen(amount) for name, amount in r.amounts.items()}
            figures["reward"] = fen(r.reward)
            figures["formula"] = sum(figures.values())
            figures["adjustment"] = fen(r.limited - r.formula)
            figures["limited"] = figures["formula"] + figures["adjustment"]
            figures["penalty"] = fen(r.penalty)
            figures["redistributed"] = fen(r.redistributed)
            figures["rounding"] = r.final * 100 - (
                figures["limited"] - figures["penalty"] + figures["redistributed"]
            )
            units[code] = figures
        line = {
            "formula": fen(result.unearned_withheld + result.left_over),
            "redistributed": fen(result.penalties_withheld + result.unplaced),
        }
        line["rounding"] = result.withheld * 100 - line["formula"] - line["redistributed"]
        return cls(units=units, line=line)

    def unit(self, code: str) -> dict[str, int]:
        return self.units.get(code, _Zero())

    def withheld(self) -> dict[str, int]:
        return self.line


class _Zero(dict[str, int]):
    def __missing__(self, key: str) -> int:
        return 0


def yuan(value_fen: int) -> str:
    """12345678 fen → '123,456.78'."""
    sign = "−" if value_fen < 0 else ""
    whole, cents = divmod(abs(value_fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def signed(value_fen: int) -> str:
    return ("+" if value_fen >= 0 else "") + yuan(value_fen)


def money(value: float, zh: bool = False) -> str:
    """A value in yuan at a readable scale: 亿元, 万元 or 元."""
    if not math.isfinite(value):
        return "–"
    sign = "−" if value < 0 else ""
    value = abs(value)
    if value >= 1e8:
        return f"{sign}{value / 1e8:,.2f} 亿元"
    if value >= 1e4:
        return f"{sign}{value / 1e4:,.2f} 万元"
    return f"{sign}{value:,.2f} 元" if zh else f"{sign}{value:,.2f} yuan"


def pct(value: Fraction | float, zh: bool = False) -> str:
    """A share as a percentage with four significant digits: 0.0321429 → '3.214 %' (Chinese
    text: '3.214%')."""
    number = float(value) * 100
    sep = "" if zh else " "
    if number == 0:
        return f"0{sep}%"
    digits = max(0, 3 - math.floor(math.log10(abs(number))))
    text = f"{number:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}{sep}%"


def _indicator(comp: Component, unit: UnitInput, zh: bool) -> str:
    value, divisor = unit.raw.get(comp.name, (math.nan, None))
    x = unit.values.get(comp.name, math.nan)
    left, right = ("（", "）") if zh else (" (", ")")
    if comp.indicator in MONEY:
        if comp.per == "km2":
            shown = f"{x / 1e4:,.1f} 万元/km²{left}{money(value, zh)} ÷ {divisor:,.1f} km²{right}"
        elif comp.per == "person":
            people = "人" if zh else "people"
            shown = f"{x:,.0f} 元/人{left}{money(value, zh)} ÷ {divisor:,.0f} {people}{right}"
        else:
            shown = money(value, zh)
    elif comp.per is not None:
        per = "km²" if comp.per == "km2" else ("人" if zh else "person")
        shown = f"{x:,.6g} per {per}{left}{value:,.6g} ÷ {divisor:,.6g}{right}"
    else:
        shown = f"{x:,.6g}"
    return shown


def explain_unit(
    unit: UnitInput, r: UnitResult | None, result: Result, display: Display
) -> tuple[str, str]:
    """The English and Chinese sentences of one unit."""
    rules, inputs = result.rules, result.inputs
    step = "the yuan" if rules.quantum == 1 else "whole 万元"
    step_zh = "元" if rules.quantum == 1 else "万元"
    if r is None:
        return (
            f"Not eligible ({unit.reason}) → 0 yuan.",
            f"不参与分配（{unit.reason_zh}）→ 0 元。",
        )
    figures = display.unit(unit.code)
    en: list[str] = []
    zh: list[str] = []
    year = inputs.year
    basis = "current prices" if inputs.price_basis == "current" else f"{inputs.base_year} prices"
    basis_zh = "当年价" if inputs.price_basis == "current" else f"{inputs.base_year} 年不变价"
    for comp in inputs.components:
        share = r.shares[comp.name]
        pot = result.pots[comp.name] / result.budget
        amount = yuan(figures[comp.name])
        extra = extra_zh = ""
        if result.unearned_to_shares:
            extra = f" ({pct(comp.weight)} + its part of the reward pool nobody earned)"
            extra_zh = f"（{pct(comp.weight, True)} 加上无人获得的增量奖励资金按权重分得部分）"
        en.append(
            f"{comp.label} {year} {_indicator(comp, unit, False)}"
            + (f" at {basis}" if comp.indicator in LABELS else "")
            + f" = {pct(share)} of the eligible units' total → {pct(pot)} of the budget{extra} × "
            f"{pct(share)} = {amount} yuan"
        )
        zh.append(
            cjk(f"{year} 年", comp.label_zh)
            + f" {_indicator(comp, unit, True)}"
            + (f"（{basis_zh}）" if comp.indicator in LABELS else "")
            + f"，占参与分配单位合计的 {pct(share, True)}，预算的 {pct(pot, True)}{extra_zh} × "
            f"{pct(share, True)} = {amount} 元"
        )
    reward = rules.reward
    if reward is not None:
        measure_en = "GEP" if reward.measure == "gep" else f"{reward.measure}-service value"
        measure_zh = "GEP" if reward.measure == "gep" else LABELS[reward.measure][1]
        delta = unit.increment or 0.0
        span = f"{inputs.previous_year}→{year}"
        at = f"{inputs.base_year} prices"
        amount = yuan(figures["reward"])
        if r.reward > 0:
            if reward.mode == "pool":
                en.append(
                    f"real {measure_en} growth {span} +{money(delta)} at {at} = "
                    f"{pct(r.reward_share)} of the positive increments → reward pool "
                    f"{pct(rules.pool_weight)} of the budget × {pct(r.reward_share)} = {amount} yuan"
                )
                zh.append(
                    f"{span} 年实际 {measure_zh}（{inputs.base_year} 年不变价）增加 "
                    f"{money(delta, True)}，占正增量合计的 {pct(r.reward_share, True)}，增量奖励"
                    f"资金池（预算的 {pct(rules.pool_weight, True)}）× {pct(r.reward_share, True)}"
                    f" = {amount} 元"
                )
            else:
                scaled = (
                    f" × {float(result.reward_scale):.6g} (rewards scaled to "
                    f"{pct(reward.limit_share)} of the budget)"
                    if result.reward_scale != 1
                    else ""
                )
                scaled_zh = (
                    f" × {float(result.reward_scale):.6g}（奖励合计限于预算的 "
                    f"{pct(reward.limit_share, True)}）"
                    if result.reward_scale != 1
                    else ""
                )
                en.append(
                    f"real {measure_en} growth {span} +{money(delta)} at {at} × k "
                    f"{pct(reward.rate or 0)}{scaled} = {amount} yuan reward"
                )
                zh.append(
                    f"{span} 年实际 {measure_zh}（{inputs.base_year} 年不变价）增加 "
                    f"{money(delta, True)} × 奖励系数 {pct(reward.rate or 0, True)}{scaled_zh} = "
                    f"{amount} 元"
                )
        else:
            change = "no change" if delta == 0 else f"{money(delta)}"
            en.append(f"real {measure_en} change {span} at {at}: {change}, no growth reward")
            change_zh = "无变化" if delta == 0 else f"{money(delta, True)}"
            zh.append(
                f"{span} 年实际 {measure_zh}（{inputs.base_year} 年不变价）变化 {change_zh}，"
                "未增长，无增量奖励"
            )
    parts = len(inputs.components) + (reward is not None)
    if parts > 1:
        en.append(f"together {yuan(figures['formula'])} yuan")
        zh.append(f"合计 {yuan(figures['formula'])} 元")
    adjustment = figures["adjustment"]
    if r.limit == "floor":
        en.append(
            f"raised to the floor of {float(result.floor or 0):,.0f} yuan ({signed(adjustment)})"
        )
        zh.append(f"补足至保底额 {float(result.floor or 0):,.0f} 元（{signed(adjustment)} 元）")
    elif r.limit == "cap":
        en.append(f"cut to the cap of {float(result.cap or 0):,.0f} yuan ({signed(adjustment)})")
        zh.append(f"按封顶额 {float(result.cap or 0):,.0f} 元削减（{signed(adjustment)} 元）")
    elif r.limit == "scaled":
        factor = f"{float(result.scale):.6f}"
        en.append(
            f"× {factor}, the common factor of the units between floor and cap that makes the "
            f"floors and caps fit in the budget ({signed(adjustment)})"
        )
        zh.append(
            f"× {factor}（未触及保底、封顶的单位同比例调整，使保底与封顶在预算内平衡）"
            f"（{signed(adjustment)} 元）"
        )
    if r.penalty > 0:
        assert rules.penalty is not None
        where = (
            "withheld by the budget holder"
            if result.penalties_withheld or rules.penalty.deducted == "withheld"
            else "redistributed to the units that did not worsen"
        )
        where_zh = "由预算单位收回" if where.startswith("withheld") else "分配给未变差的单位"
        rate = pct(rules.penalty.rate)
        en.append(
            f"environmental quality worsened: −{rate} of {yuan(figures['limited'])} = "
            f"−{yuan(figures['penalty'])} yuan ({where})"
        )
        zh.append(
            f"生态环境质量变差，扣减 {pct(rules.penalty.rate, True)} × {yuan(figures['limited'])} = "
            f"−{yuan(figures['penalty'])} 元（{where_zh}）"
        )
    if figures["redistributed"]:
        en.append(
            f"+{yuan(figures['redistributed'])} yuan of the deductions of worsened units, in "
            "proportion to its amount"
        )
        zh.append(f"按比例分得变差单位的扣减资金 +{yuan(figures['redistributed'])} 元")
    if figures["rounding"]:
        en.append(f"rounded to {step} ({signed(figures['rounding'])})")
        zh.append(f"取整到{step_zh}（{signed(figures['rounding'])} 元）")
    final = f"{r.final:,}"
    return (
        "; ".join(en) + f" → {final} yuan.",
        "；".join(zh) + f" → 合计 {final} 元。",
    )


def explain_withheld(result: Result, display: Display) -> tuple[str, str]:
    """The sentences of the withheld line."""
    en: list[str] = []
    zh: list[str] = []
    inputs = result.inputs
    if result.unearned_withheld:
        en.append(
            f"reward pool not earned (no eligible unit grew {inputs.previous_year}→"
            f"{inputs.year}) {yuan(fen(result.unearned_withheld))} yuan"
        )
        zh.append(
            f"增量奖励资金池无人获得（{inputs.previous_year}→{inputs.year} 年无参与单位增长）"
            f"{yuan(fen(result.unearned_withheld))} 元"
        )
    if result.left_over:
        en.append(f"budget not distributed by any component {yuan(fen(result.left_over))} yuan")
        zh.append(f"未由任何分配项分配的预算 {yuan(fen(result.left_over))} 元")
    if result.penalties_withheld:
        n = sum(1 for r in result.units.values() if r.penalty > 0)
        en.append(
            f"deductions from {n} unit(s) whose environmental quality worsened "
            f"{yuan(fen(result.penalties_withheld))} yuan"
        )
        zh.append(f"{n} 个生态环境质量变差单位的扣减资金 {yuan(fen(result.penalties_withheld))} 元")
    if result.unplaced:
        en.append(
            f"deductions that do not fit under the caps of the others {yuan(fen(result.unplaced))} "
            "yuan"
        )
        zh.append(f"超出其他单位封顶额、无法再分配的扣减资金 {yuan(fen(result.unplaced))} 元")
    rounding = display.withheld()["rounding"]
    if rounding:
        en.append(f"rounding ({signed(rounding)})")
        zh.append(f"取整（{signed(rounding)} 元）")
    if not en:
        return "Nothing is withheld → 0 yuan.", "无留存资金 → 0 元。"
    final = f"{result.withheld:,}"
    return (
        "Kept by the budget holder: " + "; ".join(en) + f" → {final} yuan.",
        "预算单位留存：" + "；".join(zh) + f" → 合计 {final} 元。",
    )
