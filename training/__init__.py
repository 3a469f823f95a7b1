"""Config-driven fine-tuning and evaluation (``sucesos.training``)."""
