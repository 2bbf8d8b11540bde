"""Compatibility shim: moved to prioritizer.allocation.value (removed once every import names the new module)."""
# ruff: noqa: I001
from prioritizer.allocation.inputs import AllocationInputs  # noqa: F401
from prioritizer.allocation.inputs import build_inputs  # noqa: F401
from prioritizer.allocation.inputs import piecewise_benefit  # noqa: F401
from prioritizer.allocation.value import benefit_curve  # noqa: F401
from prioritizer.allocation.value import curve_breakpoints  # noqa: F401
from prioritizer.allocation.value import grant_need  # noqa: F401
from prioritizer.allocation.value import need_terms  # noqa: F401
from prioritizer.allocation.value import partner_value  # noqa: F401
