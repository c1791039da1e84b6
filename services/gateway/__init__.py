"""The only HTTP surface: REST API /api/v1, authentication, validation, health."""
