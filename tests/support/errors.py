"""Typed errors of the test-engine infrastructure.

Every message says what is missing and what to do about it, because it ends up
as the skip (or, under CAPSULE_REQUIRE_DOCKER=1, failure) reason of a test run.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class: a test engine or test image could not be provided."""


class EngineUnavailable(EngineError):
    """No Docker engine answers and none can be started here."""


class ImageBuildError(EngineError):
    """An offline test image could not be built or imported."""


class HostSetupError(EngineError):
    """The extra engines in network namespaces could not be set up."""
