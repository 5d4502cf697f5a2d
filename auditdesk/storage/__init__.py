"""The workpaper store: SQLAlchemy schema, engine, migrations, unit of work."""
