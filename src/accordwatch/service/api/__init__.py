"""The web service: a REST API over the log and its evaluations, and the dashboard.

`create_app(workspace)` builds the FastAPI application; `accordwatch serve`
runs it under uvicorn.
"""

from __future__ import annotations

from accordwatch.service.api.app import create_app

__all__ = ["create_app"]
