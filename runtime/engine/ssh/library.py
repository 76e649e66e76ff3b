"""asyncssh, imported without its slow search for liboqs where liboqs plainly is not installed.

On import, asyncssh's `crypto.pq` asks `ctypes.util.find_library` for liboqs (for the
sntrup761 key exchange), twice ('oqs', 'liboqs'). On Linux each miss runs ldconfig,
then gcc and ld when a compiler is installed: about 17 ms of a command's start-up for
nothing on a machine without liboqs. Here a name that appears neither in the dynamic
linker's cache nor in the usual library folders is answered "not found" at once;
wherever liboqs may be, ctypes searches as it always does, so what asyncssh offers
(sntrup761 included) is the same as with a plain `import asyncssh`.

Every module of this package imports asyncssh from here, never directly: the first
import decides. Nothing else is changed, and `ctypes.util.find_library` is put back
as soon as asyncssh is imported.
"""

from __future__ import annotations

import ctypes.util
import functools
import glob
import os
import sys
from pathlib import Path
from types import ModuleType

_OQS_NAMES = ("oqs", "liboqs")
_LINKER_CACHE = Path("/etc/ld.so.cache")
_LIBRARY_FOLDERS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64",
                    "/lib/*-linux-*", "/usr/lib/*-linux-*", "/usr/local/lib/*-linux-*")


@functools.cache
def oqs_may_be_installed() -> bool:
    """False only when liboqs is surely not where the dynamic linker or ctypes would find it."""
    if not sys.platform.startswith("linux"):
        return True  # elsewhere find_library runs no programs: let it look
    try:
        if b"liboqs" in _LINKER_CACHE.read_bytes():
            return True
    except OSError:
        return True  # no cache to read: cannot tell cheaply
    folders = [f for f in os.environ.get("LD_LIBRARY_PATH", "").split(":") if f] + list(_LIBRARY_FOLDERS)
    return any(glob.glob(os.path.join(folder, "liboqs.so*")) for folder in folders)


def _import() -> ModuleType:
    if "asyncssh" in sys.modules:
        return sys.modules["asyncssh"]
    real = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        if name in _OQS_NAMES and not oqs_may_be_installed():
            return None
        return real(name)

    ctypes.util.find_library = find_library
    try:
        import asyncssh
    finally:
        ctypes.util.find_library = real
    return asyncssh


asyncssh = _import()
