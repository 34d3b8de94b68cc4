"""Settings read from the environment (prefix ``PARTRACK_``) or a ``.env`` file.

Everything that differs between a laptop, CI and a ward's server lives here, so code never reads
``os.environ`` itself and tests can build an app with explicit settings.
"""

from __future__ import annotations

import importlib.util
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
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
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Server processes (`partrack serve`); about one per core, see "
        "docs/deployment.md. A worker that dies is restarted, the others keep serving.",
    )
    listen_backlog: int = Field(
        default=2048,
        ge=64,
        le=65_535,
        description="Connections the kernel queues before a worker accepts them (a burst of "
        "logins at 8:00 arrives at once).",
    )
    keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        le=3600,
        description="How long an idle keep-alive connection stays open. Longer than the reverse "
        "proxy's (nginx: 60 s), else the server may close one just as the proxy sends a POST on "
        "it, and the proxy answers 502.",
    )
    graceful_shutdown_seconds: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="On stop or restart, how long requests under way may take to finish.",
    )
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

    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs session cookies; at least 32 characters. Required in production; "
        "elsewhere one is generated into data/secret_key when missing.",
    )
    session_idle_minutes: int = Field(default=60, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 14)
    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies; default: only when the request came over https."
    )
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    login_max_failures_per_address: int = Field(
        default=50,
        ge=1,
        le=100_000,
        description="Failures from one address within the lockout window before it is refused; "
        "higher than the per-user limit so a shared office address is not locked by one person.",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses of reverse proxies whose X-Forwarded-For is believed, JSON: "
        '["127.0.0.1"]. Empty: the connecting address is the client, whatever the headers say.',
    )
    password_hash_profile: str = Field(
        default="owasp_2023",
        pattern="^(owasp_2023|rfc9106_low_memory|rfc9106_high_memory|cheapest)$",
        description="argon2 parameters (owasp_2023: 7 MiB, 5 passes, OWASP's equal-strength "
        "low-memory setting); 'cheapest' is for tests only. Older hashes still verify and are "
        "upgraded at the next login.",
    )
    password_hash_memory_mib: int = Field(
        default=128,
        ge=1,
        le=65_536,
        description="Memory the argon2 hashes of the whole server (all workers together) may use; "
        "with the profile's cost it caps how many run side by side (also at most one per CPU, "
        "shared by the workers).",
    )
    password_hash_workers: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Hashes side by side in each worker; empty: from the budget and CPUs.",
    )
    password_hash_queue: int = Field(
        default=400,
        ge=0,
        le=100_000,
        description="Logins that may wait for a hashing thread; more are refused with 503.",
    )
    password_hash_wait_seconds: float = Field(
        default=60.0, gt=0, le=600, description="Longest wait for a hashing thread (then 503)."
    )
    admin_password: SecretStr | None = Field(
        default=None, description="Password of the first 'admin' account (make run)."
    )

    # SIPAS survey (app/sipas; the index formula itself is versioned in app/sipas/index.toml).
    sipas_min_sample: int = Field(
        default=30, ge=1, le=100_000, description="Answers below which an index is not shown."
    )
    sipas_public_url: str = Field(
        default="", description="Base URL printed in survey QR codes; empty: the request's own."
    )
    sipas_open_survey: bool = Field(
        default=True, description="Accept answers without a one-time code (online, kiosk)."
    )
    sipas_answers_per_address_hour: int = Field(default=20, ge=1, le=10_000)
    sipas_answers_per_kiosk_hour: int = Field(default=30, ge=1, le=10_000)
    sipas_kiosk_idle_seconds: int = Field(default=90, ge=5, le=3600)
    sipas_code_valid_days: int = Field(default=60, ge=1, le=3650)

    gc_tuning: bool = Field(
        default=True,
        description="Collect cyclic garbage less often (see app.runtime.tune_gc); off: "
        "Python's defaults.",
    )
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1,
        description="Largest body a bulk import accepts (bytes); larger ones get 413.",
    )

    # Reminders (app/reminders): e-mail is off while smtp_host is empty.
    smtp_host: str = Field(default="", description="SMTP server; empty: no e-mail reminders.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_from: str = Field(default="", description="Sender address of reminder e-mails.")
    smtp_starttls: bool = True
    reminder_days_before: int = Field(default=3, ge=0, le=20, description="Working days.")
    reminder_days_after: list[int] = Field(
        default=[1, 3], description='Working days after the due date, JSON: "[1, 3]".'
    )
    reminder_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Where links in reminder e-mails point."
    )
    public_holidays_file: Path | None = Field(
        default=None, description="TOML replacing app/reminders/holidays.toml."
    )

    # Bulk uploads (app/uploads/limits.py): a slow sender may not hold anything shared.
    upload_idle_timeout_seconds: float = Field(
        default=30,
        gt=0,
        description="Longest wait for the next piece of an upload's body; then 408.",
    )
    upload_deadline_seconds: float = Field(
        default=600,
        gt=0,
        description="Longest time an upload's whole body may take to arrive; then 408.",
    )
    max_imports_per_user: int = Field(
        default=2,
        ge=1,
        le=100,
        description="Imports one user may run at once, across all server processes; more: 429.",
    )
    import_slot_stale_seconds: int = Field(
        default=3600,
        ge=60,
        description="A running-import mark older than this is taken for a crashed process's "
        "and cleared.",
    )
    # Flags for the reviewer (app/reporting/outliers.py): a figure far from the median of its
    # sample by the median absolute deviation.
    outlier_history_periods: int = Field(
        default=6,
        ge=1,
        le=60,
        description="How many of the unit's last periods (of the same length) an outlier is "
        "judged against.",
    )
    outlier_min_count: int = Field(
        default=4,
        ge=2,
        le=1000,
        description="The fewest figures (earlier periods, or other units) that can judge one; "
        "fewer: no outlier flag.",
    )
    outlier_threshold: float = Field(
        default=3.5,
        gt=0,
        le=100,
        description="k in |x − median| > k · 1,4826 · MAD.",
    )
    outlier_zero_mad_tolerance: float = Field(
        default=0.5,
        ge=0,
        le=100,
        description="When the MAD is 0: a count is flagged past this share of the median away "
        "from it (0,5 = 50 %).",
    )
    outlier_zero_mad_points: float = Field(
        default=20.0,
        ge=0,
        le=100,
        description="When the MAD is 0: a percent is flagged past this many percentage points "
        "away from the median.",
    )

    # Evidence files for a task's update (app/progress/evidence; issue 19).
    evidence_store: Literal["disk", "s3"] = Field(
        default="disk",
        description="Where evidence files are kept: disk (the directory below) or s3 (an "
        "S3-compatible bucket, the evidence_s3_* settings; needs the `s3` extra, boto3).",
    )
    evidence_dir: Path = Field(
        default=ROOT_DIR / "data" / "evidence",
        description="Directory of the disk store; file names there are random, never the "
        "uploaded ones.",
    )
    evidence_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, description="Largest evidence file (bytes); larger: 413."
    )
    evidence_allowed_kinds: list[
        Literal["pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "png", "jpg"]
    ] = Field(
        default=["pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "png", "jpg"],
        description='Kinds of file accepted as evidence, JSON: ["pdf", "docx"]; the kind is read '
        "from the file's bytes and must match its extension.",
    )
    evidence_max_per_task: int = Field(
        default=20, ge=1, le=1000, description="Files and links per task, unit and period."
    )
    evidence_s3_bucket: str = Field(
        default="", description="Bucket of the s3 store (required when evidence_store is s3)."
    )
    evidence_s3_prefix: str = Field(
        default="evidence/",
        max_length=200,
        description="Put before every object name in the bucket; keys under it are laid out as "
        "in the disk store (ab/ab…), so a disk store's directory can be copied under it.",
    )
    evidence_s3_endpoint_url: str = Field(
        default="",
        description="Empty for AWS; the URL of an S3-compatible service otherwise (MinIO, Ceph, "
        "a provider's object storage), e.g. https://s3.example.vn.",
    )
    evidence_s3_region: str = Field(
        default="", description="Region of the bucket; empty: boto3's default (us-east-1)."
    )
    evidence_s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        default="auto",
        description="auto: path style (host/bucket/key) when an endpoint URL is set, as MinIO "
        "and most S3-compatible services expect, boto3's own choice for AWS.",
    )
    evidence_s3_access_key_id: str = Field(
        default="", description="Empty (with the secret): boto3's default credential chain."
    )
    evidence_s3_secret_access_key: SecretStr = Field(
        default=SecretStr(""), description="Secret of the access key; never in the repository."
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, value: str) -> str:
        """Accept the plain ``postgresql://`` URLs people copy from docs, and use psycopg 3."""
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("PARTRACK_SECRET_KEY must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _s3_store_complete(self) -> Settings:
        """An s3 store without a bucket, half a key or boto3 would only fail at the first
        upload: refuse at start instead."""
        if self.evidence_store == "s3" and not self.evidence_s3_bucket.strip():
            raise ValueError(
                "PARTRACK_EVIDENCE_STORE=s3 needs PARTRACK_EVIDENCE_S3_BUCKET (the bucket's name)"
            )
        if self.evidence_store == "s3" and importlib.util.find_spec("boto3") is None:
            raise ValueError(
                "PARTRACK_EVIDENCE_STORE=s3 needs boto3: pip install '.[s3]' (or partrack[s3])"
            )
        if bool(self.evidence_s3_access_key_id) != bool(
            self.evidence_s3_secret_access_key.get_secret_value()
        ):
            raise ValueError(
                "PARTRACK_EVIDENCE_S3_ACCESS_KEY_ID and PARTRACK_EVIDENCE_S3_SECRET_ACCESS_KEY are "
                "set together, or both left empty for boto3's default credential chain"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def signing_key(self) -> str:
        """The secret that signs cookies; refuses to invent one in production."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if self.environment == "production":
            raise RuntimeError("PARTRACK_SECRET_KEY is required in production")
        path = ROOT_DIR / "data" / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead of patching this."""
    return Settings()
