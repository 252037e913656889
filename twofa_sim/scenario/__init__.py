"""Scenario files: the format, the loader, the steps, the runner, the Target protocol."""
