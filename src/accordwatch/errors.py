"""The one error type users see.

Every failure caused by input (a malformed file, a bad signature, an unknown
party, a database that cannot be reached) is an `AccordwatchError` whose
message is a single line naming the problem and where it is. The CLI prints
that line and exits with the error's code (`cli.exit_codes`); the API turns
it into a problem-details response. Anything else escaping is a bug and keeps its traceback.
"""

from __future__ import annotations


class AccordwatchError(Exception):
    """A user-facing failure with a one-line diagnostic."""

    #: HTTP status used by the API
    http_status: int = 400

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(self.diagnostic())

    def diagnostic(self) -> str:
        """The single line shown to the user."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        return " ".join(text.split())


class InputError(AccordwatchError):
    """A file or request that cannot be parsed or does not fit its schema."""

    http_status = 422


class SignatureError(AccordwatchError):
    """A signature that is missing, malformed or does not verify."""

    http_status = 401


class AuthorityError(AccordwatchError):
    """A party acting outside its role, or a key that is unknown or revoked."""

    http_status = 403


class NotFoundError(AccordwatchError):
    """A party, key, entry or workspace that does not exist."""

    http_status = 404


class ConflictError(AccordwatchError):
    """A request that contradicts what the log already holds."""

    http_status = 409


class StorageError(AccordwatchError):
    """The database cannot be reached or is not in the expected state."""

    http_status = 503


class VerificationError(AccordwatchError):
    """A proof, checkpoint or log that does not verify."""

    http_status = 422


class AddressInUseError(AccordwatchError):
    """A server cannot listen: its address and port are taken by another process."""

    http_status = 503
