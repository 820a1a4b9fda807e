"""The exceptions hipscut raises: one class per kind of failure, each with the library's message.

Every class derives from :class:`HipscutError`, and from the built-in exception a caller
would catch for it, so ``except ValueError`` catches a bad argument as it would elsewhere.
"""

__all__ = ["HipscutError", "BadRequest", "Unreachable", "NotFound", "PartialFailure"]


class HipscutError(Exception):
    """A failure of hipscut; ``kind`` says which kind (as the CLI's exit status does)."""

    kind = "internal"


class BadRequest(HipscutError, ValueError):
    """The request is wrong: an argument, a WCS, a survey name, a file name."""

    kind = "bad_request"


class Unreachable(HipscutError, OSError):
    """The survey could not be read: unreachable, failing, too slow, or broken."""

    kind = "unreachable"


class NotFound(HipscutError, LookupError):
    """Nothing to show: no survey by that ID, no data in the field, an unknown object."""

    kind = "not_found"


class PartialFailure(HipscutError):
    """Part of the work failed and the rest was done."""

    kind = "partial"
