"""CapsuleError.mask: a secret value carried into an error's words is masked everywhere it is kept."""

from __future__ import annotations

from runtime.create_flow import CreateErrors, CreateResult
from runtime.errors import BuildFailed, CapsuleNotFound, CreateFailed
from translate.secrets import MASK, SecretMask, SecretStore

SECRET = "hunter2-is-not-a-good-password"


def mask() -> SecretMask:
    secrets = SecretStore()
    secrets.add("db", {"password": SECRET.encode()})
    hide = SecretMask()
    hide.hide(secrets)
    return hide


def test_the_message_the_args_and_the_reason_are_masked() -> None:
    error = BuildFailed(f"init container setup exited with code 1 (last output: using {SECRET})", capsule="web")
    error.mask(mask())
    for text in (str(error), error.message, error.reason, *map(str, error.args)):
        assert SECRET not in text and MASK in text
    assert error.capsule == "web"  # the rest of the error is as it was


def test_an_error_without_a_reason_is_masked_too() -> None:
    error = CapsuleNotFound(f"web-{SECRET}")
    error.mask(mask())
    assert SECRET not in str(error) and SECRET not in repr(error.args)


def test_several_failed_creates_are_masked_in_every_result() -> None:
    failed = CreateFailed("web", "local", f"not ready: probe said {SECRET}")
    error = CreateErrors([CreateResult("web", "local", reason=failed.reason, error=failed),
                          CreateResult("db", "local", reason=f"also {SECRET}", error=CreateFailed("db", "local", SECRET))])
    error.mask(mask())
    texts = [str(error), *(r.reason for r in error.results), *(str(r.error) for r in error.results),
             *(r.error.reason for r in error.results if isinstance(r.error, CreateFailed))]
    assert all(SECRET not in text for text in texts), texts
    assert error.exit_code == 1
