"""The state database: schema and migrations, imported files and lines, the posting outbox, the run lock."""
