"""The labels capsule puts on every container and volume it makes, and their values.

They are how the hosts are the truth: a container's labels name its capsule, uuid,
role and member, so any command on any machine rebuilds what runs from one list
call (runtime.observe), removes it (runtime.build.teardown), or sweeps what a dead
create left (by the uuid label). Changing a key or value here orphans what older
versions made.

Constants only; this module must not import anything.
"""

# Label keys set on every container and volume the runtime makes.
LABEL_MANAGED_BY = "capsule.managed-by"
LABEL_NAME = "capsule.name"
LABEL_UUID = "capsule.uuid"
LABEL_ROLE = "capsule.role"  # sandbox | member | init
LABEL_MEMBER = "capsule.member"
LABEL_REVISION = "capsule.revision"
LABEL_SPEC = "capsule.spec"  # normalized spec as JSON, secret values never included
LABEL_VOLUME = "capsule.volume"
LABEL_SCOPE = "capsule.scope"  # capsule | persistent
SCOPE_CAPSULE, SCOPE_PERSISTENT = "capsule", "persistent"  # its values (runtime.build.volumes sets them)
MANAGED_BY = "capsule"

ROLE_SANDBOX = "sandbox"
ROLE_MEMBER = "member"
ROLE_INIT = "init"
ROLE_SIDECAR = "sidecar"  # a native sidecar: an init container with restartPolicy Always, kept running
ROLE_HELPER = "helper"  # volume upload helpers: never started, removed at once; not part of a capsule
ROLE_FORWARDER = "forwarder"  # relays a Service's port to its targetPort inside a capsule (runtime.services)
ROLE_SERVICE = "service"  # a Service's proxy (or, headless, its record): part of no capsule
NOT_CAPSULE_ROLES = frozenset({ROLE_HELPER, ROLE_SERVICE})

# Services and namespaces (runtime.services): on a Service's container, and on the
# namespace's network; capsules carry their namespace in the capsule.spec label.
LABEL_NAMESPACE = "capsule.namespace"
LABEL_SERVICE = "capsule.service"  # the Service's name
LABEL_SERVICE_SPEC = "capsule.service-spec"  # Service.to_dict() as JSON
