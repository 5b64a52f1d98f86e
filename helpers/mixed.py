"""Mixed-model summaries (in progress)."""
