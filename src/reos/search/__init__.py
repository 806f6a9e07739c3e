"""The global search box: properties and contacts from one query."""
