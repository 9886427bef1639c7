"""Relational state: SQLAlchemy models, engine/session handling and Alembic migrations."""
