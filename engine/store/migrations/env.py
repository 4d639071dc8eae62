"""Alembic environment of the results store: always run on a connection handed over by engine.store.db."""

from alembic import context

from engine.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes its connection
    raise RuntimeError("engine.store.db.upgrade() 传入数据库连接后才能运行迁移")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
