"""Who may read a confidential record, and its content only for them, checked.

The public log holds a confidential payload as a salted commitment; the
content (salt and payload, the *opening*) is stored apart. `may_read`
decides from the record type, the reader's party and role, and the party
that submitted the record, whether the reader may see the content: the
submitting party always, and the roles its record type names as readers
(`RecordType.readers`: for a declaration, an accountancy report or an
inspection record, every inspectorate, as safeguards declarations and
accounting reports are to the IAEA). No other role reads them: not the other
parties, observers, or the registrar who runs the log.

`open_record` gives an allowed reader the content only after checking it
against the commitment signed in the log, so what is shown is what was
signed, and tells the reader (`Reader.opened`), so that a service can
record who read what. Pure: the caller fetches the envelope and opening.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accordwatch.errors import AuthorityError, NotFoundError, VerificationError
from accordwatch.log.envelope import Envelope, Opening
from accordwatch.log.records import Catalog
from accordwatch.log.roles import Role


@dataclass(frozen=True)
class Reader:
    """A party reading the log, with the role it is registered with."""

    party: str
    role: Role

    def opened(self, envelope: Envelope, where: str) -> None:
        """Called by `open_record` each time it hands this reader a confidential payload.

        Does nothing here; a reader known by a credential (the web service's
        bearer-token reader) records the read with it.
        """

    def unseal(self, envelope: Envelope, where: str) -> Opening | None:
        """The opening sealed to this reader's encryption key, opened and checked, if any.

        None here: a reader that holds its private encryption key (`sources.reading`)
        opens the ciphertext sealed to it (`log.sealing.open_sealed`).
        """
        return None


def may_read(catalog: Catalog, record_type: str, reader: Reader, submitter: str) -> bool:
    """Whether `reader` may read the content of a confidential `record_type` record."""
    return reader.party == submitter or reader.role in catalog.readers(record_type)


def allowed_readers(catalog: Catalog, record_type: str, submitter: str) -> str:
    """Who may read such a record, in words."""
    roles = sorted(catalog.readers(record_type))
    extra = "".join(f" and every {r} party" for r in roles)
    return f"its submitter {submitter}{extra}"


def open_record(
    catalog: Catalog,
    envelope: Envelope,
    opening: Opening | None,
    reader: Reader | None,
    *,
    where: str,
) -> dict[str, Any]:
    """The payload of a logged record, for a reader allowed to see it.

    A public payload is anyone's. A confidential one needs an allowed reader
    and an opening whose salted hash is the envelope's commitment: the one
    the database holds in plaintext (a workspace whose openings are not
    sealed), or the one sealed to the reader's own encryption key, which
    makes its holder a reader (the submitter chose it, or a reader shared it).
    """
    if envelope.commitment is None:
        assert envelope.payload is not None
        return envelope.payload
    allowed = reader is not None and may_read(catalog, envelope.record_type, reader, envelope.party)
    if reader is not None and (opening is None or not allowed):
        unsealed = reader.unseal(envelope, where)
        if unsealed is not None:
            reader.opened(envelope, where)
            return unsealed.payload
    if reader is None or not allowed:
        who = "nobody named" if reader is None else f"{reader.party} ({reader.role})"
        raise AuthorityError(
            f"{envelope.record_type} is confidential: {who} may not read it; only "
            f"{allowed_readers(catalog, envelope.record_type, envelope.party)} may",
            where=where,
        )
    if opening is None:
        raise NotFoundError(
            f"the confidential content is sealed to its readers and not to a key {reader.party} "
            "holds here (a reader may share it: accordwatch share)",
            where=where,
        )
    if opening.commitment() != envelope.commitment:
        raise VerificationError(
            "the stored content does not match the commitment in the log", where=where
        )
    reader.opened(envelope, where)
    return opening.payload
