"""Label schema, corpus I/O and validation (``sucesos.labels``).

>>> from sucesos.labels import load_schema
>>> schema = load_schema()
>>> schema.event_types[:2]
['ambush', 'firefight']
"""

from sucesos.labels.corpus import Problem, load_corpus, read_corpus_file, validate_files
from sucesos.labels.schema import Schema, default_schema_path, load_schema
from sucesos.labels.paths import corpus_dir, split_files

__all__ = [
    "Problem",
    "Schema",
    "corpus_dir",
    "default_schema_path",
    "load_corpus",
    "load_schema",
    "read_corpus_file",
    "split_files",
    "validate_files",
]
