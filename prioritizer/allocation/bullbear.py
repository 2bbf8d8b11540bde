"""Bullish (surge) and bearish (reduce) partners per combatant command, from an optimal allocation.

Changes are measured from the *reference*: the baseline on mechanisms the partner is still eligible for
and that are not locked, plus its locked amounts (money the rules force out, or a statutory lock, is not a
recommendation). Bullish: partners whose recommended allocation rises above the reference, ranked by
marginal return on investment — benefit gained per US$ 1 M of surge, with the recommended mechanism mix
held fixed (so a pure shift from FMF to education does not count as return on the surge). Bearish: funded
partners whose allocation falls below the reference, ranked by the least benefit lost per US$ 1 M cut
(their last dollars buy the least), not by the size of the baseline. ``marginal_benefit_per_usd_m`` is
the figure that ranked each call. Each row carries the return-on-investment components:
importance (priority 1–5), expected benefit, relative cost, risk, and a one-line rationale from the
partner's strongest / weakest category scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from prioritizer.allocation.inputs import AllocationInputs, piecewise_benefit
from prioritizer.allocation.solve import AllocationResult
from prioritizer.domain import CATEGORIES, COMMANDS, category_label

COLUMNS = ["command", "side", "rank", "partner_id", "name", "importance", "expected_benefit", "benefit_gain",
           "roi_per_usd_m", "marginal_benefit_per_usd_m", "relative_cost", "risk", "need", "baseline_usd_m",
           "reference_usd_m", "allocation_usd_m", "change_usd_m", "call_usd_m", "rationale"]


def min_change_usd_m(result: AllocationResult) -> float:
    """The materiality threshold (US$ M/yr) of the result's settings: smaller changes are neither bullish nor
    bearish (``bullbear.min_change_usd_m`` in weights/allocation.yaml)."""
    return float(result.settings.bullbear_min_change_usd_m) if result.settings is not None else 1.0


def top_per_command(command: np.ndarray, eligible: np.ndarray, keys: tuple[np.ndarray, ...], n: int) -> np.ndarray:
    """The bullish/bearish selection rule: the first ``n`` eligible partners of each command by ``keys``
    (np.lexsort order: the last key sorts first). Used here and by the robustness re-solves."""
    out = np.zeros(len(eligible), dtype=bool)
    idx = np.nonzero(eligible)[0]
    if not len(idx):
        return out
    order = idx[np.lexsort(tuple(k[idx] for k in keys) + (command[idx],))]
    cmd = command[order]
    pos = np.arange(len(order)) - np.searchsorted(cmd, cmd, side="left")
    out[order[pos < n]] = True
    return out


def _relative_cost(frame: pd.DataFrame, min_change: float) -> pd.Series:
    """US$ M per unit of benefit, relative to the median partner of the same command (1.0 = typical).

    Uses the recommended allocation and its benefit, or the baseline when the allocation is zero.
    """
    use_alloc = frame["allocation_usd_m"] > min_change
    cost = frame["allocation_usd_m"].where(use_alloc, frame["baseline_usd_m"])
    benefit = frame["benefit"].where(use_alloc, frame["baseline_benefit"])
    per_unit = (cost / benefit.where(benefit > 0)).where(cost > 0)
    median = per_unit.groupby(frame["command"]).transform("median")
    return per_unit / median


def _surge_gain(result: AllocationResult, inputs: AllocationInputs) -> pd.Series:
    """Benefit of the change in dollars alone: the recommended mix at the recommended total minus the
    same mix scaled to the baseline total (the baseline mix when nothing is allocated)."""
    mech = result.mechanisms
    p = result.partners
    total = mech.groupby("partner_id", sort=False)["allocation_usd_m"].transform("sum")
    base_total = mech["partner_id"].map(_reference(p))
    share = np.where(total > 0, mech["allocation_usd_m"] / total.where(total > 0, 1.0),
                     mech["baseline_usd_m"] / base_total.where(base_total > 0, 1.0))
    cells = pd.DataFrame({"partner_id": mech["partner_id"], "mechanism": mech["mechanism"],
                          "amount_usd_m": share * base_total})
    at_base = piecewise_benefit(inputs, result.settings, cells)
    gain = mech["benefit"].to_numpy() - at_base
    return pd.Series(gain, index=mech.index).groupby(mech["partner_id"].to_numpy()).sum().reindex(p.index)


def _reference(p: pd.DataFrame) -> pd.Series:
    return p["reference_usd_m"] if "reference_usd_m" in p.columns else p["baseline_usd_m"]


def recommended_change(partners: pd.DataFrame) -> pd.Series:
    """What a call moves, US$ M/yr: recommended allocation minus the reference (eligible, unlocked baseline
    plus locks); unlike ``change_usd_m`` (vs baseline) it leaves out what locks add and gates close."""
    return partners["allocation_usd_m"] - _reference(partners)


def _cut_loss(result: AllocationResult, inputs: AllocationInputs) -> pd.Series:
    """Benefit lost (effective US$ M) from the reference cells (eligible, unlocked baseline plus locks) to the
    recommended allocation, per partner."""
    mech = result.mechanisms
    locked = {(row.partner_id, row.mechanism): row.amount_usd_m
              for row in _locks_frame(result).itertuples()}
    ref_amount = np.where(mech["eligible"].astype(bool), mech["baseline_usd_m"], 0.0)
    keys = list(zip(mech["partner_id"], mech["mechanism"], strict=True))
    ref_amount = np.array([locked.get(k, a) for k, a in zip(keys, ref_amount, strict=True)], dtype=float)
    cells = pd.DataFrame({"partner_id": mech["partner_id"], "mechanism": mech["mechanism"],
                          "amount_usd_m": ref_amount})
    at_ref = piecewise_benefit(inputs, result.settings, cells)
    loss = at_ref - mech["benefit"].to_numpy()
    return pd.Series(loss, index=mech.index).groupby(mech["partner_id"].to_numpy()).sum().reindex(
        result.partners.index)


def _locks_frame(result: AllocationResult) -> pd.DataFrame:
    m = result.mechanisms
    if result.settings is None or not result.settings.locks:
        return pd.DataFrame(columns=["partner_id", "mechanism", "amount_usd_m"])
    keys = {(lk.partner_id, lk.mechanism) for lk in result.settings.locks}
    mask = [k in keys for k in zip(m["partner_id"], m["mechanism"], strict=True)]
    return m.loc[mask, ["partner_id", "mechanism", "allocation_usd_m"]].rename(
        columns={"allocation_usd_m": "amount_usd_m"})


def _drivers(row: pd.Series, strongest: bool) -> str:
    scores = {c: row.get(f"{c}_score") for c in CATEGORIES}
    scores = {c: float(v) for c, v in scores.items() if v is not None and pd.notna(v)}
    if not scores:
        return "no category scores"
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]) if strongest else (kv[1], kv[0]))[:2]
    word = "strong" if strongest else "weak"
    parts = [f"{category_label(c, in_sentence=True)} ({v:.0f})" for c, v in ordered]
    return f"{word} {' and '.join(parts)}"


def _rationale(row: pd.Series, side: str) -> str:
    importance = f"priority {row['importance']:.0f}"
    need = f"need {row['need']:.2f}, " if pd.notna(row.get("need", np.nan)) else ""
    per = row["marginal_benefit_per_usd_m"]
    if side == "bullish":
        return (f"Surge +${row['surge_usd_m']:,.1f} M: each $1 M buys {per:.3f} of benefit; "
                f"{_drivers(row, True)}; {need}{importance}.")
    limit = ""
    if row.get("lower_usd_m", np.nan) > 0 and abs(row["allocation_usd_m"] - row["lower_usd_m"]) < 1e-6:
        limit = ", held at its cut limit"
    return (f"Reduce −${-row['surge_usd_m']:,.1f} M{limit}: its last $1 M bought {per:.3f} of benefit; "
            f"{_drivers(row, False)}; {need}{importance}.")


def bullish_bearish(result: AllocationResult, inputs: AllocationInputs, n: int = 3) -> pd.DataFrame:
    """Up to ``n`` bullish and ``n`` bearish partners per command (fewer if fewer qualify).

    Money in US$ M/yr; ``call_usd_m`` is the recommended change from the reference (what the call moves),
    ``change_usd_m`` the change from the baseline (they differ by locks and eligibility gates);
    ``expected_benefit`` is the benefit at the recommended allocation (effective US$ M),
    ``benefit_gain`` its change from the baseline, ``roi_per_usd_m`` = |benefit_gain| / |change|,
    ``relative_cost`` = US$ M per unit of benefit relative to the command median (> 1 = costlier),
    ``risk`` 0–1 (higher = riskier).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive whole number (got {n!r})")
    p = result.partners.copy()
    cats = [f"{c}_score" for c in CATEGORIES if f"{c}_score" in inputs.partners.columns]
    for col in cats:
        if col not in p.columns:
            p[col] = inputs.partners[col].reindex(p.index)
    p["importance"] = p["priority"]
    p["expected_benefit"] = p["benefit"]
    p["benefit_gain"] = p["benefit"] - p["baseline_benefit"]
    min_change = min_change_usd_m(result)
    p["relative_cost"] = _relative_cost(p, min_change)
    if "need" not in p.columns:
        p["need"] = inputs.partners["need"].reindex(p.index) if "need" in inputs.partners else np.nan
    p["reference_usd_m"] = _reference(p)
    p["surge_usd_m"] = recommended_change(p)
    surge = p["surge_usd_m"]
    p["call_usd_m"] = surge  # the recommendation: recommended minus reference (change_usd_m is vs baseline)
    p["roi_per_usd_m"] = (_surge_gain(result, inputs) / surge).where(surge.abs() > min_change)
    # bearish: what the last dollar kept buys (= what the first dollar restored would buy back)
    p["benefit_lost"] = _cut_loss(result, inputs)
    p["marginal_benefit_per_usd_m"] = p["roi_per_usd_m"].where(surge > 0, result.partners["marginal_benefit_per_usd_m"])
    order = [c for c in COMMANDS if c in set(p["command"])] + sorted(set(p["command"]) - set(COMMANDS))
    code = p["command"].map({c: i for i, c in enumerate(order)}).to_numpy(int)
    pid_order = np.argsort(np.argsort(p.index.astype(str).to_numpy(), kind="stable"), kind="stable")
    per = p["marginal_benefit_per_usd_m"].to_numpy(float)
    surge = p["surge_usd_m"].to_numpy(float)
    bull = top_per_command(code, surge > min_change, (pid_order, -surge, -per), n)
    bear = top_per_command(code, (p["reference_usd_m"].to_numpy(float) > 0) & (surge < -min_change),
                           (pid_order, surge, per), n)
    rows = []
    for command in order:
        members = p["command"] == command
        for side, chosen in (("bullish", bull), ("bearish", bear)):
            picked = p[members.to_numpy() & chosen]
            picked = picked.assign(_pid=picked.index).sort_values(
                ["marginal_benefit_per_usd_m", "surge_usd_m", "_pid"],
                ascending=[side == "bearish", side == "bearish", True])
            for rank, (pid, row) in enumerate(picked.iterrows(), start=1):
                rows.append({"command": command, "side": side, "rank": rank, "partner_id": pid,
                             **{c: row[c] for c in COLUMNS[4:-1]}, "rationale": _rationale(row, side)})
    return pd.DataFrame(rows, columns=COLUMNS)


def shortfall(table: pd.DataFrame, result: AllocationResult, n: int = 3) -> pd.DataFrame:
    """Why a command lists fewer than ``n`` bullish or bearish partners: one line per (command, side)."""
    rows = []
    order = [c for c in COMMANDS if c in set(result.partners["command"])]
    for command in order:
        for side, what in (("bullish", ("receives a surge above its reference",
                                        "receive a surge above their reference")),
                           ("bearish", ("is cut below its reference", "are cut below their reference"))):
            got = table[(table["command"] == command) & (table["side"] == side)]
            if len(got) >= n:
                continue
            names = ", ".join(got["name"].astype(str))
            if len(got):
                text = f"only {len(got)} {command} partner{'s' if len(got) > 1 else ''} {what[len(got) > 1]}: {names}"
            elif side == "bearish":
                text = (f"no {command} partner is cut below its reference (eligible, unlocked baseline plus locks): "
                        "the budget covers every funded partner")
            else:
                text = f"no {command} partner receives a surge: the budget or the command's limits leave none"
            rows.append({"command": command, "side": side, "text": text})
    return pd.DataFrame(rows, columns=["command", "side", "text"])


UNLISTED_CUT_COLUMNS = ["command", "unlisted_cut_partner_id", "unlisted_cut_name", "unlisted_cut_usd_m"]


def _largest_unlisted_cut(table: pd.DataFrame, partners: pd.DataFrame) -> pd.DataFrame:
    """Per command, the largest recommended cut (US$ M/yr, negative, from the reference) of a partner that is
    not on the bearish list, when it is larger than the smallest listed cut (or there is no list): the list
    ranks by benefit lost per $1 M, so a large cut of a partner whose last dollars still buy something can sit
    below it, and a briefer must see it. Commands with none are left out."""
    call = recommended_change(partners)
    listed = table[table["side"] == "bearish"]
    rows = []
    for command, members in partners.groupby("command"):
        mine = listed[listed["command"] == command]
        smallest = float(mine["call_usd_m"].max()) if len(mine) else 0.0
        others = call.reindex(members.index).drop(mine["partner_id"], errors="ignore")
        others = others[others < min(smallest, 0.0)]
        if len(others):
            pid = others.idxmin()
            name = members.at[pid, "name"] if "name" in members.columns else pid
            rows.append({"command": command, "unlisted_cut_partner_id": pid, "unlisted_cut_name": str(name),
                         "unlisted_cut_usd_m": float(others[pid])})
    return pd.DataFrame(rows, columns=UNLISTED_CUT_COLUMNS)


def unlisted_cut_text(row: Mapping[str, Any], money: Callable[[float], str]) -> str:
    """``larger cut not on the list: Ukraine −$299.0 M`` for an offsets row (empty when there is none);
    ``money`` formats a signed US$ M amount."""
    amount = row.get("unlisted_cut_usd_m")
    if amount is None or pd.isna(amount):
        return ""
    return f"larger cut not on the list: {row.get('unlisted_cut_name')} {money(float(amount))}"


def offsets(table: pd.DataFrame, result: AllocationResult | None = None) -> pd.DataFrame:
    """Per command: bullish surge vs the bearish cuts that offset it (US$ M/yr; net = surge − offsets), both
    measured from the reference as the calls are.

    With ``result``, also the command-wide totals over every partner: ``all_increases_usd_m``,
    ``all_cuts_usd_m`` and ``command_change_usd_m`` (the listed partners are only the top of each side), and
    the largest cut not on the bearish list (``unlisted_cut_*``, see :func:`_largest_unlisted_cut`).
    """
    commands = list(dict.fromkeys(table["command"]))
    if result is not None:
        commands += [c for c in dict.fromkeys(result.partners["command"]) if c not in commands]
    surge = recommended_change(table)  # the change the calls are ranked on
    bull = surge[table["side"] == "bullish"].groupby(table["command"]).sum()
    bear = -surge[table["side"] == "bearish"].groupby(table["command"]).sum()
    frame = pd.DataFrame({
        "surge_usd_m": bull.reindex(commands).fillna(0.0),
        "offsets_usd_m": bear.reindex(commands).fillna(0.0),
    })
    frame["net_usd_m"] = frame["surge_usd_m"] - frame["offsets_usd_m"]
    frame["offset_share_pct"] = (100.0 * frame["offsets_usd_m"] / frame["surge_usd_m"]).where(
        frame["surge_usd_m"] > 0)
    if result is not None:
        change = result.partners["change_usd_m"]
        by = result.partners["command"]
        frame["all_increases_usd_m"] = change.clip(lower=0).groupby(by).sum().reindex(commands).fillna(0.0)
        frame["all_cuts_usd_m"] = (-change.clip(upper=0)).groupby(by).sum().reindex(commands).fillna(0.0)
        frame["command_change_usd_m"] = frame["all_increases_usd_m"] - frame["all_cuts_usd_m"]
        unlisted = _largest_unlisted_cut(table, result.partners)
        frame = frame.join(unlisted.set_index("command"), how="left")
    frame.index.name = "command"
    return frame.reset_index()
