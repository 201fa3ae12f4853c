"""Bearer tokens of the web service: their form, hashing, lifetime and validity.

A token is `aw_` and 43 URL-safe characters (32 random bytes) and is shown
once, when issued; the database keeps only its SHA-256, so a copy of the
database does not let anyone read as a party. A token names the party it
was issued to and that party's role: with it the service reads confidential
payloads as that party would (`declaration_access.may_read`). Pure: the
caller passes the random bytes and the clock.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from accordwatch.errors import AuthorityError, InputError, SignatureError
from accordwatch.log.roles import Role

PREFIX = "aw_"
TOKEN_BYTES = 32
_TOKEN = re.compile(r"aw_[A-Za-z0-9_-]{43}")
_DURATION = re.compile(r"([1-9][0-9]{0,5})([hdwy])")
_UNITS = {
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
    "y": timedelta(days=365),
}
#: the longest lifetime a token may be given
MAX_LIFETIME = timedelta(days=366)


def make_token(random_bytes: bytes) -> str:
    """The token text for `TOKEN_BYTES` random bytes."""
    if len(random_bytes) != TOKEN_BYTES:
        raise ValueError(f"a token needs {TOKEN_BYTES} random bytes")
    return PREFIX + base64.urlsafe_b64encode(random_bytes).decode().rstrip("=")


def token_hash(token: str) -> bytes:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("ascii", "replace")).digest()


def token_id(digest: bytes) -> str:
    """The short public name of a token (for listing and revoking), from its hash."""
    return digest[:6].hex()


def well_formed(token: str) -> bool:
    return bool(_TOKEN.fullmatch(token))


def expiry(text: str, now: datetime) -> datetime:
    """When a token issued at `now` expires: a duration (`12h`, `30d`, `4w`, `1y`) or a date.

    A date means the end of that day (UTC). The result must be in the future
    and at most `MAX_LIFETIME` away.
    """
    text = text.strip()
    match = _DURATION.fullmatch(text)
    if match:
        at = now + int(match.group(1)) * _UNITS[match.group(2)]
    else:
        try:
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise InputError(
                f"--expires {text!r} is neither a duration (12h, 30d, 4w, 1y) "
                "nor a date (YYYY-MM-DD)"
            ) from exc
        at = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    if at <= now:
        raise InputError(f"--expires {text!r} is in the past")
    if at - now > MAX_LIFETIME:
        raise InputError(f"--expires {text!r} is more than {MAX_LIFETIME.days} days away")
    return at


def check_role(party: str, requested: str, registered: Role) -> Role:
    """The role a token for `party` may carry: the one the party is registered with."""
    try:
        role = Role(requested)
    except ValueError as exc:
        roles = ", ".join(r.value for r in Role)
        raise InputError(f"unknown role {requested!r} (one of {roles})") from exc
    if role != registered:
        raise AuthorityError(
            f"party {party!r} is registered as {registered.value}, not {role.value}"
        )
    return role


@dataclass(frozen=True)
class Grant:
    """A stored token: whom it speaks for, and until when."""

    token_id: str
    party: str
    role: Role
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    #: the log entry that revoked the token's party (`party.revoke`), if it was
    party_revoked_at: int | None = None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None or self.party_revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"

    def check(self, now: datetime) -> None:
        """A revoked or expired token, or one of a revoked party, is refused (401)."""
        if self.party_revoked_at is not None:
            raise SignatureError(
                f"bearer token {self.token_id} is of party {self.party!r}, "
                f"revoked at log entry {self.party_revoked_at}"
            )
        state = self.state(now)
        if state != "active":
            raise SignatureError(f"bearer token {self.token_id} is {state}")
