"""The road map: the accord as data, its checks and amendments, and its evaluation.

The log's road map records, status, findings, balance, timeline and
obligations as of any date, and scripted histories."""
