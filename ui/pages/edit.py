"""Edit data: priorities and funding in a table, file uploads, non-state partners, construct overrides."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from prioritizer import domain, scenario
from prioritizer.data.edits import (
    add_override,
    edits_from_table,
    new_non_state_partner,
    parse_funding_upload,
    parse_partners_upload,
    parse_priority_upload,
    priority_table,
)
from prioritizer.errors import InputError
from prioritizer.report.view_tables import partner_choices
from ui import layout, runs, state

VIEW = "edit"
ss = st.session_state


def _upload_callback(role: str) -> None:
    """Validate an uploaded file once, when it changes; messages persist in upload_msgs."""
    up = ss.get(f"up_{role}")
    if up is None:
        return
    data, name = up.getvalue(), up.name
    base = runs.base_dataset(ss["priority_basis"], ss["uploads"].get("partners"))
    try:
        if role == "partners":
            n = parse_partners_upload(data, name, base.dictionary)
            ss["uploads"]["partners"] = (name, data)
            ss["edits"]["data_files"] = {**ss["edits"].get("data_files", {}), "partners": name}
            msg = f"{name}: {n} partners loaded and validated; scores now use this file."
        elif role == "priority":
            edits = parse_priority_upload(data, name, base)
            ss["edits"]["priority_edits"] = {**ss["edits"]["priority_edits"], **edits}
            msg = f"{name}: priorities for {len(edits)} partners applied."
        else:
            edits = parse_funding_upload(data, name, base)
            ss["edits"]["funding_edits"] = {**ss["edits"]["funding_edits"], **edits}
            msg = f"{name}: baseline funding for {len(edits)} partners applied."
        ss["upload_msgs"][role] = ("success", msg)
        ss["editor_version"] = ss.get("editor_version", 0) + 1
    except InputError as exc:
        ss["upload_msgs"][role] = ("error", f"Upload rejected — {exc}. Nothing was changed.")


def render(ctx: dict[str, Any]) -> None:
    dataset, scen = ctx["dataset"], ctx["scenario"]
    tabs = st.tabs(["Priorities & funding", "Upload files", "Non-state partner", "Overrides"])
    with tabs[0]:
        st.caption("Edit US priority (1 low – 5 critical) and baseline funding (US$ M per year). Edits belong to "
                   "this scenario, travel in its link and are saved with it.")
        base = ctx["base"]
        table = priority_table(dataset, ctx["result"].scores)
        edited = st.data_editor(
            table, hide_index=True, key=f"priority_editor_{ss.get('editor_version', 0)}",
            disabled=["partner_id", "name", "command", "propensity", "priority_basis"], height=420,
            column_config={
                "priority": st.column_config.NumberColumn("Priority", min_value=1, max_value=5, step=1),
                "baseline_usd_m": st.column_config.NumberColumn("Baseline US$ M", min_value=0.0, format="%.2f"),
                "propensity": st.column_config.NumberColumn("Propensity", format="%.0f")})
        prio_base = base.priority.reindex(dataset.partners.index)
        for rec in scen["non_state"]:
            prio_base[rec["partner_id"]] = float(rec.get("priority") or 3.0)
        fund_base = base.funding["baseline_usd_m"].reindex(dataset.partners.index)
        for rec in scen["non_state"]:
            fund_base[rec["partner_id"]] = float(rec.get("baseline_usd_m") or 0.0)
        prio_edits = edits_from_table(edited, prio_base, "priority")
        fund_edits = edits_from_table(edited, fund_base.fillna(0.0), "baseline_usd_m")
        if prio_edits != ss["edits"]["priority_edits"] or fund_edits != ss["edits"]["funding_edits"]:
            ss["edits"]["priority_edits"], ss["edits"]["funding_edits"] = prio_edits, fund_edits
            st.rerun()
        st.caption(f"{len(prio_edits)} priority edits · {len(fund_edits)} funding edits in this scenario.")
    with tabs[1]:
        st.caption("CSV or XLSX. Partners: same columns as sample_data/partners.csv. Priority: partner_id, priority "
                   "(1–5), optional basis. Funding: partner_id, baseline_usd_m. Problems are reported with the "
                   "file, row and column; nothing changes until a file passes every check.")
        for role, label in (("partners", "Partners file (CSV or XLSX)"), ("priority", "Priority file (CSV or XLSX)"),
                            ("funding", "Baseline funding file (CSV or XLSX)")):
            st.file_uploader(label, type=["csv", "xlsx"], key=f"up_{role}", on_change=_upload_callback,
                             args=(role,))
            msg = ss["upload_msgs"].get(role)
            if msg:
                getattr(st, msg[0])(msg[1])
        if ss["uploads"].get("partners") and st.button("Go back to the sample partners file", key="drop_partners"):
            ss["uploads"].pop("partners", None)
            ss["edits"]["data_files"] = {k: v for k, v in ss["edits"].get("data_files", {}).items() if k != "partners"}
            st.rerun()
    with tabs[2]:
        st.caption("A non-state partner (armed group, sub-state force) has no country indicators: rate each construct "
                   "0–100 and explain why. Ratings become overrides, shown and exported with the rationale.")
        with st.form("ns_form"):
            c1, c2 = st.columns(2)
            ns_id = c1.text_input("Partner id (lower-case slug)", key="ns_id", placeholder="e.g. kurdish-peshmerga")
            ns_name = c2.text_input("Name", key="ns_name")
            ns_command = c1.selectbox("Command", list(domain.COMMANDS), key="ns_command")
            ns_region = c2.text_input("Region", key="ns_region")
            ns_priority = c1.number_input("Priority (1–5)", 1, 5, 3, key="ns_priority")
            ns_base = c2.number_input("Baseline funding (US$ M/yr)", 0.0, value=0.0, key="ns_baseline")
            ratings = {}
            cols = st.columns(3)
            for i, con in enumerate(dataset.constructs.index):
                ratings[con] = cols[i % 3].slider(str(dataset.constructs.at[con, "construct_label"]), 0, 100, 50,
                                                  key=f"ns_{con}")
            rationale = st.text_area("Rationale for the ratings", key="ns_rationale")
            submitted = st.form_submit_button("Add non-state partner")
        if submitted:
            try:
                partner, over = new_non_state_partner(ns_id, ns_name, ns_command, ns_region, ratings, rationale,
                                                        dataset.partners.index, dataset.constructs.index,
                                                        ns_priority, ns_base)
                ss["edits"]["non_state"] = [*ss["edits"]["non_state"], partner]
                ss["edits"]["overrides"] = [*ss["edits"]["overrides"], *over]
                state.flash("success", f"Added non-state partner {partner['name']} ({partner['partner_id']}).")
                st.rerun()
            except InputError as exc:
                st.error(f"Not added — {exc}")
        if scen["non_state"]:
            st.dataframe(pd.DataFrame(scen["non_state"]), hide_index=True, key="ns_table")
    with tabs[3]:
        st.caption("Override a construct score (0–100) for any partner, with a written rationale.")
        scores = ctx["result"].scores
        with st.form("ov_form"):
            c1, c2 = st.columns(2)
            ov_pid = c1.selectbox("Partner", partner_choices(scores), key="ov_partner",
                                  format_func=lambda p: f"{scores.at[p, 'name']} ({p})")
            ov_con = c2.selectbox("Construct", list(dataset.constructs.index), key="ov_construct",
                                  format_func=lambda c: str(dataset.constructs.at[c, "construct_label"]))
            ov_val = st.slider("Override value (0–100)", 0, 100, 50, key="ov_value")
            ov_why = st.text_area("Rationale", key="ov_rationale")
            ov_submit = st.form_submit_button("Add override")
        if ov_submit:
            try:
                ss["edits"]["overrides"] = add_override(scen, ov_pid, ov_con, ov_val, ov_why,
                                                          dataset.partners.index, dataset.constructs.index)
                state.flash("success", f"Override added for {ov_pid} / {ov_con}.")
                st.rerun()
            except InputError as exc:
                st.error(f"Not added — {exc}")
        over = scenario.overrides_frame(scen)
        if not over.empty:
            st.dataframe(over, hide_index=True, key="ov_table")
    st.divider()
    if st.button("Discard all data edits", key="reset_edits"):
        ss["edits"] = {k: scenario.default_scenario()[k] for k in state.EDIT_KEYS}
        ss["uploads"].pop("partners", None)
        ss["editor_version"] = ss.get("editor_version", 0) + 1
        st.rerun()


if __name__ == "__main__":
    layout.run_page(VIEW, render)
