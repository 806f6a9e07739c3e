"""Contacts: people and entities, their phones and emails, and their roles on properties."""
