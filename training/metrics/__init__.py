"""Local ``evaluate`` metric modules, loaded by path (no hub)."""
