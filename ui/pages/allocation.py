"""Allocation: the optimizer's recommended budget by command, mechanism and partner, and the frontier.

With a command filter the tiles total the shown partners, as the charts and tables do; the budget tile
stays the whole run's budget."""

from __future__ import annotations

from typing import Any

import streamlit as st

from prioritizer.allocation.words import relaxation_lines
from prioritizer.charts.allocation import allocation_by_command, allocation_by_mechanism, change_bars
from prioritizer.report.cards import money
from prioritizer.report.view_tables import (
    CALL_AXIS_TITLE,
    allocation_table,
    binding_table,
    filter_scores,
    mechanism_long,
    mechanism_summary,
    with_calls,
)
from ui import layout, panels, runs

VIEW = "allocation"


def filter_label(filters: dict[str, list[str]]) -> str:
    """'' without a filter, else a short name of what is shown ('EUCOM', 'EUCOM, INDOPACOM', 'filtered')."""
    commands = list(filters.get("commands") or [])
    if filters.get("regions") or filters.get("types"):
        return "filtered"
    return ", ".join(commands) if len(commands) <= 2 else layout.plural(len(commands), "command")


def tiles(res: Any, partners: Any, shown_label: str) -> None:
    """Budget, allocated, baseline, total benefit and the budget's marginal value; the money and benefit
    tiles total ``partners`` (the shown ones)."""
    suffix = f" · {shown_label}" if shown_label else ""
    m = st.columns(5)
    m[0].metric("Budget", money(res.budget_usd_m, signed=False), help="the whole run's budget (US$ M per year)")
    allocated = res.budget_usd_m - res.unspent_usd_m if not shown_label else partners["allocation_usd_m"].sum()
    m[1].metric("Allocated" + suffix, money(allocated, signed=False))
    m[2].metric("Baseline" + suffix, money(partners["baseline_usd_m"].sum(), signed=False))
    benefit = res.total_benefit if not shown_label else float(partners["benefit"].sum())
    m[3].metric("Total benefit" + suffix, f"{benefit:,.1f}", help=layout.glossary("benefit"))
    m[4].metric("Benefit of +$1M budget", f"{res.budget_dual:.3f}",
                help=f"dual value of the whole budget; solver {res.solver}. {layout.glossary('benefit')}")


def warnings(res: Any, present: bool = False) -> None:
    """Statute and relaxation warnings; on a slide (``present``) the relaxations are one line."""
    if not res.meets_statute:
        st.error("The budget is below the sum of the locks (statutory earmarks / MOUs): they are scaled pro "
                 "rata — this allocation does NOT meet the statute.")
    n = len(res.relaxations)
    if n and present:
        total = float(res.relaxations["relaxed_by_usd_m"].sum()) if "relaxed_by_usd_m" in res.relaxations else None
        amount = f" (${total:,.1f} M in all)" if total is not None else ""
        st.warning(f"{layout.plural(n, 'partner or command limit')} relaxed to give an answer{amount}; "
                   "listed in the workbook's Relaxations sheet.")
    elif n:
        names = res.partners.get("name", {})
        lines = [f"- {t}" for t in relaxation_lines(res.relaxations, names, max_shown=8,
                                                     where="the Relaxations sheet of the Excel export")]
        st.warning(f"{layout.plural(n, 'limit')} relaxed to give an answer:\n" + "\n".join(lines))


def render(ctx: dict[str, Any]) -> None:
    scen = ctx["scenario"]
    settings = runs.allocation_settings()
    c1, c2, c3 = st.columns([1.2, 1.6, 4])
    with c1:
        panels.run_button("allocation", "Run optimizer", "run_allocation", ctx)
    with c2:
        panels.run_button("frontier", "Compute efficient frontier", "run_frontier", ctx, primary=False,
                          icon=":material/show_chart:")
    c3.caption(f"Budget: {money(ctx['budget'], signed=False)} per year "
               f"({'settings default' if scen['budget_usd_m'] is None else 'sidebar'}); "
               f"settings: {settings.name}. The optimizer runs only when you press the button.")
    out = panels.show_state("allocation", ctx)
    if out is None:
        if runs.run_state("allocation", ctx) is None:
            st.info("Press **Run optimizer** to allocate the budget for this scenario.")
        panels.frontier_section(ctx)
        return
    res = out["result"]
    warnings(res, bool(scen["presentation"]))
    partners = filter_scores(res.partners, scen["filters"])
    shown_label = filter_label(scen["filters"]) if len(partners) != len(res.partners) else ""
    tiles(res, partners, shown_label)
    if shown_label:
        st.markdown(f'<div class="pp-small">Tiles, charts and tables: {layout.plural(len(partners), "partner")} '
                    f'shown ({shown_label}) of {len(res.partners)} in the run.</div>', unsafe_allow_html=True)
    labels = {mm.id: mm.label for mm in settings.mechanisms}
    left, right = st.columns(2)
    with left:
        st.markdown("**By command** (baseline vs recommended)")
        layout.show_chart(allocation_by_command(partners), scen, "Allocation by command", "alloc_command")
    with right:
        st.markdown("**By mechanism**")
        mech = mechanism_long(res.mechanisms[res.mechanisms["partner_id"].isin(partners.index)], res.partners,
                                labels)
        layout.show_chart(allocation_by_mechanism(mech), scen, "Allocation by mechanism", "alloc_mechanism")
    left, right = st.columns(2)
    with left:
        st.markdown("**Largest recommended changes** (from the reference: baseline less money the gates close, "
                    "plus locks)")
        layout.show_chart(change_bars(with_calls(partners), top_n=15, change_col="call_usd_m",
                                      presentation=bool(scen["presentation"]), x_title=CALL_AXIS_TITLE), scen,
                          "Largest recommended changes", "alloc_change")
    with right:
        panels.frontier_section(ctx)
    with st.expander("Allocation table, mechanisms and binding constraints", expanded=not scen["presentation"]):
        st.markdown("**Per partner** (US$ M per year; floor and cap are the partner's limits)")
        layout.display_table(allocation_table(partners), "alloc_table")
        st.markdown("**By mechanism** (US$ M per year)")
        shown_mech = res.mechanisms[res.mechanisms["partner_id"].isin(partners.index)]
        layout.display_table(mechanism_summary(shown_mech, labels), "alloc_mech_table")
        st.markdown("**Binding constraints** (largest marginal value first: the benefit of +$1 M on that limit)")
        layout.display_table(binding_table(res.binding), "alloc_binding")
        if res.notes or out.get("scope_notes"):
            st.caption("Notes: " + " · ".join([*out.get("scope_notes", []), *res.notes]))


if __name__ == "__main__":
    layout.run_page(VIEW, render)
