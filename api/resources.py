"""Rows named in the path: loaded by their bounded id (``api.params``) through their service, or 404.

Plain ``def`` dependencies: they read the database, so FastAPI runs them in its thread pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import SessionDep
from api.params import RowId
from support import handoffs
from support.models import Handoff


def handoff_in_path(handoff_id: RowId, session: SessionDep) -> Handoff:
    """The handoff ``{handoff_id}`` names."""
    return handoffs.get_handoff(session, handoff_id=handoff_id)


HandoffDep = Annotated[Handoff, Depends(handoff_in_path)]
