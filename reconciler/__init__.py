"""Declarative reconciler for Telnyx US 10DLC number-to-campaign assignments."""

__version__ = "0.1.0"
