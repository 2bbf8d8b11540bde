"""Compatibility shim: moved to prioritizer.cli.brief, prioritizer.cli.template and prioritizer.pipeline
(removed once every import names the new module)."""
# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
from prioritizer.cli.brief import cmd_brief  # noqa: F401
from prioritizer.cli.template import TEMPLATES  # noqa: F401
from prioritizer.cli.template import cmd_template  # noqa: F401
from prioritizer.cli.template import template_frame  # noqa: F401
from prioritizer.pipeline import brief_inputs  # noqa: F401
from prioritizer.pipeline import brief_for_commands as scope  # noqa: F401
