"""Signed links: usable without the bearer token, refused with 403 naming the reason when
expired or altered, scoped to the user they were signed for, every use audited and logged."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

import files_samples as samples
from companies import make_company
from files_samples import upload
from oversight.audit.models import AuditEvent
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.files import previews, signing
from oversight.files.errors import LinkRefused
from oversight.files.models import Blob


def _attached(files_client, session, auth, body=None):
    world = make_company(session)
    body = body or samples.pdf()
    response = upload(files_client, world.request.id, body, auth(world.contact), "a.pdf")
    assert response.status_code == 201, response.text
    return world, response.json() | {"body": body}


def _links(files_client, auth, user, ident) -> dict:
    response = files_client.post(f"/api/v1/attachments/{ident}/links", headers=auth(user))
    assert response.status_code == 200, response.text
    return response.json()


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()} | changes
    return f"{parts.path}?{urlencode(query)}"


def test_a_signed_link_downloads_without_a_token_and_is_audited(
    files_client, session, auth, json_logs
):
    world, attached = _attached(files_client, session, auth)
    links = _links(files_client, auth, world.engineer, attached["id"])
    json_logs()
    response = files_client.get(links["download_url"])
    assert response.status_code == 200, response.text
    assert response.content == attached["body"]
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="a.pdf"' in response.headers["content-disposition"]
    request_id = response.headers["x-request-id"]
    line = next(line for line in json_logs() if line.get("action") == "attachment_download")
    assert line["request_id"] == request_id
    assert line["user_id"] == world.engineer.id
    session.info.pop(PRINCIPAL_KEY, None)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attachment.download")
    ).one()
    assert event.request_id == request_id
    assert event.actor_id == world.engineer.id
    assert event.entity_id == str(attached["id"])


def test_an_expired_link_is_403_saying_expired(files_client, session, auth, files_settings):
    world, attached = _attached(files_client, session, auth)
    path = f"/api/v1/files/{attached['id']}/content"
    ttl = files_settings.files.link_ttl_seconds
    url = signing.sign(files_settings, path, world.contact.id, now=time.time() - ttl - 1)
    response = files_client.get(url)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "link refused: expired"


@pytest.mark.parametrize(
    "change",
    [{"expires": "9999999999"}, {"user": "1"}, {"sig": "0" * 64}],
    ids=["longer-expiry", "other-user", "forged-signature"],
)
def test_an_altered_link_is_403_saying_altered(files_client, session, auth, change):
    world, attached = _attached(files_client, session, auth)
    links = _links(files_client, auth, world.contact, attached["id"])
    response = files_client.get(_with(links["download_url"], **change))
    assert response.status_code == 403
    assert "signature does not match" in response.json()["error"]["message"]


def test_a_link_for_one_file_does_not_open_another(files_client, session, auth):
    world, attached = _attached(files_client, session, auth)
    links = _links(files_client, auth, world.contact, attached["id"])
    other = links["download_url"].replace(
        f"/files/{attached['id']}/", f"/files/{attached['id'] + 1}/"
    )
    response = files_client.get(other)
    assert response.status_code == 403


def test_a_link_without_its_signature_is_403_malformed(files_client, session, auth):
    _world, attached = _attached(files_client, session, auth)
    response = files_client.get(f"/api/v1/files/{attached['id']}/content")
    assert response.status_code == 403
    assert "malformed" in response.json()["error"]["message"]


def test_a_link_follows_the_signers_current_scope(files_client, session, auth, files_settings):
    """A link signed for someone who cannot see the file (or no longer can) opens nothing."""
    _, attached = _attached(files_client, session, auth)
    stranger = make_company(session).contact
    url = signing.sign(files_settings, f"/api/v1/files/{attached['id']}/content", stranger.id)
    assert files_client.get(url).status_code == 404


def test_the_key_is_derived_from_the_jwt_key(files_settings):
    path = "/api/v1/files/1/content"
    url = signing.sign(files_settings, path, 7)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    signing.verify(files_settings, path, **query)
    rotated = files_settings.model_copy(
        update={"auth": files_settings.auth.model_copy(update={"jwt_secret": None, "jwt_keys": {}})}
    )
    with pytest.raises(LinkRefused):
        signing.verify(rotated.model_copy(), path, **{**query, "kid": "other"})


def test_the_preview_link_serves_the_thumbnail(files_client, session, auth, files_settings):
    world, attached = _attached(files_client, session, auth, samples.jpeg(800, 400))
    session.info.pop(PRINCIPAL_KEY, None)
    blob = session.scalars(select(Blob).where(Blob.sha256 == attached["sha256"])).one()
    previews.render_blob(files_settings, blob)
    links = _links(files_client, auth, world.contact, attached["id"])
    response = files_client.get(links["preview_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content[:3] == b"\xff\xd8\xff"
