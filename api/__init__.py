"""The HTTP layer: the FastAPI app, routers, dependencies and templates (no domain logic here)."""
