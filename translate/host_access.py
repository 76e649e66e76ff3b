"""What reaches past a capsule to its host: dangerous capabilities and host-mounting volume options.

`capsule create` refuses both without a flag (--allow-privileged, --allow-host-path),
as it refuses `privileged` and hostPath volumes: runtime/build/container_config.py and
runtime/build/volume_plan.py raise the refusals, before anything is made. Both readers
(translate/capsule/, translate/kubernetes/) warn about the same fields at translate,
from the same rules, so the two never disagree. Pure: rules over parsed values, and the
warnings a reader records.
"""

from __future__ import annotations

from collections.abc import Iterable

from translate.diagnostics import Path
from translate.fields import FieldReader
from translate.spec import NamedVolume

PRIVILEGED_FLAG = "--allow-privileged"
HOST_PATH_FLAG = "--allow-host-path"

# The local driver mounts what its options say with mount(2), in the engine's own mount
# namespace: whatever it mounts is the host's (a bind of a host folder, a disk such as
# device /dev/sda1 with type ext4, a kernel filesystem such as proc or sysfs, an overlay
# of host folders). Only these types reach nothing of the host's own: tmpfs is memory,
# and nfs and cifs are network mounts, the server's files (what a server shows to the
# host's address is what its admin chose to export).
LOCAL_TYPES_OFF_THE_HOST = ("tmpfs", "nfs", "nfs4", "cifs", "smb3")
BIND_FLAGS = ("bind", "rbind")


def host_access(volume: NamedVolume) -> str:
    """What the volume's driver options reach of the host, as a verb phrase; "" for nothing.

    It reads the parsed options, whatever syntax they were written in. Only the local
    driver is judged: a plugin driver was installed by the host's admin, who decided
    what it may mount.
    """
    if volume.driver != "local":
        return ""
    # The local driver takes exactly these keys (it refuses any other spelling); values
    # are compared in lower case, which can only find more, never less.
    options = dict(volume.driver_options)
    mount_type, device = options.get("type", "").strip().lower(), options.get("device", "").strip()
    flags = {flag.partition("=")[0].strip().lower() for flag in options.get("o", "").split(",")}
    if flags & set(BIND_FLAGS) or mount_type in BIND_FLAGS:
        return f"bind-mount the host path {device or '(no device given)'}"
    if not mount_type and not device:
        return ""  # nothing is mounted: a volume the engine manages in its own folder
    if mount_type in LOCAL_TYPES_OFF_THE_HOST:
        return ""
    if device.startswith("/") and not device.startswith("//"):
        return f"mount the host's {device}" + (f" as {mount_type}" if mount_type else "")
    if not mount_type:
        return f"mount {device} on the host"
    return f"mount a filesystem of type {mount_type} on the host"


def describe_options(options: tuple[tuple[str, str], ...]) -> str:
    """driverOptions as the user reads them: type=none,o=bind,device=/etc."""
    return ",".join(f"{key}={value}" for key, value in options)


# Capabilities that `capsule create` refuses without --allow-privileged, as it refuses
# `privileged`. They are outside Docker's default set (CHOWN, DAC_OVERRIDE, FSETID,
# FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE,
# SYS_CHROOT, KILL, AUDIT_WRITE: moby's oci/caps/defaults.go) and each one lets a member
# reach past its capsule: the host's kernel, devices, clock, logs or security modules,
# other containers' files or memory, or kernel interfaces with a record of container
# escapes. docs/user-guide.md has the table with the reasons. Left out on purpose:
# IPC_OWNER and CHECKPOINT_RESTORE (they act inside the capsule's own IPC and PID
# namespaces), SYS_NICE (the cgroup's CPU limit still holds), SYS_PACCT, SYS_TTY_CONFIG,
# LEASE, NET_BROADCAST, WAKE_ALARM, BLOCK_SUSPEND (nothing of the host's files, memory
# or kernel state is reached through them on a server).
DANGEROUS_CAPABILITIES = (
    "ALL",              # every capability: privileged in all but name
    "SYS_ADMIN",        # mount, namespaces, and much else: the usual way out of a container
    "SYS_MODULE",       # loads code into the host's kernel
    "SYS_RAWIO",        # raw I/O ports and memory of the host
    "SYS_PTRACE",       # reads and changes other processes' memory
    "SYS_BOOT",         # reboots the host, loads a new kernel
    "SYS_TIME",         # sets the host's clock (time is not namespaced)
    "SYS_RESOURCE",     # overrides limits and quotas: the host's reserved disk and memory
    "NET_ADMIN",        # rewrites the capsule's network; netfilter is a known escape surface
    "DAC_READ_SEARCH",  # open_by_handle_at reads any file of the host (the "shocker" escape)
    "LINUX_IMMUTABLE",  # makes files on shared volumes undeletable for the host
    "IPC_LOCK",         # pins memory the host cannot reclaim
    "BPF",              # loads BPF programs into the host's kernel
    "PERFMON",          # traces every process of the host
    "SYSLOG",           # reads the host kernel's log and its addresses
    "AUDIT_CONTROL",    # turns off or rewrites the host's audit rules
    "AUDIT_READ",       # reads the host's audit events
    "MAC_ADMIN",        # reconfigures AppArmor or SELinux, the confinement itself
    "MAC_OVERRIDE",     # bypasses AppArmor or SELinux
)


def capability_name(written: str) -> str:
    """A capability as Docker reads it: in any case, with or without the CAP_ prefix."""
    return written.strip().upper().removeprefix("CAP_")


def dangerous_capabilities(written: Iterable[str]) -> tuple[str, ...]:
    """The capabilities of `written` that need --allow-privileged, each once, by Docker's name."""
    found = dict.fromkeys(capability_name(c) for c in written)
    return tuple(c for c in found if c in DANGEROUS_CAPABILITIES)


def warn_refused_without(r: FieldReader, path: Path, what: str, flag: str) -> None:
    """Warn that `capsule create` refuses the field at `path` unless `flag` is given.

    Not `r.warn`: that is for fields left out of the capsule, and --strict makes it an
    error. This field is kept as written, and `create --strict` with the flag must
    still take it.
    """
    message = f"{what}; capsule create and update refuse this without {flag}"
    hint = f"pass {flag} if this is meant"
    r.report.diagnostics.append(r.doc.diagnostic("warning", path, message, hint))


def warn_dangerous_capabilities(r: FieldReader, path: Path, added: Iterable[str]) -> None:
    """The translate-time side of the builder's refusal of dangerous capabilities."""
    dangerous = dangerous_capabilities(added)
    if dangerous:
        what = (f"adds {', '.join(dangerous)}, which break{'s' if len(dangerous) == 1 else ''} "
                f"the container's isolation from the host")
        warn_refused_without(r, path, what, PRIVILEGED_FLAG)


def warn_host_access(r: FieldReader, path: Path, volume: NamedVolume, *, origin: str = "") -> None:
    """The translate-time side of the builder's refusal of driver options that reach the host.

    `origin` says where the options were written when that is not at `path`.
    """
    reached = host_access(volume)
    if reached:
        given = f" (given in {origin})" if origin else ""
        what = f"the {volume.driver} driver options {describe_options(volume.driver_options)}{given} {reached}"
        warn_refused_without(r, path, what, HOST_PATH_FLAG)
