"""Database infrastructure: the server to talk to, the pool, migrations and named queries."""
