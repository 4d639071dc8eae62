"""Web workspace (评估工作台): a server-rendered Starlette app over the results store.

``app`` (what every page shares: the viewer, the page decorator for sign-in, role and CSRF, rendering,
error pages), ``server`` (the Starlette application: routes, static assets, sessions, security headers),
``pages`` (dashboard, unit, assessment, review queue, rectification board, ranking, upload, accounts; the
route x role table), ``security`` (CSP and other headers, CSRF tokens, the login rate limiter), ``upload``
(填报: safe zip unpacking and the background scoring jobs), ``demo`` (the bundled examples and demo accounts).
Pages and styles are Jinja2 templates under ``templates/web/`` (autoescaped) plus ``templates/_style.css.j2``.
May import ``engine.store`` (its public functions are the only way to the database), ``engine.batch``,
``engine.output``, ``engine.review``, ``engine.evaluate``, ``engine.rules``, ``evidence`` and the foundations;
only ``engine.cli`` imports it.
"""
