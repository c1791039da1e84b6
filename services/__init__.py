"""Kuaiban services: one package each, with its nameko service, domain logic and repository."""
