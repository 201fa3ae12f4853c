"""The log read as each domain's inputs: typed payloads of given record types, per domain."""
