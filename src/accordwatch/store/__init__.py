"""Storage: the log and its projections in SQLite or PostgreSQL (SQLAlchemy Core).

`schema` declares the tables, `database` opens an engine with the right
transaction behaviour, `ledger` appends and proves, `projections` derives the
query tables from the log and rebuilds them.
"""
