"""Which implementation of each provider this process uses, chosen once from Settings.

`APP_MODE=mock` picks the recording mocks, `production` the real services; per-provider
variables override (`PROVIDER_EMAIL=smtp`, `PROVIDER_STORAGE=s3`). Production never falls back
to a mock: Settings refuses to start when a real provider lacks its credentials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reos.providers.email import EmailSender, MockSender, SmtpSender
from reos.providers.pdf import PdfRenderer
from reos.providers.storage import LocalStorage, S3Storage, Storage
from reos.settings import Settings


@dataclass
class Providers:
    email: EmailSender
    storage: Storage
    pdf: PdfRenderer
    overrides: dict[str, Any] = field(default_factory=dict)

    def implementations(self) -> dict[str, str]:
        return {"email": self.email.name, "storage": self.storage.name, "pdf": self.pdf.name}


def build(settings: Settings) -> Providers:
    email: EmailSender = SmtpSender(settings) if settings.email_provider == "smtp" else MockSender()
    storage: Storage
    if settings.storage_provider == "s3":
        assert settings.s3_bucket is not None
        storage = S3Storage(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    else:
        storage = LocalStorage(settings.data_dir / "files")
    return Providers(email=email, storage=storage, pdf=PdfRenderer())


_current: Providers | None = None


def current() -> Providers:
    global _current
    if _current is None:
        from reos.settings import get_settings

        _current = build(get_settings())
    return _current


def use(providers: Providers | None) -> None:
    """Replace the process's providers (the worker at start-up; tests)."""
    global _current
    _current = providers
