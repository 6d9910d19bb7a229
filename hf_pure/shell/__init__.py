"""hf_pure.shell."""
