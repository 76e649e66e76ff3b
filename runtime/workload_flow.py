"""A workload's replicas as a whole: `capsule scale`, and `capsule apply` rolling them.

A replica is a capsule whose spec names its workload (`metadata.workload`, e.g.
"Deployment/web") and namespace; the hosts are the truth, as for every capsule.

- `scale`: more replicas are made from a running replica's spec (its `capsule.spec`
  label), named as the translation names them (translate.replicas: a StatefulSet's
  next ordinals, a Deployment's `NAME-HASH-SUFFIX`); fewer: a StatefulSet loses its
  highest ordinals, the others their newest replicas, as Kubernetes chooses.
- `roll_out` (apply): the replicas the input asks for against those that run. Kept
  names whose spec differs are updated one by one; new names (a Deployment whose
  template changed gets a new hash, so new names) are created one at a time, each
  followed by the removal of one old replica, so the workload keeps serving throughout
  (Kubernetes' RollingUpdate with maxSurge 1, maxUnavailable 0).

After every step the namespace's Services get their backends (runtime.application_flow),
so a Service never points at a replica that is gone for longer than a step.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runtime import application_flow
from runtime.create_flow import create_all
from runtime.errors import BadRequest, CapsuleError, CapsuleNotFound, UnresolvedReferences
from runtime.state import config_objects
from runtime.state.records import spec_labels, spec_metadata
from runtime.update import update_capsule
from translate.replicas import REPLICATED_KINDS, STATEFULSET_POD_NAME_LABEL, TEMPLATE_HASH_LABEL, replica_name
from translate.secrets import SecretStore
from translate.spec import PersistentVolume
from translate.translation import Translation, translate_text

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from runtime.state.records import CapsuleRecord
    from translate.spec import Capsule

MAX_SCALE = 256  # as many replicas as one file may ask for (translate.replicas.MAX_REPLICAS)


@dataclass
class ScaleResult:
    workload: str
    namespace: str
    before: int
    after: int
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def replicas_of(ctx: RuntimeContext, namespace: str, workload: str) -> list[CapsuleRecord]:
    """The running replicas of `Kind/name` in the namespace (store rows, just refreshed by the caller)."""
    known = {h.name for h in ctx.hosts}
    return [r for r in ctx.store.capsules() if r.host in known and not r.create_failed
            and spec_metadata(r.spec, "workload") == workload and spec_metadata(r.spec, "namespace") == namespace]


def resolve_workload(ctx: RuntimeContext, reference: str, namespace: str) -> str:
    """`deployment/web`, `Deployment/web` or plain `web` → the workload as the replicas name it."""
    kind, _, name = reference.rpartition("/")
    found = sorted({w for r in ctx.store.capsules()
                    if spec_metadata(r.spec, "namespace") == namespace
                    and isinstance(w := spec_metadata(r.spec, "workload"), str)
                    and w.rpartition("/")[2] == name and (not kind or w.split("/")[0].lower() == kind.lower())})
    if not found:
        raise CapsuleNotFound(f"{reference} (no workload of that name in namespace {namespace}; capsule list "
                              f"-n {namespace} shows the workloads)")
    if len(found) > 1:
        raise BadRequest(f"{reference} names several workloads in namespace {namespace} ({', '.join(found)}); "
                         f"say which: KIND/NAME")
    return found[0]


async def scale(ctx: RuntimeContext, reference: str, replicas: int, *, namespace: str = "default",
                secrets: SecretStore | None = None, timeout: float = 120.0,
                on_progress: Callable[..., Any] | None = None) -> ScaleResult:
    """Make the workload run `replicas` capsules; raises when the additions could not be created."""
    if not 0 <= replicas <= MAX_SCALE:
        raise BadRequest(f"--replicas takes 0 to {MAX_SCALE}, not {replicas}")
    await ctx.refresh()
    workload = resolve_workload(ctx, reference, namespace)
    kind = workload.split("/")[0]
    if kind not in REPLICATED_KINDS:
        raise BadRequest(f"{workload} runs one capsule of its own; only {', '.join(REPLICATED_KINDS)} scale")
    current = replicas_of(ctx, namespace, workload)
    result = ScaleResult(workload, namespace, len(current), replicas)
    if replicas > len(current):
        template = max(current, key=lambda r: (r.revision, r.created_at))
        names = _new_names(kind, workload.split("/", 1)[1], template, {r.name for r in current},
                           replicas - len(current))
        capsules = [_replica(template, name, kind) for name in names]
        translation = Translation(capsules, secrets.copy() if secrets else SecretStore())
        wanted = set().union(*(c.secret_names for c in capsules))
        # A Secret the -f files do not give comes from those stored in the namespace
        # (`capsule create -f secret.yaml`), as a create resolves it.
        try:
            config_objects.resolve_translation(ctx.store, translation)
            missing = []
        except UnresolvedReferences:
            own = translation.secrets.of(namespace)  # the replicas' namespace, whose Secrets they name
            missing = sorted(s for s in wanted if not own.has(s))
            if not missing:
                raise  # a stored Secret without a key a replica uses: its own words
        if missing:
            raise BadRequest(f"{workload}'s replicas use the Secrets {', '.join(missing)}, whose values are "
                             f"neither stored in namespace {namespace} nor given; give the file that defines "
                             f"them: capsule scale {reference} --replicas {replicas} -f FILE (or store them "
                             f"first: capsule create -f FILE)")
        made = await create_all(ctx, translation, host=None, wait=True, timeout=timeout,
                                on_progress=on_progress, options=None)
        result.created = [r.name for r in made]
    elif replicas < len(current):
        for record in _to_remove(kind, current, len(current) - replicas):
            await _delete(ctx, record)
            result.deleted.append(record.name)
        result.problems = await application_flow.sync(ctx, [namespace])
    return result


def _new_names(kind: str, name: str, template: CapsuleRecord, taken: set[str], count: int) -> list[str]:
    """Names for `count` more replicas: a StatefulSet's lowest free ordinals; the others' next suffixes."""
    labels = spec_labels(template.spec)
    digest = str(labels.get(TEMPLATE_HASH_LABEL) or "")
    names: list[str] = []
    index = 0
    while len(names) < count:
        candidate = replica_name(kind, name, digest, index)
        if candidate not in taken:
            names.append(candidate)
            taken.add(candidate)
        index += 1
    return names


def _replica(template: CapsuleRecord, name: str, kind: str) -> Capsule:
    """A new replica from a running one's spec: its own name (and, in a StatefulSet, hostname,
    pod-name label and volume claims).

    The translation resolved the pod's own name where the manifest asked for it (a
    `fieldRef: metadata.name` variable, `$(POD_NAME)` in a command): in the spec those are
    the template replica's name, written out. They become the new replica's name. Replica
    names are generated and unique, so the old one does not stand in other text by chance.
    """
    document = json.loads(json.dumps(template.spec).replace(f'"{template.name}"', json.dumps(name)))
    for container in (document.get("spec") or {}).get("containers", []) + \
            (document.get("spec") or {}).get("initContainers", []):
        _renamed_in(container, template.name, name)
    capsule = translate_text(json.dumps(document), file=f"<spec of {template.name}>").capsules[0]
    labels = dict(capsule.labels)
    changes: dict[str, Any] = {"name": name}
    if kind == "StatefulSet":
        labels[STATEFULSET_POD_NAME_LABEL] = name
        changes["hostname"] = name
        changes["volumes"] = tuple(_claim_for(v, template.name, name) for v in capsule.volumes)
    changes["labels"] = tuple(labels.items())
    return dataclasses.replace(capsule, **changes)


def _renamed_in(container: dict[str, Any], old: str, new: str) -> None:
    """The replica's name inside a container's command, args and env values."""
    for key in ("command", "args"):
        if isinstance(container.get(key), list):
            container[key] = [a.replace(old, new) if isinstance(a, str) else a for a in container[key]]
    for var in container.get("env") or []:
        if isinstance(var, dict) and isinstance(var.get("value"), str):
            var["value"] = var["value"].replace(old, new)


def _claim_for(volume: Any, old: str, new: str) -> Any:
    """A StatefulSet replica's claim `<template>-<pod>` becomes the new pod's own claim."""
    source = volume.source
    if isinstance(source, PersistentVolume) and source.claim_name.endswith(f"-{old}"):
        claim = source.claim_name[: -len(old)] + new
        return dataclasses.replace(volume, source=dataclasses.replace(source, claim_name=claim))
    return volume


def _to_remove(kind: str, current: list[CapsuleRecord], count: int) -> list[CapsuleRecord]:
    if kind == "StatefulSet":
        def ordinal(record: CapsuleRecord) -> int:
            tail = record.name.rsplit("-", 1)[-1]
            return int(tail) if tail.isdigit() else -1
        return sorted(current, key=ordinal, reverse=True)[:count]
    return sorted(current, key=lambda r: r.created_at, reverse=True)[:count]


async def _delete(ctx: RuntimeContext, record: CapsuleRecord) -> None:
    from runtime.build.teardown import remove_capsule
    from runtime.state.deleting import lease_for_delete, release_delete_lease
    from runtime.state.events import DELETED

    leased = lease_for_delete(ctx.store, record.uuid)  # its half-removed containers are no news
    try:
        engine = await ctx.engine(record.host)
        await remove_capsule(engine, host=record.host, name=record.name, uuid=record.uuid)
    except Exception:  # the host could not do it: the row stays, reconcile takes it again
        release_delete_lease(ctx.store, record.uuid, leased)
        raise
    ctx.store.delete(record.uuid)
    ctx.notifier.emit(DELETED, record.name, "deleted: its workload has fewer replicas now",
                      uuid=record.uuid, host=record.host)


# --- apply ---------------------------------------------------------------------------------


def normalized(capsule: Capsule) -> dict[str, Any]:
    """The document exactly as the `capsule.spec` label stores it (through JSON)."""
    return json.loads(json.dumps(capsule.to_dict(), sort_keys=True))



@dataclass
class RolloutStep:
    """One thing `roll_out` did to a replica: created | updated | unchanged | deleted | failed."""

    name: str
    action: str
    host: str = ""
    error: CapsuleError | None = None


async def roll_out(ctx: RuntimeContext, wanted: list[Capsule], secrets: SecretStore, *, timeout: float,
                   settle: float, on_progress: Callable[..., Any] | None = None) -> list[RolloutStep]:
    """Make one workload's replicas what `wanted` (its capsules in the input) says, keeping it serving."""
    first = wanted[0]
    namespace, workload = first.namespace or "", first.workload or ""
    running = {r.name: r for r in replicas_of(ctx, namespace, workload)}
    steps: list[RolloutStep] = []
    kept = [c for c in wanted if c.name in running]
    new = [c for c in wanted if c.name not in running]
    old = sorted((r for n, r in running.items() if n not in {c.name for c in wanted}), key=lambda r: r.created_at)
    for capsule in kept:
        record = running[capsule.name]
        if record.spec == normalized(capsule):
            steps.append(RolloutStep(capsule.name, "unchanged", record.host))
            continue
        try:
            done = await update_capsule(ctx, capsule, secrets, timeout=timeout, settle=settle, source="apply",
                                        on_progress=on_progress, refresh=False)
            steps.append(RolloutStep(capsule.name, "updated", done.host))
        except CapsuleError as exc:
            steps.append(RolloutStep(capsule.name, "failed", error=exc))
            return steps  # a replica that would not update: the rest keep their old revision
    while new or old:
        if new:
            capsule = new.pop(0)
            try:
                made = await create_all(ctx, Translation([capsule], secrets), host=None, wait=True, timeout=timeout,
                                        on_progress=on_progress, options=None)
                steps.append(RolloutStep(capsule.name, "created", made[-1].host))
            except CapsuleError as exc:
                # The new replica did not come up: the old ones stay, serving, as Kubernetes leaves them.
                steps.append(RolloutStep(capsule.name, "failed", error=exc))
                return steps
        if old:
            record = old.pop(0)
            await _delete(ctx, record)
            steps.append(RolloutStep(record.name, "deleted", record.host))
            await application_flow.sync(ctx, [namespace])
    return steps
