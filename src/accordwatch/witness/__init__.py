"""The accordwatch witness: a C2SP tlog-witness that cosigns other logs' checkpoints.

A shell beside the web service: its workspace folder (`home`), its SQLite
state with the atomic check-and-update (`state`), its clock (`clock`) and
its HTTP server (`server`), on the pure protocol of `accordwatch.log`
(`witness_protocol`, `cosignature`, `fork`). It knows no domain and no
accord log storage.
"""
