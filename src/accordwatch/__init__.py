"""accordwatch: a system of record for denuclearization accords.

Every change of state is a signed envelope (`accordwatch.log.envelope`) checked
against the parties' keys and authority (`accordwatch.log.check`) and appended to
an RFC 9162 Merkle log (`accordwatch.log.merkle`, `accordwatch.store.ledger`)
whose signed checkpoints (`accordwatch.log.checkpoint`) let anyone verify it
offline (`accordwatch.log.audit`). The command line starts in `accordwatch.cli`.
"""

__version__ = "0.1.0"
