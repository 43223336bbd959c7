"""Fixtures; owned by one workstream, imported by tests/conftest.py."""
