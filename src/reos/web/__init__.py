"""Server-rendered pages (Jinja2 + htmx) calling the same services as the JSON API."""
