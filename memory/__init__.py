"""lamp session memory in Chroma (never imports the agent)."""
