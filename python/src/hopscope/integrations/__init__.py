"""Optional integrations; each imports its library only when you import it."""
