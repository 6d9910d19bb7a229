"""hf_pure.reliability."""
