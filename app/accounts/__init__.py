"""Accounts: logging in (people), API keys (machines), and turning either credential
into the `Principal` of `app.auth` for each request."""
