"""hf_pure.core."""
