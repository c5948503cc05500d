"""One family of errors; the HTTP layer maps ``status_code`` to the response in one place."""

from __future__ import annotations


class FaqdeskError(Exception):
    """Base error: a short machine-readable ``error`` code and a human ``detail``."""

    status_code = 400
    error = "bad_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(FaqdeskError):
    """The thing asked for does not exist."""

    status_code = 404
    error = "not_found"


class ValidationError(FaqdeskError):
    """Input was understood but is not acceptable."""

    status_code = 422
    error = "invalid"


class FieldErrors(ValidationError):
    """Input refused field by field: ``fields`` maps each field to a message for the person who typed it
    (in their language), so a form can show each next to its field instead of one generic error."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in fields.items()))
        self.fields = fields


class ModelNotReadyError(FaqdeskError):
    """No trained model is available yet."""

    status_code = 503
    error = "model_not_ready"


class UnauthorizedError(FaqdeskError):
    """Credentials are missing or wrong."""

    status_code = 401
    error = "unauthorized"


class ForbiddenError(FaqdeskError):
    """The caller is known, but their role does not allow this."""

    status_code = 403
    error = "forbidden"


class ConflictError(FaqdeskError):
    """The request does not fit the current state (e.g. an option that was never offered)."""

    status_code = 409
    error = "conflict"


class EditConflict(ConflictError):
    """Someone saved the record after the editor read it: saving now would overwrite their work unseen.

    ``current_version`` is the version saved now, the one to start again from (None if unknown).
    """

    def __init__(self, detail: str, *, current_version: int | None) -> None:
        super().__init__(detail)
        self.current_version = current_version


class BusyError(FaqdeskError):
    """The database stayed locked by other writers for too long; nothing was written, try again."""

    status_code = 503
    error = "busy"
    retry_after = 1

    def __init__(self, detail: str = "the database is busy; nothing was saved, please try again") -> None:
        super().__init__(detail)
