"""Leads and projects: intake, de-duplication, the stage pipeline and the team assignment."""
