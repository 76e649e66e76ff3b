"""Operations on a running capsule: logs, exec and top, cp, lifecycle (start, stop,
restart, pause), adding a member (`capsule run`). Each takes a host's engine and the
observed capsule; the service finds them (runtime.observe.lookup) and calls these.
"""
