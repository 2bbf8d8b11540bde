"""Bullish / bearish: per command, the partners to surge and to cut, with their reasons (cards)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from prioritizer.report.cards import bullbear_cards, card_html, offsets_text
from prioritizer.report.export import to_csv_bytes
from prioritizer.report.view_tables import file_stem
from ui import layout, panels, runs

VIEW = "bullbear"
ss = st.session_state


def render(ctx: dict[str, Any]) -> None:
    scen = ctx["scenario"]
    out = panels.run_panel("allocation", "Run optimizer", "run_allocation_bb", ctx,
                           "Bullish = partners raised above their reference, ranked by benefit per $1 M of the "
                           "surge; bearish = funded partners cut below it, ranked by how little their last $1 M "
                           "bought (a larger cut left off the list is named under the command). "
                           "P(bullish)/P(bearish) appear after a robustness run.",
                           "Press **Run optimizer** to compute bullish and bearish partners per command.")
    if out is None:
        return
    rob = runs.current("robustness", ctx)
    robust = None if rob is None else rob["partners"]
    cards = bullbear_cards(out["bullbear"], robust)
    commands = [c for c in cards if not scen["filters"]["commands"] or c in scen["filters"]["commands"]]
    offsets = out["offsets"]
    per_row = 6 if scen["presentation"] else 3  # presentation: all six commands on one screen
    for start in range(0, len(commands), per_row):
        cols = st.columns(per_row)
        for col, command in zip(cols, commands[start:start + per_row], strict=False):
            with col.container(border=True):
                st.markdown(f'<div class="pp-card-head">{command}</div>'
                            f'<div class="pp-small">{offsets_text(offsets, command, scen["presentation"])}</div>',
                            unsafe_allow_html=True)
                for side, css, label in (("bullish", "pp-bull", "▲ Bullish"), ("bearish", "pp-bear", "▼ Bearish")):
                    items = cards[command][side]
                    parts = [f'<div class="{css}">{label}</div>']
                    if not items:
                        parts.append('<div class="pp-small">none qualifies</div>')
                    parts += [card_html(c, side, compact=scen["presentation"]) for c in items]
                    st.markdown("".join(parts), unsafe_allow_html=True)
    if not scen["presentation"]:
        stem = file_stem(scen["name"], "bullish_bearish")
        st.download_button("Download bullish/bearish CSV", data=to_csv_bytes(out["bullbear"], scen["marking"]),
                           file_name=f"{stem}.csv", mime="text/csv", key="dl_bullbear_csv", on_click="ignore")


if __name__ == "__main__":
    layout.run_page(VIEW, render)
