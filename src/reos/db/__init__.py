"""Database access: engines for the app and owner roles, sessions, team context, migrations."""
