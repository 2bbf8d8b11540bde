"""One page per view, run by ``st.navigation`` in app.py (each file's ``render(ctx)`` draws the view)."""
