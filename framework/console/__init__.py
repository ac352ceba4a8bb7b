"""The console: a web page where a store or an integrator sees and steers every sync.

Starlette, Jinja2 templates (``templates/``), htmx (vendored in ``static/``) and no build
step. Pages read the state through the functions the CLI calls (``framework.ops``). See
docs/console.md.
"""
