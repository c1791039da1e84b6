"""Enterprises' policy and factor requests (政策和要素保障需求) and their stamped 48-hour replies."""
