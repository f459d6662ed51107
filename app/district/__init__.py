"""District and city overview (read-only): every visible community's plan, turnout and funds."""
