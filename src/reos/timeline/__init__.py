"""The timeline of a property: notes and events (stage changes, edits, tasks, merges)."""
