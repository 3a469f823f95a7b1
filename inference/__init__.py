"""Batch scoring of new articles (``sucesos.inference``)."""
