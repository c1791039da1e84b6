"""Delivers alerts: the in-app inbox, webhooks and e-mail."""
