"""hf_pure.tasks."""
