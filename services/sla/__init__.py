"""One clock per promise: the 48-hour reply, the 3/7/30-day problem deadlines; warnings and breaches."""
