"""End-to-end studies built only from BabelVLM's public commands and APIs."""
