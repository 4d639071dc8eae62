"""Results store (结果库): every scored round kept, with its evidence, verdicts and rectification items.

``models`` (SQLAlchemy 2 tables: units, assessment rounds, indicator/check rows, the verdict log, archived
files, waivers, rectification items and their notes), ``db`` (database URL from ``--db``/``SCORECARD_DB``,
engine and session, schema version check; SQLite file by default, PostgreSQL by URL), ``migrations/``
(Alembic environment and revisions, shipped as package data), ``archive`` (佐证归档: files kept by SHA-256),
``record`` (store a scored round, record verdicts, reproduce a round), ``tracking`` (rectification items:
created from an 评估 round, closed by a 复核 round, overdue by date) and ``queries`` (history, ranking, export).
``accounts`` (web accounts: roles, scopes, argon2 password hashes, the session key) and ``workspace``
(the web workspace's read queries). May import ``engine.batch`` (table writers), ``engine.output``,
``engine.review``, ``engine.evaluate``, ``engine.rules``, ``evidence`` and the foundations; only ``engine.cli``
and ``engine.web`` import it.
"""
