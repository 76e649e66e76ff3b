"""SecretStore: Secrets by namespace and name, read through one namespace's view, never shown."""

from __future__ import annotations

import pytest

from translate.secrets import MASK, SecretMask, SecretScope, SecretStore


def two_namespaces() -> SecretStore:
    secrets = SecretStore()
    secrets.add("db", {"password": b"alpha-password-1"}, "a")
    secrets.add("db", {"password": b"bravo-password-2", "user": b"bravo-user"}, "b")
    secrets.add("tls", {"crt": b"default-cert-3"})  # no namespace: the default one
    return secrets


def test_a_view_reads_its_own_namespace_only() -> None:
    secrets = two_namespaces()
    a, b, default = secrets.of("a"), secrets.of("b"), secrets.of(None)
    assert isinstance(a, SecretScope) and default.namespace == "default"
    assert a.value("db", "password") == b"alpha-password-1"
    assert b.value("db", "password") == b"bravo-password-2"
    assert (a.keys("db"), b.keys("db")) == (("password",), ("password", "user"))
    assert not a.has("tls") and default.has("tls") and not default.has("db")
    assert not secrets.of("c").has("db") and secrets.of("c").keys("db") == ()
    assert (len(a), len(b), len(default), len(secrets.of("c")), len(secrets)) == (1, 1, 1, 0, 3)
    # A miss names namespace/name and key, never a value.
    with pytest.raises(KeyError, match="secret 'a/db' has no key 'user'"):
        a.value("db", "user")
    with pytest.raises(KeyError, match="secret 'c/db'"):
        secrets.of("c").value("db", "password")


def test_a_view_is_live_and_scoping_again_is_the_same_as_scoping_the_store() -> None:
    secrets = SecretStore()
    a = secrets.of("a")
    secrets.add("late", {"k": b"v"}, "a")  # as create adds stored Secrets while it resolves
    assert a.has("late")
    assert a.of("a") == secrets.of("a") and a.of("b") == secrets.of("b")
    assert a.of(None).namespace == "default"


def test_add_merges_keys_of_one_namespace_and_name_only() -> None:
    secrets = two_namespaces()
    secrets.add("db", {"user": b"alpha-user"}, "a")
    assert secrets.of("a").keys("db") == ("password", "user")
    assert secrets.of("b").value("db", "user") == b"bravo-user"


def test_masked_and_repr_cover_every_namespace_and_show_no_value() -> None:
    secrets = two_namespaces()
    assert secrets.masked() == {"a/db": {"password": MASK}, "b/db": {"password": MASK, "user": MASK},
                                "default/tls": {"crt": MASK}}
    assert secrets.of("b").masked() == {"db": {"password": MASK, "user": MASK}}
    texts = [repr(secrets), str(secrets), repr(secrets.of("a")), repr(secrets.of("b")), str(secrets.masked())]
    for value in (b"alpha-password-1", b"bravo-password-2", b"bravo-user", b"default-cert-3"):
        assert not any(value.decode() in text for text in texts)
    assert "a/db" in repr(secrets) and "'b'" in repr(secrets.of("b"))


def test_a_mask_hides_the_values_of_every_namespace_even_given_one_view() -> None:
    for given in (two_namespaces(), two_namespaces().of("a")):
        mask = SecretMask()
        mask.hide(given)
        text = mask("a: alpha-password-1 b: bravo-password-2 bravo-user default-cert-3")
        assert text == f"a: {MASK} b: {MASK} {MASK} {MASK}"


def test_a_copy_is_independent_in_every_namespace() -> None:
    secrets = two_namespaces()
    copy = secrets.copy()
    copy.add("db", {"password": b"changed"}, "a")
    copy.add("new", {"k": b"v"}, "b")
    assert secrets.of("a").value("db", "password") == b"alpha-password-1"
    assert not secrets.of("b").has("new")
    assert copy.of("b").value("db", "password") == b"bravo-password-2" and copy.of("b").has("new")
