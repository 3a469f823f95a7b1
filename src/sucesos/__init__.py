"""sucesos: structured events from news reports on organized-crime violence in Mexico.

Subpackages:

- ``sucesos.labels``: label schema, corpus I/O, validation, Label Studio bridge.
- ``sucesos.training``: config-driven fine-tuning, evaluation reports.
- ``sucesos.inference``: batch scoring of new articles.
"""

__version__ = "0.1.0"

from sucesos.errors import SucesosError  # noqa: E402

__all__ = ["SucesosError", "__version__"]
