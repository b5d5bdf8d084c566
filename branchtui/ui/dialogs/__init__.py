"""Dialogs more than one screen opens."""
