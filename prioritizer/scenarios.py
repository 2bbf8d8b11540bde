"""Compatibility shim: moved to prioritizer.scenario_token and prioritizer.store
(removed once every import names the new module)."""
# ruff: noqa: I001  (one import per line, as the lead's shim-removal script reads them)
from prioritizer.scenario_token import MAX_JSON_DEPTH  # noqa: F401
from prioritizer.scenario_token import MAX_TOKEN_CHARS  # noqa: F401
from prioritizer.scenario_token import TOKEN_PREFIX  # noqa: F401
from prioritizer.scenario_token import decode_scenario  # noqa: F401
from prioritizer.scenario_token import encode_scenario  # noqa: F401
from prioritizer.scenario_token import json_depth_exceeds  # noqa: F401
from prioritizer.store import APPLICATION_ID  # noqa: F401
from prioritizer.store import MAX_NAME_CHARS  # noqa: F401
from prioritizer.store import MAX_PAYLOAD_BYTES  # noqa: F401
from prioritizer.store import RESULT_KINDS  # noqa: F401
from prioritizer.store import SCHEMA_VERSION  # noqa: F401
from prioritizer.store import ScenarioStore  # noqa: F401
from prioritizer.store import clean_name  # noqa: F401
from prioritizer.store import database_url  # noqa: F401
from prioritizer.store import dumps  # noqa: F401
from prioritizer.store import name_key  # noqa: F401
