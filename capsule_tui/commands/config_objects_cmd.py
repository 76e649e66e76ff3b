"""`capsule list configmaps|secrets` and `capsule delete configmap/NAME|secret/NAME`.

The ConfigMaps and Secrets that `capsule create -f` stored (runtime/state/config_objects.py)
are namespaced like capsules (`-n NAMESPACE`; delete's default is `default`). A list
shows names, namespace, keys and age, never a value, in every output format. They
live in this machine's state store, not on a host, so no engine is asked.
"""

from __future__ import annotations

import argparse
import sys
import time

from capsule_tui.commands.exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, error, run_with_service
from capsule_tui.commands.output import age, dump, table

CONFIG_MAP, SECRET = "ConfigMap", "Secret"  # translate/references.py's kinds, without importing it here


def kind_of(word: str) -> str | None:
    """The kind for the words kubectl takes (configmaps, cm, secret, ...), else None."""
    word = word.lower()
    if word in ("configmap", "configmaps", "cm"):
        return CONFIG_MAP
    if word in ("secret", "secrets"):
        return SECRET
    return None


def list_objects(command: str, args: argparse.Namespace, kind: str) -> int:
    if args.selector:
        error(command, f"-l selects capsules; {kind}s have no labels here")
        return EXIT_BAD_INPUT

    async def work(service) -> int:
        found = service.config_objects(kind, args.namespace)
        if args.output in ("json", "yaml"):
            dump({"items": [{"kind": o.kind, "namespace": o.namespace, "name": o.name, "keys": list(o.keys),
                             "createdAt": o.created_at} for o in found]}, args.output)
            return EXIT_OK
        if not found:
            where = f" in namespace {args.namespace}" if args.namespace is not None else ""
            print(f"No {kind}s found{where}.", file=sys.stderr)
            return EXIT_OK
        now = time.time()
        table(("NAMESPACE", "NAME", "KEYS", "AGE"),
              [(o.namespace, o.name, ",".join(o.keys) or "-", age(now - o.created_at)) for o in found])
        return EXIT_OK

    return run_with_service(command, work)


def delete_objects(command: str, names: list[str], namespace: str) -> int:
    """Delete KIND/NAME for each name (kinds checked by the caller); exit 1 when one is not there."""

    async def work(service) -> int:
        code = EXIT_OK
        for word in names:
            prefix, name = word.split("/", 1)
            kind = kind_of(prefix)
            assert kind is not None
            if not name:
                error(command, f"{prefix}/ needs a name after it: {prefix}/NAME")
                code = EXIT_BAD_INPUT
            elif service.delete_config_object(kind, namespace, name):
                print(f"{kind.lower()} {name} deleted from namespace {namespace}")
            else:
                error(command, f"{kind} {namespace}/{name} is not stored; capsule list {kind.lower()}s -n "
                      f"{namespace} shows the ones that are")
                code = max(code, EXIT_FAILED)
        return code

    return run_with_service(command, work)


def forget_config_objects(service, translation) -> None:  # type: ignore[no-untyped-def]
    """`delete -f FILE`: remove the ConfigMaps and Secrets FILE defines from the store, one line each.

    One that is not stored (never created, or deleted already) is said, not an error: the
    file's other objects are what -f asks for, as with kubectl delete --ignore-not-found.
    """
    for obj in translation.config_objects:
        if service.delete_config_object(obj.kind, obj.namespace, obj.name):
            print(f"{obj.kind.lower()} {obj.name} deleted from namespace {obj.namespace}")
        else:
            print(f"{obj.kind.lower()} {obj.name} was not stored in namespace {obj.namespace}", file=sys.stderr)
