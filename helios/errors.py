"""User-facing errors.

A :class:`HeliosError` is a problem with the user's input or configuration.  The
CLI and the workflow scripts print its message as one paragraph and exit
non-zero without a traceback; anything else is a bug and keeps its traceback.
"""


class HeliosError(Exception):
    """An input or configuration problem the user can fix."""


class CatalogError(HeliosError):
    """A star catalogue file that cannot be read as asked."""


class LandmarkError(HeliosError):
    """A landmarks file with a missing or invalid entry."""
