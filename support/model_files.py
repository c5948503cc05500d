"""Trained models in the database, so app servers on machines without a shared disk serve the same version.

Whoever trains a version (the worker, ``faqdesk train``, a first ``faqdesk serve``) publishes its files
when it activates it, in the transaction that names it active: no process can see an active version
whose files are missing. That is on PostgreSQL, the database several machines share; with SQLite every
process runs on the machine whose model folder holds the version already. Every app process keeps
its own model folder as a cache and fetches a version it does not have (``ensure_local``) before
loading it. Rows are content-addressed by version (a hash of data, configuration and encoder), so a
version is written once and never changes; the encoder's ONNX export is not stored, each machine
builds it from the packaged model.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, cast

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session, col, select

from bot import store
from core.db import is_postgres
from support.models import ModelFile, utcnow

log = logging.getLogger(__name__)
# Versions kept in the database (the active one always): enough to switch back to a recent model by
# activating it, while ~10 MB per version does not pile up with every retrain.
KEEP_VERSIONS = 10


class CorruptModelFile(RuntimeError):
    """A stored version whose content does not match its checksum (never written to the model folder)."""


def publish(session: Session, *, model_dir: Path, version: str) -> bool:
    """Store a version saved in ``model_dir`` unless the database has it; returns whether it was written.

    Only on PostgreSQL: a SQLite database is one machine's, whose processes share the model folder
    beside it, and ~10 MB blobs there only grew the file, its backups and each connection's page cache
    (measured: a serving process with the worker inside kept ~25 MB more after storing one).
    """
    if not is_postgres(session.get_bind()):
        return False
    if session.exec(select(ModelFile.version).where(col(ModelFile.version) == version)).first() is not None:
        return False
    content, meta = store.read_files(model_dir, version)
    values = {
        "version": version,
        "meta": meta,
        "content": content,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "created_at": utcnow(),
    }
    insert = postgresql.insert
    # Two trainers of the same version race harmlessly: the content is the same, the first row stays.
    # The values go with the execution, not into the statement: SQLAlchemy caches compiled statements,
    # and one built with .values() kept the ~10 MB of the first model it stored alive in the cache.
    statement = insert(ModelFile).on_conflict_do_nothing(index_elements=["version"])
    result = cast(CursorResult[Any], session.connection().execute(statement, values))
    written = bool(result.rowcount)
    if written:
        log.info("stored model %s in the database (%d bytes)", version, len(content))
    return written


def fetch(session: Session, *, model_dir: Path, version: str) -> bool:
    """Copy a stored version into ``model_dir`` unless it is there; False when the database lacks it."""
    if store.has(model_dir, version):
        return True
    row = session.get(ModelFile, version)
    if row is None:
        return False
    if hashlib.sha256(row.content).hexdigest() != row.sha256:
        raise CorruptModelFile(f"stored model {version} does not match its checksum")
    store.write_files(model_dir, version, row.content, row.meta)
    log.info("fetched model %s from the database (%d bytes)", version, row.size)
    return True


def ensure_local(engine: Engine, *, model_dir: Path, version: str) -> bool:
    """``fetch`` in a read-only session of its own (the app's model follower calls it from a thread)."""
    with Session(engine) as session:
        return fetch(session, model_dir=model_dir, version=version)


def stored_versions(session: Session) -> list[str]:
    """Every stored version, newest first (tests and operators: what could be activated anywhere)."""
    return list(session.exec(select(ModelFile.version).order_by(col(ModelFile.created_at).desc())).all())


def prune(session: Session, *, active: str, keep: int = KEEP_VERSIONS) -> int:
    """Delete stored versions beyond the newest ``keep`` (never the active one); returns how many."""
    newest = stored_versions(session)[:keep]
    statement = delete(ModelFile).where(col(ModelFile.version).not_in([*newest, active]))
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount or 0)
