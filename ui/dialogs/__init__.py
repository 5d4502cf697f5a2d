"""Dialogs: the new-engagement wizard and the settings."""
