"""Who is asking: the `Principal` (a person or a member's API key, with its group,
member, role and permissions), the role table, the credential tables and the
process's credential cache. Part of the ground with `app.core` and `app.tenancy`: it
imports nothing else (enforced by import-linter, see pyproject.toml). Logging in and
resolving a credential live in `app.accounts`."""
