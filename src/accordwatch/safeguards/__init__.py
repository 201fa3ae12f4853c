"""Safeguards: materials, measurement errors, material balances and their tests.

Also detection and simulation, accountancy reports, sampling and inspections."""
