"""Rules about SLA clocks: pure, no I/O."""
from __future__ import annotations

CLOCK_KINDS = ("policy_reply", "problem_feedback", "problem_general", "problem_complex",
               "plan_progress_report")
CLOCK_STATES = ("on_track", "warning", "breached", "met", "met_late")
# Shares of the target at which a warning goes out; 100% is the breach.
WARNING_THRESHOLDS = (0.50, 0.75, 0.90)
