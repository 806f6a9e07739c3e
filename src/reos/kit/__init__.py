"""Small helpers that every domain may use; this package imports no domain."""
