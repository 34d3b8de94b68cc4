"""Settings read from the environment (prefix ``PARTRACK_``) or a ``.env`` file.

Everything that differs between a laptop, CI and a ward's server lives here, so code never reads
``os.environ`` itself and tests can build an app with explicit settings.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """The service's configuration; every field can be set as ``PARTRACK_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="PARTRACK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default=f"sqlite:///{ROOT_DIR / 'data' / 'partrack.db'}",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    environment: str = Field(default="development", pattern="^(development|test|production)$")
    today: date | None = Field(
        default=None,
        description="Freeze the service's notion of today (demos, training); empty in production.",
    )
    default_plan: str = Field(
        default="kh-84-2025",
        description="Plan code used when a request about assignments or indicators names none.",
    )
    max_page_size: int = Field(default=500, ge=1, le=10_000)
    sql_echo: bool = False

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, value: str) -> str:
        """Accept the plain ``postgresql://`` URLs people copy from docs, and use psycopg 3."""
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead of patching this."""
    return Settings()
