"""Plots (in progress)."""
