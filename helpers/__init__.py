"""Course helpers: data, mixed-model summaries and plots used by the sessions."""
