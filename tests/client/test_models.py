"""The client's models mirror the server's answers field for field, and tolerate new fields."""

from __future__ import annotations

import msgspec
import pytest

from app.client import models
from app.http.routes.v1_downloads import DownloadLink
from app.schemas import accounts, archives, images, imgs_out, operations, ops, sets, uploads
from app.storage import keywords_store

PAIRS = [
    (accounts.MeOut, models.Me),
    (accounts.AccountOut, models.Account),
    (accounts.TokenOut, models.TokenInfo),
    (operations.OperationOut, models.OperationInfo),
    (operations.Progress, models.Progress),
    (ops.OpOut, models.OpInfo),
    (ops.OpError, models.OpError),
    (images.ImageOut, models.Image),
    (images.KeywordOut, models.Keyword),
    (images.VersionOut, models.Version),
    (images.ImageMetadata, models.ImageMetadata),
    (images.CreditOut, models.Credit),
    (images.SetMembershipOut, models.SetMembership),
    (keywords_store.KeywordCount, models.KeywordCount),
    (keywords_store.NamespaceCount, models.NamespaceCount),
    (sets.SetOut, models.Set),
    (sets.SetTreeNode, models.SetTreeNode),
    (sets.SetImageOut, models.SetImage),
    (sets.SnapshotOut, models.Snapshot),
    (uploads.UploadTicket, models.UploadTicket),
    (DownloadLink, models.DownloadLink),
    (archives.ArchiveOut, models.Archive),
    (imgs_out.ImgOut, models.Img),
]


@pytest.mark.parametrize(("served", "decoded"), [pytest.param(s, d, id=d.__name__) for s, d in PAIRS])
def test_every_field_the_server_sends_is_decoded(
    served: type[msgspec.Struct], decoded: type[msgspec.Struct]
) -> None:
    assert set(served.__struct_fields__) == set(decoded.__struct_fields__)


def test_a_field_a_newer_server_adds_is_ignored() -> None:
    answer = b'{"public_uuid": "p", "created_at": "t", "image_count": 1, "operation_type": "x", "new": 1}'
    assert msgspec.json.decode(answer, type=models.Snapshot).image_count == 1
