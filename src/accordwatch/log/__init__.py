"""The tamper-evident log: envelopes, record types, the check, the Merkle tree.

Also C2SP signed notes and checkpoints, receipts, the audit and the export.
It knows no domain: the record types a log accepts are handed to it as a
catalog (`accordwatch.catalog`)."""
