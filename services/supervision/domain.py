"""Rules of the closed problem loop (发现—提出—分析—解决): pure, no I/O."""
from __future__ import annotations

from datetime import timedelta

FEEDBACK_WITHIN = timedelta(days=3)
SOLVE_WITHIN = {"general": timedelta(days=7), "complex": timedelta(days=30)}
PROBLEM_STATUSES = ("raised", "feedback_given", "analysed", "resolved")
