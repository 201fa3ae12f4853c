"""The compliance record: observed events and their formats, obligations, violations.

Also the match rules, the responses to violations and the compliance report."""
