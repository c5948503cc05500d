"""Support tests use the shared database fixtures of tests/db.py (loaded by tests/conftest.py)."""
