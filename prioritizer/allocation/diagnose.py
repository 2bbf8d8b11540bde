"""Why an allocation is infeasible: pre-checks that name the conflicting limits with their amounts, and an
elastic re-solve (on the same HiGHS matrix) that finds the smallest relaxation when the pre-checks miss it.
Every line is a sentence a planner reads.
"""

from __future__ import annotations

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

from prioritizer.allocation.inputs import AllocationInputs
from prioritizer.allocation.model import (
    TOL,
    _resolved_locks,
    _Structure,
    _structure,
    constraint_matrix,
    new_highs,
    pass_lp,
)
from prioritizer.allocation.settings import AllocationSettings
from prioritizer.allocation.words import RELAX_NOUN, Namer, command_name, count, money, namer, possessive

_m = money


def diagnose(inputs: AllocationInputs, settings: AllocationSettings, budget_usd_m: float) -> list[str]:
    """Conflicts that make the settings infeasible for this budget, each with the amounts involved.

    Empty when no simple conflict is found (the LP may still be infeasible; :func:`allocate` then runs
    an elastic re-solve). The budget-independent part is computed once per settings and cached.
    """
    key = ("diagnosis", settings)
    if key not in inputs.cache:
        inputs.cache[key] = _static_diagnosis(inputs, settings)
    static, totals = inputs.cache[key]
    if totals is None:  # locks on ineligible mechanisms: nothing else is meaningful
        return list(static)
    budget = budget_usd_m
    out: list[str] = []
    soft = settings.soft
    if totals["locks"] > budget + TOL:
        out.append(f"The locks add up to {_m(totals['locks'])}, more than the budget of {_m(budget)}.")
    floors = totals["floors"] + totals["floor_pct"] * budget
    if floors > budget + TOL and soft.command_floor_penalty is None:
        out.append(f"The command floors add up to {_m(floors)}, more than the budget of {_m(budget)}.")
    if soft.partner_minimum_penalty is not None or soft.command_floor_penalty is not None:
        # soft floors and minimums cannot conflict with the budget; only locks and pool minimums can
        if totals["pool_mins"] > budget + TOL and soft.pool_minimum_penalty is None:
            out.append(f"The pool minimums add up to {_m(totals['pool_mins'])}, more than the budget of {_m(budget)}.")
        return out + list(static)
    if totals["minimums"] > budget + TOL and totals["locks"] <= budget + TOL:
        out.append(f"What partners must get (partner floors, cut limits and locks) adds up to "
                   f"{_m(totals['minimums'])}, more than the budget of {_m(budget)}.")
    need = totals["need"]
    if (sum(need.values()) > budget + TOL and totals["floors"] <= budget + TOL
            and totals["minimums"] <= budget + TOL):
        parts = ", ".join(f"{command_name(c)} {_m(v)}" for c, v in need.items() if v > 0)
        out.append(f"Command floors and partner minimums together need {_m(sum(need.values()))}, more than the "
                   f"budget of {_m(budget)} (per command, the larger of its floor and its partners' minimums: "
                   f"{parts}).")
    if totals["pool_mins"] > budget + TOL:
        out.append(f"The pool minimums add up to {_m(totals['pool_mins'])}, more than the budget of {_m(budget)}.")
    return out + list(static)


def _static_diagnosis(inputs: AllocationInputs,
                      settings: AllocationSettings) -> tuple[list[str], dict | None]:
    """Conflicts that do not depend on the budget, and the totals the budget is compared with."""
    p = inputs.partners
    words = namer(p, settings)
    out: list[str] = []
    locks = _resolved_locks(inputs, settings)
    for row in locks.itertuples():
        mech = settings.mechanism(row.mechanism)
        if not bool(inputs.eligible.at[row.partner_id, row.mechanism]) and row.amount_usd_m > TOL:
            ptype = p.at[row.partner_id, "partner_type"]
            if ptype not in mech.partner_types:
                why = f"{ptype} partners get no {words.mechanism(row.mechanism)}"
            else:
                gate = mech.gate
                why = (f"the human-rights gate: {gate.indicator} at or "
                       f"{'above' if gate.exclude_when == 'at_or_above' else 'below'} {gate.threshold:g}")
            out.append(f"{words.cell(f'{row.partner_id}/{row.mechanism}')} has a lock of {_m(row.amount_usd_m)}, "
                       f"but {words.partner(row.partner_id)} is not eligible for it ({why}).")
    if out:
        return out, None
    st = _structure(inputs, settings)
    b = st.bounds
    lo_a, hi_a, lk_a = b["lower_usd_m"].to_numpy(), b["upper_usd_m"].to_numpy(), b["locked_usd_m"].to_numpy()
    lo_a = np.minimum(lo_a, np.maximum(np.minimum(st.capacity, hi_a), lk_a))  # as in _structure
    soft_min = settings.soft.partner_minimum_penalty is not None
    suspect = np.nonzero((lk_a > hi_a + TOL) | (~soft_min & ((lo_a > hi_a + TOL) | (lo_a > st.capacity + TOL))))[0]
    for i in suspect:  # only partners with a problem are looked at one by one
        pid, lo, hi, lk, cap_ = b.index[i], lo_a[i], hi_a[i], lk_a[i], st.capacity[i]
        lo_rule, hi_rule = b["lower_rule"].iat[i], b["upper_rule"].iat[i]
        if lk > hi + TOL and hi_rule == "partner_cap":
            items = locks[locks["partner_id"] == pid]
            what = " and ".join(f"{_m(a)} on {words.mechanism(m)}"
                                for m, a in zip(items["mechanism"], items["amount_usd_m"], strict=True))
            out.append(f"{possessive(words.partner(pid))} {'lock' if len(items) == 1 else 'locks'} ({what}) "
                       f"{'is' if len(items) == 1 else 'are'} above its partner cap of {_m(hi)}.")
        elif lo > hi + TOL:
            out.append(f"{words.partner(pid)} must get at least {_m(lo)} ({_rule(lo_rule, pid, settings, b)}) "
                       f"but may get at most {_m(hi)} ({_rule(hi_rule, pid, settings, b)}).")
        elif lo > cap_ + TOL:
            n = int(inputs.eligible.loc[pid].sum())
            out.append(f"{words.partner(pid)} must get at least {_m(lo)} ({_rule(lo_rule, pid, settings, b)}) "
                       f"but can absorb at most {_m(cap_)} (absorption ceiling: scale {_m(p.at[pid, 'scale_usd_m'])}"
                       f" × u_max {settings.u_max:g} × {count(n, 'eligible mechanism')}).")
    lower = np.maximum(lo_a, lk_a)
    upper = np.minimum(hi_a, st.capacity)
    commands = p["command"].to_numpy()
    lock_command = locks["partner_id"].map(p["command"])
    for cl in settings.commands:
        mask = commands == cl.command
        c_locks = locks[lock_command == cl.command]
        c_lock = float(c_locks["amount_usd_m"].sum())
        if cl.cap_usd_m is not None and c_lock > cl.cap_usd_m + TOL:
            big = c_locks.sort_values("amount_usd_m").iloc[-1]
            if len(c_locks) == 1:
                out.append(f"The lock of {_m(big.amount_usd_m)} on {words.cell(f'{big.partner_id}/{big.mechanism}')}"
                           f" is above the {cl.command} cap of {_m(cl.cap_usd_m)}.")
            else:
                out.append(f"The locks in {cl.command} add up to {_m(c_lock)}, more than the {cl.command} cap of "
                           f"{_m(cl.cap_usd_m)}.")
        elif cl.cap_usd_m is not None and lower[mask].sum() > cl.cap_usd_m + TOL and not soft_min:
            out.append(f"What {cl.command} partners must get adds up to {_m(lower[mask].sum())}, more than the "
                       f"{cl.command} cap of {_m(cl.cap_usd_m)}.")
        if cl.floor_usd_m > upper[mask].sum() + TOL and settings.soft.command_floor_penalty is None:
            out.append(f"The {cl.command} floor of {_m(cl.floor_usd_m)} is more than its "
                       f"{count(int(mask.sum()), 'partner')} can take, {_m(upper[mask].sum())} (partner caps, "
                       "increase limits, absorption ceilings).")
    pool_total = 0.0
    for j, mid in enumerate(settings.mechanism_ids):
        pool = settings.pool(mid)
        m_lock = float(locks.loc[locks["mechanism"] == mid, "amount_usd_m"].sum())
        if pool.max_usd_m is not None and m_lock > pool.max_usd_m + TOL:
            out.append(f"The locks on {words.mechanism(mid)} add up to {_m(m_lock)}, more than its pool of "
                       f"{_m(pool.max_usd_m)}.")
        cap_m = float(st.seg_width[st.seg_mech == j].sum())
        if pool.min_usd_m > cap_m + TOL and settings.soft.pool_minimum_penalty is None:
            out.append(f"The {words.mechanism(mid)} pool minimum of {_m(pool.min_usd_m)} is more than eligible "
                       f"partners can absorb through it, {_m(cap_m)}.")
        pool_total += cap_m if pool.max_usd_m is None else min(pool.max_usd_m, cap_m)
    if lower.sum() > pool_total + TOL and not soft_min:
        out.append(f"What partners must get adds up to {_m(lower.sum())}, more than all pools together, "
                   f"{_m(pool_total)}.")
    totals = {
        "locks": float(locks["amount_usd_m"].sum()),
        "floors": float(sum(c.floor_usd_m for c in settings.commands)),
        "floor_pct": float(sum(c.floor_pct_of_budget for c in settings.commands)) / 100.0,
        "minimums": float(lower.sum()),
        "need": {c: max(settings.command_limit(c).floor_usd_m, float(lower[commands == c].sum()))
                 for c in dict.fromkeys(commands)},
        "pool_mins": float(sum(pl.min_usd_m for pl in settings.pools)),
    }
    return out, totals


def _rule(rule: str, pid: str, settings: AllocationSettings, b: pd.DataFrame) -> str:
    lim = settings.partner_limits(pid)
    base = b.at[pid, "baseline_usd_m"]
    if rule == "partner_floor":
        return "partner floor"
    if rule == "partner_cap":
        return "partner cap"
    if rule == "max_cut":
        return f"cut limit: at most −{lim.max_cut_pct:g} % from the baseline of {_m(base)}" \
            if lim.max_cut_pct is not None else "no cut limit"
    return (f"increase limit: at most +{lim.max_increase_pct:g} % or +{_m(lim.increase_allowance_usd_m)} over the "
            f"baseline of {_m(base)}")




_LOWER_GROUP = {"command": "command_floor", "pool": "pool_min", "lock": "lock"}
_UPPER_GROUP = {"command": "command_cap", "pool": "pool_max", "lock": "lock", "budget": "budget"}


def _subject_words(group: str, subject: str, words: Namer) -> str:
    if group == "budget":
        return "the budget"
    if group in ("command_floor", "command_cap"):
        return f"the {command_name(subject)} {'floor' if group == 'command_floor' else 'cap'}"
    if group in ("pool_min", "pool_max"):
        return f"the {words.mechanism(subject)} pool{' minimum' if group == 'pool_min' else ''}"
    if group == "lock":
        return f"the lock on {words.cell(subject)}"
    noun = {"curve_ceiling": "absorption ceiling", "partner_floor": "partner floor", "partner_cap": "partner cap",
            "max_cut": "cut limit", "max_increase": "increase limit"}.get(group, group.replace("_", " "))
    return f"{possessive(words.partner(subject))} {noun}"


def _elastic_diagnosis(st: _Structure, budget: float, words: Namer, limit: int = 8) -> list[str]:
    """Minimise the total relaxation (US$ M) over every limit on the same matrix; name what must move."""
    A = constraint_matrix(st)
    lo, hi = st.row_bounds(budget)
    group = np.array([r.group for r in st.rows], dtype=object)
    link = group == "link"
    lo_rows = np.nonzero(~link & np.isfinite(lo))[0]
    hi_rows = np.nonzero(~link & np.isfinite(hi))[0]
    link_rows = np.nonzero(link)[0]
    P = len(st.partner_ids)
    ylo_i = np.nonzero(st.y_lo > 0)[0]
    yhi_i = np.nonzero(np.isfinite(st.y_hi))[0]

    def y_rows(idx: np.ndarray) -> sparse.csr_matrix:
        return sparse.csr_matrix((np.ones(len(idx)), (np.arange(len(idx)), st.n_seg + idx)),
                                 shape=(len(idx), st.n_cols))

    body = sparse.vstack([A[link_rows], A[lo_rows], A[hi_rows], y_rows(ylo_i), y_rows(yhi_i)]).tocsr()
    n = body.shape[0]
    sign = np.concatenate([np.ones(len(link_rows) + len(lo_rows)), -np.ones(len(hi_rows)), np.ones(len(ylo_i)),
                           -np.ones(len(yhi_i))])
    full = sparse.hstack([body, sparse.diags(sign, format="csr")]).tocsr()
    row_lo = np.concatenate([np.zeros(len(link_rows)), lo[lo_rows], np.full(len(hi_rows), -np.inf), st.y_lo[ylo_i],
                             np.full(len(yhi_i), -np.inf)])
    row_hi = np.concatenate([np.zeros(len(link_rows)), np.full(len(lo_rows), np.inf), hi[hi_rows],
                             np.full(len(ylo_i), np.inf), st.y_hi[yhi_i]])
    col_lo, col_hi = st.col_bounds()
    col_hi = col_hi.copy()
    col_lo = col_lo.copy()
    col_lo[st.n_seg:st.n_seg + P], col_hi[st.n_seg:st.n_seg + P] = 0.0, np.inf
    cost = np.concatenate([np.zeros(st.n_cols), np.ones(n)])
    h = new_highs()
    pass_lp(h, full, cost, np.concatenate([col_lo, np.zeros(n)]), np.concatenate([col_hi, np.full(n, np.inf)]),
            row_lo, row_hi, maximise=False)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return [f"The solver finds no allocation that meets every limit, and the search for the smallest "
                f"relaxation ended '{h.modelStatusToString(status)}'."]
    amount = np.asarray(h.getSolution().col_value)[st.n_cols:]
    rows = [st.rows[r] for r in lo_rows]
    meta = ([("curve_ceiling", st.rows[r].subject, float(st.capacity[st.partner_ids.get_loc(st.rows[r].subject)]), +1)
             for r in link_rows]
            + [(_LOWER_GROUP.get(row.group, row.name.split(" ")[0]), row.subject, float(lo[r]), -1)
               for r, row in zip(lo_rows, rows, strict=True)]
            + [(_UPPER_GROUP.get(st.rows[r].group, st.rows[r].group), st.rows[r].subject, float(hi[r]), +1)
               for r in hi_rows]
            + [(st.bounds["lower_rule"].iat[i], str(st.partner_ids[i]), float(st.y_lo[i]), -1) for i in ylo_i]
            + [(st.bounds["upper_rule"].iat[i], str(st.partner_ids[i]), float(st.y_hi[i]), +1) for i in yhi_i])
    frame = pd.DataFrame(meta, columns=["group", "subject", "limit", "direction"])
    frame["amount"] = amount
    frame = frame[frame["amount"] > TOL * np.maximum(1.0, frame["limit"].abs())]
    if frame.empty:
        return ["The solver reports the settings infeasible, but the search for the smallest relaxation needs "
                "none (numerical trouble: try rounding the amounts)."]
    lines = []
    total = frame.groupby("group")["amount"].sum().sort_values(ascending=False)
    for grp, size in total.head(limit).items():
        items = frame[frame["group"] == grp].sort_values("amount", ascending=False)
        parts = []
        for it in items.head(3).itertuples():
            verb = "raise" if it.direction > 0 else "lower"
            parts.append(f"{verb} {_subject_words(grp, it.subject, words)} from {_m(it.limit)} to "
                         f"{_m(it.limit + it.direction * it.amount)}")
        more = f", and {len(items) - 3} more" if len(items) > 3 else ""
        lines.append(f"Relax {RELAX_NOUN.get(grp, grp)} by {_m(size)} in total: " + "; ".join(parts) + more + ".")
    return ["No simple conflict was found, but no allocation meets every limit. The smallest relaxation that "
            "gives one (elastic re-solve):"] + lines


def elastic_diagnosis(inputs: AllocationInputs, settings: AllocationSettings, budget: float) -> list[str]:
    """The elastic re-solve's sentences for these inputs, settings and budget (US$ M/yr)."""
    return _elastic_diagnosis(_structure(inputs, settings), budget, namer(inputs.partners, settings))
