"""Scoring stage: weight profiles and matching settings, normalisation, the propensity score, matching
against priority and funding (quadrants, mismatch flags, peers), and command scopes."""
