"""A pod's and its containers' securityContext → the spec's PodSecurityContext and SecurityContext.

Kubernetes merges the two: runAsUser, runAsGroup, runAsNonRoot and seccompProfile of
the pod are defaults that a container's own securityContext overrides; fsGroup,
supplementalGroups and sysctls are the pod's only. Sysctls outside Kubernetes' safe set
(translate.spec.SAFE_SYSCTLS) are errors, as the kubelet refuses them; a Localhost
seccomp profile is one too (capsule cannot place a profile file on the host); an
Unconfined one is kept, with the warning that `capsule create` refuses it without
--allow-privileged. It must not import the kubernetes package.
"""

from __future__ import annotations

from dataclasses import dataclass

from translate.diagnostics import Path
from translate.fields import UNCONFINED_SECCOMP, seccomp_localhost_problem, sysctl_problem
from translate.host_access import PRIVILEGED_FLAG, warn_dangerous_capabilities, warn_refused_without
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import (
    CAPABILITIES_FIELDS,
    POD_SECURITY_CONTEXT_FIELDS,
    SECCOMP_PROFILE_FIELDS,
    SECURITY_CONTEXT_FIELDS,
    SYSCTL_FIELDS,
)
from translate.spec import (
    SECCOMP_DEFAULT,
    SECCOMP_UNCONFINED,
    PodSecurityContext,
    SecurityContext,
)

_INT32_MAX = 2**31 - 1
_LOCALHOST = "Localhost"


@dataclass(frozen=True)
class ContainerDefaults:
    """The pod-level settings every container takes unless its own securityContext sets them."""

    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    seccomp_profile: str | None = None


def read_pod_security(r: KubeFieldReader, path: Path) -> tuple[PodSecurityContext, ContainerDefaults]:
    """The pod's securityContext at `path`: its own settings, and the containers' defaults."""
    r.sort(path, POD_SECURITY_CONTEXT_FIELDS, where="the pod's securityContext")
    groups = []
    for index in range(len(r.items(path + ("supplementalGroups",)))):
        group = _id(r, path + ("supplementalGroups", index), "a group id")
        if group is not None:
            groups.append(group)
    pod = PodSecurityContext(
        supplemental_groups=tuple(dict.fromkeys(groups)),
        fs_group=_id(r, path + ("fsGroup",), "a group id"),
        sysctls=_sysctls(r, path + ("sysctls",)),
    )
    defaults = ContainerDefaults(
        run_as_user=_id(r, path + ("runAsUser",), "a user id"),
        run_as_group=_id(r, path + ("runAsGroup",), "a group id"),
        run_as_non_root=_flag(r, path + ("runAsNonRoot",)),
        seccomp_profile=read_seccomp(r, path + ("seccompProfile",)),
    )
    return pod, defaults


def read_container_security(r: KubeFieldReader, path: Path, defaults: ContainerDefaults) -> SecurityContext:
    """A container's securityContext at `path`, merged over the pod's defaults."""
    r.sort(path, SECURITY_CONTEXT_FIELDS, where="securityContext")
    caps = path + ("capabilities",)
    r.sort(caps, CAPABILITIES_FIELDS, where="capabilities")
    added = r.texts(caps + ("add",))
    warn_dangerous_capabilities(r, caps + ("add",), added)  # create refuses them without a flag
    user = _id(r, path + ("runAsUser",), "a user id")
    group = _id(r, path + ("runAsGroup",), "a group id")
    non_root = _flag(r, path + ("runAsNonRoot",))
    escalation = _flag(r, path + ("allowPrivilegeEscalation",))
    seccomp = read_seccomp(r, path + ("seccompProfile",))
    return SecurityContext(
        privileged=r.boolean(path + ("privileged",)),
        capabilities_add=added,
        capabilities_drop=r.texts(caps + ("drop",)),
        run_as_user=user if user is not None else defaults.run_as_user,
        run_as_group=group if group is not None else defaults.run_as_group,
        read_only_root_filesystem=r.boolean(path + ("readOnlyRootFilesystem",)),
        run_as_non_root=bool(non_root if non_root is not None else defaults.run_as_non_root),
        allow_privilege_escalation=escalation is not False,
        seccomp_profile=seccomp or defaults.seccomp_profile or SECCOMP_DEFAULT,
    )


def read_seccomp(r: KubeFieldReader, path: Path) -> str | None:
    """The profile's type (RuntimeDefault or Unconfined); None when none is given."""
    if not isinstance(r.raw(path), dict):
        r.mapping(path)  # records a wrong type, if any
        return None
    r.sort(path, SECCOMP_PROFILE_FIELDS, where="a seccompProfile")
    kind = r.text(path + ("type",), required=True, expected="RuntimeDefault, Unconfined or Localhost")
    if kind == _LOCALHOST:
        r.error(path + ("type",), *seccomp_localhost_problem())
        return None
    if kind not in (SECCOMP_DEFAULT, SECCOMP_UNCONFINED, None):
        r.error(path + ("type",), f"found '{kind}', expected RuntimeDefault, Unconfined or Localhost")
        return None
    if kind == SECCOMP_UNCONFINED:
        warn_refused_without(r, path + ("type",), UNCONFINED_SECCOMP, PRIVILEGED_FLAG)
    return kind


def _sysctls(r: KubeFieldReader, path: Path) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for index in range(len(r.items(path, expected="a list of sysctls (name and value)"))):
        item = path + (index,)
        r.sort(item, SYSCTL_FIELDS, where="a sysctl")
        name = r.text(item + ("name",), required=True, expected="a sysctl name such as net.ipv4.tcp_syncookies")
        value = r.text(item + ("value",), required=True, expected="the sysctl's value, as a string")
        if name is None or value is None:
            continue
        if problem := sysctl_problem(name):
            r.error(item + ("name",), *problem)
        elif name in out:
            r.error(item + ("name",), f"sysctl '{name}' is set twice", "set each sysctl once")
        else:
            out[name] = value
    return tuple(out.items())


def _id(r: KubeFieldReader, path: Path, expected: str) -> int | None:
    return r.integer(path, low=0, high=_INT32_MAX, expected=expected)


def _flag(r: KubeFieldReader, path: Path) -> bool | None:
    """A boolean that may be unset (None), for the pod's value to show through."""
    if r.raw(path) is None:
        return None
    return r.boolean(path)
