"""Synthetic submissions (placeholder)."""
