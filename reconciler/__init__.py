"""Declarative reconciler for Telnyx US 10DLC number-to-campaign assignments."""

# The one place the version is written: pyproject.toml reads it (dynamic), CHANGELOG.md names it,
# the release tag is `v` + it (semantic versioning: docs/release.md).
__version__ = "0.2.0"
