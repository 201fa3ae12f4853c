"""The web service: the REST API, the dashboard, bearer tokens and the group committer."""
