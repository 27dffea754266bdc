"""The web console: server-rendered pages on the same services, roles and tenancy gate as
the API (see docs/CONSOLE.md). `install(app)` adds its routes and its static files."""
