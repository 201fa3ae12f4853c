"""Data declarations of nuclear and missile programs.

Their model, spreadsheets, sums, checks, completeness, history, diffs and review."""
