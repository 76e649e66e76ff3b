"""The Kubernetes rules for a probe over time: initial delay, period, thresholds.

One `ProbeTracker` follows one probe of one container *instance* (a restarted
container gets a fresh tracker, so its initial delay counts from its new start):

- the first run is due `initialDelaySeconds` after the container started, the next
  ones every `periodSeconds`;
- `successThreshold` successes in a row make it pass, `failureThreshold` failures
  in a row make it fail; a result that changes nothing returns None;
- a liveness or startup probe reports FAILED once per run of failures (the caller
  restarts or stops the member); a readiness probe flips between PASSED and FAILED.

Pure bookkeeping: no I/O, no clock of its own (callers pass `now`, wall seconds).
"""

from __future__ import annotations

from datetime import UTC, datetime

from runtime.probes.run import READINESS, ProbeResult
from translate.spec import Probe

PASSED, FAILED = "passed", "failed"


class ProbeTracker:
    def __init__(self, kind: str, probe: Probe, started_at: float) -> None:
        self.kind = kind
        self.probe = probe
        self.next_due = started_at + max(probe.initial_delay_seconds, 0)
        self.successes = 0
        self.failures = 0
        self.passing = False
        self.last: ProbeResult | None = None
        self.last_error = ""

    def due(self, now: float) -> bool:
        return now >= self.next_due

    def record(self, result: ProbeResult, now: float) -> str | None:
        """Count one result; PASSED or FAILED when the probe's verdict changes."""
        self.last = result
        self.last_error = ""
        self.next_due = now + max(self.probe.period_seconds, 1)
        if result.ok:
            self.successes, self.failures = self.successes + 1, 0
            if not self.passing and self.successes >= max(self.probe.success_threshold, 1):
                self.passing = True
                return PASSED
            return None
        self.failures, self.successes = self.failures + 1, 0
        if self.failures < max(self.probe.failure_threshold, 1):
            return None
        if self.kind == READINESS:
            was_passing, self.passing = self.passing, False
            # Report the first time it is known not ready, and each time it stops being ready.
            return FAILED if was_passing or self.failures == max(self.probe.failure_threshold, 1) else None
        self.failures = 0  # the caller acts now; a further run of failures counts afresh
        return FAILED

    def record_error(self, reason: str, now: float) -> bool:
        """A probe that could not run: counts neither way; True when the reason is new."""
        self.next_due = now + max(self.probe.period_seconds, 1)
        new = reason != self.last_error
        self.last_error = reason
        return new


def engine_time(text: str | None) -> float | None:
    """The engine's RFC 3339 time (nanoseconds, 'Z') as Unix seconds."""
    if not text or text.startswith("0001-"):
        return None
    stamp, _, fraction = text.rstrip("Z").partition(".")
    digits = "".join(ch for ch in fraction if ch.isdigit())[:6].ljust(6, "0")
    offset = ""
    if "+" in fraction:
        offset = "+" + fraction.split("+", 1)[1]
    try:
        moment = datetime.fromisoformat(f"{stamp}.{digits}{offset}")
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
