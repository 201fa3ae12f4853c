"""The web service: a REST API over the log and its evaluations, and the dashboard.

`accordwatch.service.api.app.create_app(workspace)` builds the FastAPI
application; `accordwatch serve` runs it under uvicorn.
"""
