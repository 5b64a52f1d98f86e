"""The multicode build: session .qmd -> one executed notebook per language."""
