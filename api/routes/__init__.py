"""Routers, one module per audience."""
