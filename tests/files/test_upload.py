"""Uploads: streamed, limited as they stream, typed by content, cleaned, named safely,
stored once per content, scoped like the request, soft-deleted with an audit trail."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import func, select

import files_samples as samples
from builders import make_user
from companies import make_company
from files_samples import LIMIT, PER_REQUEST, upload
from oversight.audit.models import AuditEvent
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.files.models import Attachment, Blob
from oversight.vocabulary import Role


def _stored(files_settings, sha256: str) -> bytes:
    return (files_settings.files.hot_dir / sha256[:2] / sha256).read_bytes()


def _spool_empty(files_settings) -> bool:
    incoming = files_settings.files.hot_dir / "incoming"
    return not incoming.exists() or not any(incoming.iterdir())


def test_client_attaches_a_photo_to_own_request(files_client, session, auth, files_settings):
    world = make_company(session)
    response = upload(files_client, world.request.id, samples.jpeg(), auth(world.contact))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "image/jpeg"
    assert body["filename"] == "photo.jpg"
    assert body["tier"] == "hot"
    assert body["preview_state"] == "pending"
    assert _stored(files_settings, body["sha256"])[:3] == b"\xff\xd8\xff"
    assert _spool_empty(files_settings)


def test_a_file_of_exactly_the_limit_is_accepted(files_client, session, auth, files_settings):
    world = make_company(session)
    body = samples.padded_png(LIMIT)
    response = upload(files_client, world.request.id, body, auth(world.engineer), "p.png")
    assert response.status_code == 201, response.text


def test_one_byte_over_the_limit_is_413_and_leaves_nothing(files_client, session, auth,
                                                          files_settings):  # fmt: skip
    world = make_company(session)
    body = samples.padded_png(LIMIT + 1)
    response = upload(files_client, world.request.id, body, auth(world.engineer), "p.png")
    assert response.status_code == 413, response.text
    assert str(LIMIT) in response.json()["error"]["message"]
    assert _spool_empty(files_settings)
    session.info.pop(PRINCIPAL_KEY, None)
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_body_far_over_the_limit_is_refused_before_the_route(files_client, session, auth):
    world = make_company(session)
    body = b"\xff\xd8\xff" + b"\x00" * (LIMIT + 200_000)
    response = upload(files_client, world.request.id, body, auth(world.engineer))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_renamed_executable_is_refused_by_content(files_client, session, auth, files_settings):
    world = make_company(session)
    response = upload(files_client, world.request.id, samples.executable(), auth(world.contact),
                      "holiday.jpg", "image/jpeg")  # fmt: skip
    assert response.status_code == 415, response.text
    assert "by its content" in response.json()["error"]["message"]
    assert _spool_empty(files_settings)


def test_an_empty_file_is_refused(files_client, session, auth):
    world = make_company(session)
    response = upload(files_client, world.request.id, b"", auth(world.contact))
    assert response.status_code == 415
    assert "empty" in response.json()["error"]["message"]


def test_a_polyglot_image_is_stored_without_its_payload(files_client, session, auth,
                                                       files_settings):  # fmt: skip
    """A valid JPEG with a ZIP (and a PDF header) behind it: the image is kept, the rest is not."""
    world = make_company(session)
    hostile = samples.jpeg() + samples.zip_payload() + b"%PDF-1.4\n"
    response = upload(files_client, world.request.id, hostile, auth(world.contact))
    assert response.status_code == 201, response.text
    stored = _stored(files_settings, response.json()["sha256"])
    assert b"PK\x03\x04" not in stored
    assert b"%PDF" not in stored
    assert b"evil.js" not in stored
    Image.open(io.BytesIO(stored)).load()


def test_a_pdf_with_javascript_is_refused(files_client, session, auth):
    world = make_company(session)
    response = upload(files_client, world.request.id, samples.active_pdf(), auth(world.engineer),
                      "act.pdf", "application/pdf")  # fmt: skip
    assert response.status_code == 415
    assert "active content" in response.json()["error"]["message"]


def test_a_truncated_image_is_refused(files_client, session, auth):
    world = make_company(session)
    response = upload(files_client, world.request.id, samples.jpeg()[:200], auth(world.contact))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_upload"


def test_a_path_traversal_name_is_reduced_to_a_safe_name(files_client, session, auth,
                                                        files_settings):  # fmt: skip
    world = make_company(session)
    name = "../../etc/pass\u202ewd.pdf"
    response = upload(files_client, world.request.id, samples.pdf(), auth(world.engineer),
                      name, "application/pdf")  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "passwd.pdf"
    assert not (files_settings.files.hot_dir.parent / "etc").exists()


def test_the_name_gets_the_extension_of_the_content(files_client, session, auth):
    world = make_company(session)
    response = upload(files_client, world.request.id, samples.pdf(), auth(world.engineer),
                      "act.exe", "application/octet-stream")  # fmt: skip
    assert response.json()["filename"] == "act.exe.pdf"
    assert response.json()["content_type"] == "application/pdf"


def test_exif_location_and_camera_are_stripped_orientation_kept(files_client, session, auth,
                                                               files_settings):  # fmt: skip
    world = make_company(session)
    original = samples.jpeg(orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get(samples.GPS_TAG) is not None
    response = upload(files_client, world.request.id, original, auth(world.engineer))
    exif = Image.open(io.BytesIO(_stored(files_settings, response.json()["sha256"]))).getexif()
    assert samples.GPS_TAG not in exif
    assert samples.MAKE_TAG not in exif
    assert samples.MODEL_TAG not in exif
    assert exif.get(samples.ORIENTATION_TAG) == 6


def test_the_same_content_is_stored_once(files_client, session, auth):
    world = make_company(session)
    body = samples.pdf()
    first = upload(files_client, world.request.id, body, auth(world.engineer), "a.pdf")
    second = upload(files_client, world.request.id, body, auth(world.contact), "b.pdf")
    assert first.status_code == second.status_code == 201
    assert first.json()["sha256"] == second.json()["sha256"]
    assert first.json()["id"] != second.json()["id"]
    session.info.pop(PRINCIPAL_KEY, None)
    blobs = session.scalars(select(Blob).where(Blob.sha256 == first.json()["sha256"])).all()
    assert len(blobs) == 1


def test_the_count_per_request_is_limited(files_client, session, auth):
    world = make_company(session)
    for n in range(PER_REQUEST):
        response = upload(
            files_client, world.request.id, samples.png(8 + n, 8), auth(world.manager)
        )
        assert response.status_code == 201, response.text
    refused = upload(files_client, world.request.id, samples.png(3, 3), auth(world.manager))
    assert refused.status_code == 409
    assert str(PER_REQUEST) in refused.json()["error"]["message"]


def test_another_companys_request_is_404(files_client, session, auth, files_settings):
    mine, theirs = make_company(session), make_company(session)
    response = upload(files_client, theirs.request.id, samples.jpeg(), auth(mine.contact))
    assert response.status_code == 404
    assert _spool_empty(files_settings)


def test_a_form_without_a_file_part_is_422(files_client, session, auth):
    world = make_company(session)
    response = files_client.post(
        f"/api/v1/requests/{world.request.id}/attachments",
        data={"note": "no file"},
        files={"other": ("x.txt", b"hello", "text/plain")},
        headers=auth(world.contact),
    )
    assert response.status_code == 422
    assert "'file'" in response.json()["error"]["message"]


def test_list_and_soft_delete_are_audited(files_client, session, auth):
    world = make_company(session)
    created = upload(files_client, world.request.id, samples.pdf(), auth(world.engineer), "a.pdf")
    ident = created.json()["id"]
    listed = files_client.get(
        f"/api/v1/requests/{world.request.id}/attachments", headers=auth(world.contact)
    )
    assert [row["id"] for row in listed.json()["items"]] == [ident]
    refused = files_client.delete(f"/api/v1/attachments/{ident}", headers=auth(world.contact))
    assert refused.status_code == 403  # a client may delete only what they uploaded
    deleted = files_client.delete(f"/api/v1/attachments/{ident}", headers=auth(world.engineer))
    assert deleted.status_code == 204
    again = files_client.get(
        f"/api/v1/requests/{world.request.id}/attachments", headers=auth(world.contact)
    )
    assert again.json() == {"items": [], "page": 1, "page_size": 50, "total": 0}
    assert (
        files_client.get(f"/api/v1/attachments/{ident}", headers=auth(world.engineer)).status_code
        == 404
    )
    session.info.pop(PRINCIPAL_KEY, None)
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity_type == "attachment", AuditEvent.entity_id == str(ident)
        )
    ).all()
    assert "attachment.create" in actions
    assert "attachment.update" in actions


def test_viewer_may_list_but_not_upload(files_client, session, auth):
    world = make_company(session)
    viewer = make_user(session, Role.viewer)
    listed = files_client.get(
        f"/api/v1/requests/{world.request.id}/attachments", headers=auth(viewer)
    )
    assert listed.status_code == 200
    refused = upload(files_client, world.request.id, samples.jpeg(), auth(viewer))
    assert refused.status_code == 403


def test_safe_filename_drops_directories_controls_and_reserved_characters():
    from oversight.files.content import JPEG, PDF, safe_filename

    assert safe_filename("..\\..\\windows\\sys\x00tem\r\n32.pdf", PDF) == "system32.pdf"
    assert safe_filename("  ...hidden.jpeg  ", JPEG) == "hidden.jpeg"
    assert safe_filename('a<b>:c"|?*.jpg', JPEG) == "a_b__c____.jpg"
    assert safe_filename(None, PDF) == "attachment.pdf"
    assert safe_filename("../..", PDF) == "attachment.pdf"
    long = safe_filename("я" * 300 + ".pdf", PDF)
    assert long.endswith(".pdf")
    assert len(long.encode()) <= 200


def test_the_upload_stops_reading_one_byte_past_the_limit(tmp_path):
    """The receiver counts the file's bytes as the server hands them over and stops at the
    first chunk past the limit: the rest of the body is never read, the spool file is gone.
    (The test client buffers whole bodies, so this drives the receiver as the server does.)"""
    import asyncio

    import pytest
    from starlette.requests import Request

    from oversight.files.errors import FileTooLarge
    from oversight.files.upload import receive_file

    boundary = "streamedboundary42"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"'
        "\r\nContent-Type: image/jpeg\r\n\r\n"
    ).encode()
    chunk, limit = 65536, 1_000_000
    messages = [head] + [b"\xff" * chunk] * 64 + [f"\r\n--{boundary}--\r\n".encode()]
    read = 0

    async def receive():  # type: ignore[no-untyped-def]
        nonlocal read
        read += 1
        return {
            "type": "http.request",
            "body": messages[read - 1],
            "more_body": read < len(messages),
        }

    content_type = f"multipart/form-data; boundary={boundary}".encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-type", content_type)],
    }
    spool = tmp_path / "spool"
    with pytest.raises(FileTooLarge):
        asyncio.run(receive_file(Request(scope, receive), spool, limit))
    assert read == 1 + limit // chunk + 1  # the head, the chunks within the limit, one more
    assert not spool.exists()


def test_an_heic_photo_is_stored_as_a_clean_jpeg(files_client, session, auth, files_settings):
    world = make_company(session)
    response = upload(files_client, world.request.id, samples.heic(), auth(world.contact),
                      "IMG_0001.HEIC", "application/octet-stream")  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == "image/jpeg"
    assert response.json()["filename"].endswith(".jpg")
    stored = Image.open(io.BytesIO(_stored(files_settings, response.json()["sha256"])))
    assert stored.format == "JPEG"
    # libheif decodes upright (orientation 6: a quarter turn): no orientation is left to apply
    assert stored.size == (32, 64)
    exif = stored.getexif()
    assert samples.GPS_TAG not in exif
    assert samples.MAKE_TAG not in exif
    assert exif.get(samples.ORIENTATION_TAG) in (None, 1)
