"""What the SIPAS routes take from the app's settings, in one place for the API and the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from app.config import Settings
from app.sipas.codes import CodeSettings
from app.sipas.collect import SurveyPolicy
from app.sipas.config import formula


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def public_base_url(request: Request) -> str:
    """Where citizens reach the survey: the configured public address, else this request's."""
    configured = settings_of(request).sipas_public_url.strip()
    return configured or str(request.base_url)


def code_settings(request: Request) -> CodeSettings:
    settings = settings_of(request)
    return CodeSettings(
        signing_key=settings.signing_key(),
        base_url=public_base_url(request),
        valid_days=settings.sipas_code_valid_days,
        centre=formula().indicator.unit,
    )


def survey_policy(request: Request) -> SurveyPolicy:
    settings = settings_of(request)
    return SurveyPolicy(
        signing_key=settings.signing_key(),
        centre=formula().indicator.unit,
        open_survey=settings.sipas_open_survey,
        per_address=settings.sipas_answers_per_address_hour,
        per_kiosk=settings.sipas_answers_per_kiosk_hour,
    )


def min_sample(request: Request) -> int:
    return settings_of(request).sipas_min_sample


#: A unit, domain or channel code in a results filter (the API's and the pages' alike).
CodeQuery = Annotated[str | None, Query(max_length=64)]
#: A questionnaire version in a results filter.
VersionQuery = Annotated[
    str | None, Query(max_length=32, description="Default: the ward's version in force.")
]
