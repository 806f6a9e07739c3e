"""One typed Settings object, read from the environment (and `.env`), that fails fast."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that mean "nobody set this": refused in production so a copied `.env.example`
# can never run a real deployment.
DEV_SECRET = "dev-secret-not-for-production-use-only"
PLACEHOLDERS = frozenset({"", "change-me", "changeme", "secret", DEV_SECRET})


class ConfigurationError(RuntimeError):
    """Start-up refused: the message names the environment variable at fault."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    app_mode: Literal["mock", "production"] = "mock"
    database_url: str | None = None
    database_owner_url: str | None = None
    reos_data_dir: Path = Path("./var")
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = DEV_SECRET

    access_token_minutes: int = 15
    refresh_token_days: int = 30
    web_session_hours: int = 12
    reset_token_minutes: int = 60
    invite_token_days: int = 7

    # argon2 cost: tests lower it so the suite is not dominated by hashing.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    login_rate_limit: int = Field(default=10, description="attempts per window per client+email")
    login_rate_window_seconds: int = 300

    provider_email: Literal["mock", "smtp"] | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    email_from: str = "Real Estate OS <no-reply@localhost>"

    provider_storage: Literal["local", "s3"] | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None

    job_max_attempts: int = Field(default=5, ge=1, le=50)
    job_retry_base_seconds: int = Field(default=2, ge=0, le=60)
    job_stalled_after_seconds: float = Field(default=30.0, gt=0)
    worker_concurrency: int = Field(default=4, ge=1, le=64)

    metrics_token: str | None = None

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.app_mode != "production":
            return self
        if self.secret_key.strip().lower() in PLACEHOLDERS or len(self.secret_key) < 32:
            raise ConfigurationError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        if not self.database_url:
            raise ConfigurationError("DATABASE_URL must be set in production")
        if not self.database_owner_url:
            raise ConfigurationError("DATABASE_OWNER_URL must be set in production")
        if self.public_url.startswith("http://127.0.0.1") or "localhost" in self.public_url:
            raise ConfigurationError("PUBLIC_URL must be the public address in production")
        if self.email_provider == "smtp" and not self.smtp_host:
            raise ConfigurationError("SMTP_HOST must be set when the email provider is smtp")
        if (
            self.email_provider == "smtp"
            and self.smtp_username
            and (not self.smtp_password or self.smtp_password.strip().lower() in PLACEHOLDERS)
        ):
            raise ConfigurationError("SMTP_PASSWORD must be set when SMTP_USERNAME is set")
        if self.email_provider == "mock":
            raise ConfigurationError(
                "PROVIDER_EMAIL=mock is not allowed in production; set PROVIDER_EMAIL=smtp"
            )
        if self.storage_provider == "s3":
            for name in ("s3_bucket", "s3_access_key_id", "s3_secret_access_key"):
                value = getattr(self, name)
                if not value or value.strip().lower() in PLACEHOLDERS:
                    raise ConfigurationError(f"{name.upper()} must be set when PROVIDER_STORAGE=s3")
        return self

    @property
    def storage_provider(self) -> Literal["local", "s3"]:
        return self.provider_storage or "local"

    @property
    def email_provider(self) -> Literal["mock", "smtp"]:
        if self.provider_email is not None:
            return self.provider_email
        return "smtp" if self.app_mode == "production" else "mock"

    @property
    def embedded(self) -> bool:
        return not self.database_url

    @property
    def data_dir(self) -> Path:
        return self.reos_data_dir.expanduser().resolve()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
