"""Safe contact: structured contact preferences and the log of contact attempts."""
