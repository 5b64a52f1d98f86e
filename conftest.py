"""Root pytest configuration: nbval checks the committed notebooks only."""

# Notebooks under tests/ are fixtures of the build and site tests, not course
# material: nbval must not collect them.
collect_ignore_glob = ["tests/**/*.ipynb", "bench/*", ".venv/*"]
