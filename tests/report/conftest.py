"""The report tests use the CLI runner fixture of tests/cli."""

from tests.cli.conftest import run  # noqa: F401 - re-exported as a fixture here
