"""The state database (SQLite or PostgreSQL): schema and migrations, imported files and lines, the posting
outbox, the run lock."""
