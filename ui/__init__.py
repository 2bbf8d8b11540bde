"""Streamlit-only code of the app: the shell (state, layout, sidebar, runs) and one page per view in ui/pages/."""
