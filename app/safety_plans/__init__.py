"""Safety-plan summaries: what a survivor approves to be known of her safety plan, held by her DV agency."""
