"""Several machines, no shared disk: two servers with data folders of their own on one PostgreSQL.

Only the first runs the worker and trains; the second fetches each model the first activates from the
database, so a question added on the first machine is answered on the second.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from core.db import make_engine
from core.settings import Settings
from support import model_files, training
from tests.servers import MINI, add_intent, answered_within, machine, serve, serve_env


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_machines_share_one_database_and_serve_the_model_only_one_trained(
    site: Settings, tmp_path: Path, warm_cache: Path
) -> None:
    shared = {"training_data": str(MINI), "worker_interval_seconds": "1"}
    first = serve_env(machine(tmp_path / "first", warm_cache), site.database_url, **shared)
    second = serve_env(machine(tmp_path / "second", warm_cache), site.database_url, **shared)
    second_models = Path(second["FAQDESK_DATA_DIR"]) / "models"
    with serve(first, log=tmp_path / "first.log") as one:
        # The second machine never trains: it runs no worker, and its start finds the first's model.
        with serve(second, "--no-worker", log=tmp_path / "second.log") as two:
            engine = make_engine(site.database_url)
            with Session(engine) as session:
                initial = training.active_version(session)
                assert initial is not None and initial in model_files.stored_versions(session)
            assert (second_models / initial).is_dir()  # fetched from the database at start
            assert "training from the FAQ intents" not in (tmp_path / "second.log").read_text()

            add_intent(one)
            answered_within(two, 60)  # retrained on the first machine, answered by the second
            with Session(engine) as session:
                retrained = training.active_version(session)
            engine.dispose()
            assert retrained != initial and (second_models / str(retrained)).is_dir()
