"""Schemathesis over the OpenAPI schema with every check on, on SQLite and PostgreSQL: no server error,
and every answer is what the schema documents (status, content type, body, headers), for valid and
invalid inputs generated from the schema itself.

It runs the ``schemathesis`` command (as CI would run it by hand) against the app in uvicorn. The
widget's operations get a live conversation's id and token, the admin API an admin token.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes import widget_api
from bot.model import FaqModel
from core.accounts import Role
from tests.admin.conftest import api_token, make_settings
from tests.live import serving

EXAMPLES_PER_OPERATION = 30

CONFIG = """
max-failures = 20
[generation]
max-examples = {examples}
# NUL characters are refused with a 422 that the schema does not spell out on every string; their
# handling is tested field by field in test_bad_input.py.
allow-x00 = false
[phases.stateful]
enabled = false

[[operations]]
include-path-regex = "^/api/v1/admin"
headers = {{ Authorization = "Bearer ${{ADMIN_TOKEN}}" }}

[[operations]]
include-path-regex = "^/api/v1/admin/articles/[^/]+/status$"
headers = {{ Authorization = "Bearer ${{ADMIN_TOKEN}}" }}
# "publish_at must be in the future" is a rule JSON Schema cannot state: a time in the past is a 422.
checks.positive_data_acceptance.expected-statuses = ["2XX", 404, 409, 422]

[[operations]]
include-path-regex = "^/api/v1/admin/metrics$"
headers = {{ Authorization = "Bearer ${{ADMIN_TOKEN}}" }}
# A calendar day and "start not after end" are not JSON Schema either: "2026-02-30" is a 422.
checks.positive_data_acceptance.expected-statuses = ["2XX", 422]

[[operations]]
include-path-regex = "^/api/v1/conversations/"
exclude-method = "DELETE"
headers = {{ Authorization = "Bearer ${{VISITOR_TOKEN}}" }}
parameters = {{ "path.conversation_id" = "${{CONVERSATION}}" }}

[[operations]]
include-path-regex = "^/api/v1/conversations/"
include-method = "DELETE"
# A conversation of its own: deleting the one the other operations use would leave them only 404s.
headers = {{ Authorization = "Bearer ${{DOOMED_TOKEN}}" }}
parameters = {{ "path.conversation_id" = "${{DOOMED_CONVERSATION}}" }}
"""


def test_the_api_conforms_to_its_schema(
    database_url: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    _demo_model: FaqModel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(widget_api, "SSE_MAX_SECONDS", 0.5)  # each event stream ends at once, not in 5 min
    settings = make_settings(
        tmp_path_factory.mktemp("schema"),
        database_url=database_url,
        # The checks send many requests from one address; a 429 would hide what they look for.
        widget_rate_limit_ip="1000000/minute",
        widget_rate_limit_conversation="1000000/minute",
        vote_rate_limit="1000000/minute",
        widget_rate_limit_handoff="1000000/minute",
        search_rate_limit="1000000/minute",
    )
    admin_token = api_token(settings, Role.admin, "schemathesis")
    app = create_app(settings)
    with serving(app) as base:
        app.state.model = _demo_model  # the lifespan has run: serve the session's demo model
        client = TestClient(app)
        started = client.post("/api/v1/conversations", json={"locale": "en"}).json()
        doomed = client.post("/api/v1/conversations", json={"locale": "en"}).json()
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG.format(examples=EXAMPLES_PER_OPERATION))
        env = {
            **os.environ,
            "ADMIN_TOKEN": admin_token,
            "VISITOR_TOKEN": started["token"],
            "CONVERSATION": started["id"],
            "DOOMED_TOKEN": doomed["token"],
            "DOOMED_CONVERSATION": doomed["id"],
        }
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(config),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "--seed",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=1200,
        )
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
