"""Encrypted model fields: plaintext in Python, only ciphertext in the row, bound to its place."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from builders import make_customer, make_user
from oversight.auth.models import User
from oversight.customers.models import Customer
from oversight.db.encrypted import UndecryptableField, bind_keyring, keyring_for
from oversight.security.fieldcrypt import Keyring
from oversight.vocabulary import Role

CONTACT = {
    "contact_person": "Irina Volkova",
    "phone": "+7 916 555-12-34",
    "email": "Irina.Volkova@volkova.example",
}


def raw_row(session, table: str, row_id: int) -> dict:
    return dict(
        session.connection()
        .execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id})  # noqa: S608
        .mappings()
        .one()
    )


def reloaded(session, model, row_id):
    session.expire_all()
    return session.get(model, row_id)


def test_the_row_holds_no_plaintext_and_the_attribute_reads_it_back(session):
    customer = make_customer(session, **CONTACT)
    row = raw_row(session, "customers", customer.id)
    # Every stored value as text and as bytes (timestamps and ciphertexts may contain short
    # digit runs by chance, so fragments are checked at lengths chance will not produce).
    stored = [
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for value in row.values()
    ]
    for fragment in ("irina", "volkova", "555-12-34", "5551234", "916 555"):
        for value in stored:
            assert fragment.encode() not in value.lower(), (fragment, value)
    assert set(row) >= {"contact_person_ct", "phone_ct", "phone_bidx", "email_ct", "row_uid"}
    assert not {"contact_person", "phone", "email"} & set(row)
    again = reloaded(session, Customer, customer.id)
    assert (again.contact_person, again.phone, again.email) == tuple(CONTACT.values())


def test_user_name_email_and_phone_are_encrypted(session):
    user = make_user(
        session, Role.engineer, full_name="Pavel Orlov", email="p@o.example", phone="+7 999 1"
    )
    stored = repr(raw_row(session, "users", user.id))
    assert "Pavel" not in stored
    assert "p@o.example" not in stored
    again = reloaded(session, User, user.id)
    assert (again.full_name, again.email, again.phone) == ("Pavel Orlov", "p@o.example", "+7 999 1")


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(session):
    victim = make_customer(session, **CONTACT)
    other = make_customer(session)
    session.connection().execute(
        text(
            "UPDATE customers SET phone_ct = (SELECT phone_ct FROM customers WHERE id = :a)"
            " WHERE id = :b"
        ),
        {"a": victim.id, "b": other.id},
    )
    moved = reloaded(session, Customer, other.id)
    with pytest.raises(
        UndecryptableField, match=rf"customers\.phone of row id={other.id}.*another row or column"
    ):
        _ = moved.phone


def test_a_ciphertext_moved_to_another_column_does_not_decrypt(session):
    customer = make_customer(session, **CONTACT)
    session.connection().execute(
        text("UPDATE customers SET email_ct = phone_ct WHERE id = :id"), {"id": customer.id}
    )
    with pytest.raises(UndecryptableField, match=r"customers\.email"):
        _ = reloaded(session, Customer, customer.id).email


def test_the_same_ciphertext_under_another_table_does_not_decrypt(session):
    user = make_user(session, Role.engineer, phone="+7 999 111")
    customer = make_customer(session)
    session.connection().execute(
        text(
            "UPDATE customers SET phone_ct = (SELECT phone_ct FROM users WHERE id = :u), "
            "row_uid = (SELECT row_uid FROM users WHERE id = :u) WHERE id = :c"
        ),
        {"u": user.id, "c": customer.id},
    )
    with pytest.raises(UndecryptableField):
        _ = reloaded(session, Customer, customer.id).phone


def test_setting_the_same_value_keeps_the_ciphertext(session):
    customer = make_customer(session, **CONTACT)
    before = customer.phone_ct
    customer.phone = CONTACT["phone"]
    assert customer.phone_ct == before
    assert customer not in session.dirty


def test_clearing_a_value_clears_ciphertext_and_index(session):
    customer = make_customer(session, **CONTACT)
    customer.phone = None
    session.flush()
    row = raw_row(session, "customers", customer.id)
    assert row["phone_ct"] is None
    assert row["phone_bidx"] is None
    assert reloaded(session, Customer, customer.id).phone is None


def test_a_row_still_on_an_old_key_is_resealed_whole_when_edited(session, engine, settings):
    old = keyring_for(session)
    customer = make_customer(session, **CONTACT)
    assert customer.pii_key_id == old.active_key_id
    rotated = Keyring(
        {**{k: old.key_bytes(k) for k in old.key_ids}, "next": Keyring.generate().key_bytes("k1")},
        active="next",
    )
    bind_keyring(engine, rotated)
    try:
        again = reloaded(session, Customer, customer.id)
        again.email = "new@volkova.example"
        session.flush()
        assert again.pii_key_id == "next"
        for sealed in (again.email_ct, again.phone_ct, again.contact_person_ct):
            assert Keyring.key_id_of(sealed) == "next"
        assert reloaded(session, Customer, customer.id).phone == CONTACT["phone"]
    finally:
        bind_keyring(engine, settings.encryption.keyring)


def test_an_object_built_outside_a_session_is_sealed_at_flush(session):
    customer = Customer(name="Built Outside LLC", phone="+7 1 2 3")
    assert customer.phone == "+7 1 2 3"
    assert customer.phone_ct is None
    session.add(customer)
    session.flush()
    assert customer.phone_ct is not None
    found = session.scalar(select(Customer).where(Customer.phone.candidates(session, "7123")))
    assert found is customer


def test_a_damaged_value_can_be_overwritten(session):
    customer = make_customer(session, **CONTACT)
    session.connection().execute(
        text("UPDATE customers SET email_ct = phone_ct WHERE id = :id"), {"id": customer.id}
    )
    damaged = reloaded(session, Customer, customer.id)
    damaged.email = "fixed@volkova.example"
    session.flush()
    assert reloaded(session, Customer, customer.id).email == "fixed@volkova.example"
