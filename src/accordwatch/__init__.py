"""accordwatch: a system of record for denuclearization accords.

Every change of state is a signed envelope (`accordwatch.envelope`) checked
against the parties' keys and authority (`accordwatch.check`) and appended to
an RFC 9162 Merkle log (`accordwatch.merkle`, `accordwatch.store.ledger`)
whose signed checkpoints (`accordwatch.checkpoint`) let anyone verify it
offline (`accordwatch.audit`). The command line starts in `accordwatch.cli`.
"""

__version__ = "0.1.0"
