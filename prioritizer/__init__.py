"""Partner Prioritizer: propensity scoring, matching, allocation and robustness for security cooperation.

Data flows one way: load → validate → normalise → score → match → allocate → report.
Everything here is importable without Streamlit.
"""

__version__ = "0.1.0"
