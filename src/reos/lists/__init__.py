"""Smart lists (saved filters) and static lists (a fixed set of properties)."""
