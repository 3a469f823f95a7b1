"""Batch scoring of new articles (``sucesos.inference``)."""
from sucesos.inference.tagger import EventTagger

__all__ = ["EventTagger"]
