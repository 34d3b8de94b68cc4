"""The ward's questionnaire version: chosen by its administrator (service, API and page), used by
its survey and its results, and never mixing two versions' answers in one index."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.actors import SYSTEM, Actor
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.errors import Forbidden, Invalid
from app.periods import Period
from app.sipas import codes, ward_version
from app.sipas.models import (
    Rating,
    RatingKind,
    Response,
    SurveyCode,
    WardVersion,
    WardVersionUpdate,
)
from app.sipas.questionnaire import (
    DEFAULT_PATH,
    create_version,
    ensure_questionnaire,
    get_version,
    publish_version,
)
from app.units.models import Unit
from app.wards.models import Ward
from tests.conftest import make_user
from tests.sipas.conftest import HAND_FIXTURE, add_answer, bearer, hidden
from tests.sipas.test_many_wards import _second_ward
from tests.sipas.test_pages import login
from tests.sipas.test_public import _kiosk_client

NEW, DRAFT = "2099.1", "2099.3"
NEW_TITLE = "Phiếu thử nghiệm 2099"
API = "/api/v1/sipas/ward-version"


def add_versions(session: Session, clock: FixedClock) -> None:
    """2025.1 published (the city's), 2099.1 retired (a ward may keep it), 2099.3 a draft."""
    ensure_questionnaire(db_session=session, clock=clock)
    content = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    for version in (NEW, DRAFT):
        raw = content | {"version": version, "title": NEW_TITLE}
        create_version(db_session=session, actor=SYSTEM, clock=clock, raw=raw)
    publish_version(db_session=session, actor=SYSTEM, clock=clock, version=NEW)
    publish_version(db_session=session, actor=SYSTEM, clock=clock, version="2025.1")


def answer_on(session: Session, version: str, ratings: dict[str, int]) -> None:
    """One answer given on ``version`` (test set-up, as the survey stores it)."""
    questionnaire = get_version(db_session=session, version=version)
    unit_id = session.exec(select(Unit.id).where(Unit.code == "ttpvhcc")).one()
    row = Response(
        id=uuid.uuid4().hex,
        questionnaire_id=questionnaire.id or 0,
        month="2025-11",
        period_start=Period.parse("2025-11").start_date,
        unit_id=unit_id,
        source="open",
    )
    session.add(row)
    session.flush()
    for item, value in ratings.items():
        session.add(Rating(response_id=row.id, item=item, kind=RatingKind.CRITERION, value=value))
    session.commit()


@pytest.fixture
def versions(seeded: Session, clock: FixedClock) -> Session:
    add_versions(seeded, clock)
    return seeded


def _inside(session: Session) -> Actor:
    from app import tenancy

    ward = session.exec(select(Ward)).one()
    tenancy.enter(session, tenancy.Scope(ward_id=ward.id))
    return Actor(username="admin", role="admin", ward_id=ward.id, ward_code=ward.code)


# --- service ---------------------------------------------------------------------------------


def test_a_ward_follows_the_city_until_its_admin_chooses(versions: Session, clock) -> None:
    admin = _inside(versions)
    first = ward_version.get_setting(db_session=versions, clock=clock)
    assert (first.version, first.chosen, first.city_version) == ("2025.1", False, "2025.1")
    assert first.choices == ["2025.1", NEW]  # never the draft
    chosen = ward_version.set_setting(
        db_session=versions, actor=admin, clock=clock, data=WardVersionUpdate(questionnaire=NEW)
    )
    assert (chosen.version, chosen.title, chosen.chosen) == (NEW, NEW_TITLE, True)
    assert ward_version.in_force(db_session=versions, clock=clock).version == NEW
    back = ward_version.set_setting(
        db_session=versions, actor=admin, clock=clock, data=WardVersionUpdate(questionnaire=None)
    )
    assert (back.version, back.chosen) == ("2025.1", False)
    events = versions.exec(
        select(AuditEvent).where(AuditEvent.entity == "sipas_ward_version")
    ).all()
    assert [(e.action, e.entity_key, e.actor_username) for e in events] == [
        ("update", "phu-dinh", "admin"),
        ("update", "phu-dinh", "admin"),
    ]


def test_a_draft_or_unknown_version_is_refused_and_only_admins_choose(
    versions: Session, clock
) -> None:
    admin = _inside(versions)
    for wrong in (DRAFT, "1999.9"):
        with pytest.raises(Invalid) as refused:
            ward_version.set_setting(
                db_session=versions,
                actor=admin,
                clock=clock,
                data=WardVersionUpdate(questionnaire=wrong),
            )
        assert refused.value.errors[0].field == "questionnaire"
    coordinator = Actor(username="dp", role="coordinator", ward_id=admin.ward_id)
    with pytest.raises(Forbidden):
        ward_version.set_setting(
            db_session=versions,
            actor=coordinator,
            clock=clock,
            data=WardVersionUpdate(questionnaire=NEW),
        )
    assert ward_version.get_setting(db_session=versions, clock=clock).chosen is False


# --- API: the setting, the survey and the results -----------------------------------------------


def test_the_api_sets_the_version_and_the_survey_uses_it(
    small_app: FastAPI, versions: Session, clean_db: Engine, clock: FixedClock
) -> None:
    with TestClient(small_app) as public:
        assert NEW_TITLE not in public.get("/khao-sat").text
    with bearer(small_app, clean_db, clock, username="admin", role="admin") as admin:
        assert admin.get(API).json()["version"] == "2025.1"
        put = admin.put(API, json={"questionnaire": NEW})
        assert put.status_code == 200 and put.json()["chosen"] is True
        assert admin.get(API).json()["version"] == NEW
        draft = admin.put(API, json={"questionnaire": DRAFT})
        assert (
            draft.status_code == 422
            and draft.json()["detail"]["errors"][0]["field"] == "questionnaire"
        )
    with TestClient(small_app) as public:
        page = public.get("/khao-sat").text
    assert NEW_TITLE in page  # the only ward's survey draws its chosen version
    with bearer(small_app, clean_db, clock, username="dp", role="coordinator", unit="vhxh") as c:
        assert c.put(API, json={"questionnaire": None}).status_code == 403
        assert c.get(API).json()["version"] == NEW  # anyone of the ward may read it


def test_a_refused_code_is_drawn_in_the_wards_version(
    small_app: FastAPI, versions: Session, clean_db: Engine, clock: FixedClock
) -> None:
    """The page refusing a code carries the ward's questionnaire (its title), as the survey
    page does, not the city's."""
    with bearer(small_app, clean_db, clock, username="admin", role="admin") as admin:
        assert admin.put(API, json={"questionnaire": NEW}).status_code == 200
    with TestClient(small_app) as public:
        page = public.get("/khao-sat", params={"ma": "K7QM-3XTP-9A"}, follow_redirects=False)
    assert page.status_code == 422 and "Không tìm thấy mã khảo sát" in page.text, page.text
    assert NEW_TITLE in page.text


def test_a_kiosk_refusing_a_code_draws_the_wards_version(
    small_app: FastAPI, versions: Session, clean_db: Engine, clock: FixedClock
) -> None:
    """The tablet at the counter takes the same road as the QR link, through its own start
    page: a wrong code is refused there in the ward's questionnaire, and the tablet stays a
    kiosk (its next start is the kiosk's own page)."""
    with bearer(small_app, clean_db, clock, username="admin", role="admin") as admin:
        assert admin.put(API, json={"questionnaire": NEW}).status_code == 200
    with _kiosk_client(small_app, clean_db, clock) as kiosk:
        page = kiosk.get("/khao-sat/kiosk", params={"ma": "K7QM-3XTP-9A"}, follow_redirects=False)
        assert page.status_code == 422 and "Không tìm thấy mã khảo sát" in page.text, page.text
        assert NEW_TITLE in page.text
        again = kiosk.get("/khao-sat/kiosk")
    assert again.status_code == 200 and "Không tìm thấy" not in again.text
    assert NEW_TITLE in again.text


def test_an_expired_code_is_refused_in_its_own_wards_version(
    small_app: FastAPI, versions: Session, clean_db: Engine, clock: FixedClock
) -> None:
    """Two wards, the second on its own version: the code's unit tells the ward, and the page
    refusing the expired code is drawn in that ward's version (the city's with no ward told)."""
    _second_ward(versions, clock)
    second = versions.exec(select(Ward).where(Ward.code == "binh-dong")).one()
    unit_id = versions.exec(
        select(Unit.id).where(Unit.ward_id == second.id, Unit.code == "ttpvhcc")
    ).one()
    new = get_version(db_session=versions, version=NEW)
    versions.add(WardVersion(ward_id=second.id, questionnaire_id=new.id or 0,
                             updated_at=clock.now(), updated_by="admin"))  # fmt: skip
    key = small_app.state.settings.signing_key()
    text = "K7QM-3XTP-9A"
    expired = clock.today() - timedelta(days=1)
    hashed = codes.code_hash(key, codes.normalise(text))
    versions.add(SurveyCode(code_hash=hashed, unit_id=unit_id, expires_on=expired))
    versions.commit()
    with TestClient(small_app) as public:
        page = public.get("/khao-sat", params={"ma": text}, follow_redirects=False)
        assert page.status_code == 422 and "hết hạn" in page.text, page.text
        assert NEW_TITLE in page.text
        unknown = public.get("/khao-sat", params={"ma": "A7QM-3XTP-9A"}, follow_redirects=False)
    assert unknown.status_code == 422 and NEW_TITLE not in unknown.text  # no ward: the city's


def test_results_read_one_version_at_a_time(
    small_app: FastAPI, versions: Session, clean_db: Engine, clock: FixedClock
) -> None:
    for ratings in HAND_FIXTURE:
        add_answer(versions, clock, ratings=ratings)  # on 2025.1: index 54,17 %
    for _ in range(3):
        answer_on(versions, NEW, {"tc1": 1, "tt1": 1, "cc1": 1})  # on 2099.1: 0 %
    with bearer(small_app, clean_db, clock, username="admin", role="admin") as admin:
        before = admin.get("/api/v1/sipas", params={"period": "2025-11"}).json()
        assert before["questionnaire_version"] == before["ward_version"] == "2025.1"
        assert before["index"]["responses"] == 3
        assert before["index"]["satisfaction"] == pytest.approx(54.1667, abs=1e-3)
        assert admin.put(API, json={"questionnaire": NEW}).status_code == 200
        after = admin.get("/api/v1/sipas", params={"period": "2025-11"}).json()
        assert after["questionnaire_version"] == after["ward_version"] == NEW
        assert after["index"]["responses"] == 3 and after["index"]["satisfaction"] == 0
        assert [(v["version"], v["responses"], v["in_force"]) for v in after["versions"]] == [
            ("2025.1", 3, False),
            (NEW, 3, True),
        ]
        old = admin.get("/api/v1/sipas", params={"period": "2025-11", "version": "2025.1"})
        assert old.json()["index"]["satisfaction"] == pytest.approx(54.1667, abs=1e-3)
        assert old.json()["ward_version"] == NEW


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def admin_page(small_app: FastAPI, clean_db: Engine, clock: FixedClock) -> Iterator[TestClient]:
    make_user(clean_db, clock, username="qt.phuong", role="admin")
    with TestClient(small_app) as client:
        client.headers["X-Test-Csrf"] = login(client, "qt.phuong")
        yield client


def test_settings_page_full_fragment_422_and_save(admin_page: TestClient, versions) -> None:
    page = admin_page.get("/phuong-xa/cai-dat")
    assert page.status_code == 200 and "<html" in page.text
    assert 'id="ward-sipas-version">phiên bản 2025.1' in page.text
    assert f'<option value="{NEW}">' in page.text and f'value="{DRAFT}"' not in page.text
    fragment = admin_page.get("/phuong-xa/cai-dat", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    csrf = hidden(page.text, "csrf_token")
    refused = admin_page.post(
        "/phuong-xa/cai-dat/sipas",
        data={"questionnaire": DRAFT, "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422 and "<html" not in refused.text
    assert 'id="sipas-version-form-questionnaire-err"' in refused.text
    assert "bản nháp phải được công bố" in refused.text
    saved = admin_page.post(
        "/phuong-xa/cai-dat/sipas",
        data={"questionnaire": NEW, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"].startswith("/phuong-xa/cai-dat?da_luu=1")
    assert f'id="ward-sipas-version">phiên bản {NEW}' in admin_page.get("/phuong-xa/cai-dat").text
    results = admin_page.get("/sipas", params={"period": "2025-11"}).text
    assert f"Kết quả theo phiếu <strong>phiên bản {NEW}</strong>" in results


def test_settings_form_needs_its_csrf_token_and_an_admin(
    small_app: FastAPI, admin_page: TestClient, versions, clean_db: Engine, clock: FixedClock
) -> None:
    no_token = admin_page.post(
        "/phuong-xa/cai-dat/sipas",
        data={"questionnaire": NEW},
    )
    assert no_token.status_code == 403
    make_user(clean_db, clock, username="vhxh.dp", role="coordinator", unit="vhxh")
    with TestClient(small_app) as coordinator:
        csrf = login(coordinator, "vhxh.dp")
        page = coordinator.get("/phuong-xa/cai-dat").text
        assert "Chỉ quản trị của phường, xã" in page and "<select" not in page
        refused = coordinator.post(
            "/phuong-xa/cai-dat/sipas", data={"questionnaire": NEW, "csrf_token": csrf}
        )
        assert refused.status_code == 403
    with bearer(small_app, clean_db, clock, username="admin", role="admin") as admin:
        assert admin.get(API).json()["chosen"] is False


def test_the_city_ranking_follows_a_wards_change_of_version(
    small_app: FastAPI, versions: Session, clean_db: Engine, clock: FixedClock
) -> None:
    """The city keeps each ward's index between requests: a ward that changes version must be
    ranked on the new version's answers at once, not on the kept index of the old one."""
    for ratings in HAND_FIXTURE:
        add_answer(versions, clock, ratings=ratings)  # on 2025.1: index 54,17 %
    for _ in range(3):
        answer_on(versions, NEW, {"tc1": 1, "tt1": 1, "cc1": 1})  # on 2099.1: 0 %
    ranking = "/api/v1/city/ranking"
    with (
        bearer(small_app, clean_db, clock, username="so.noi.vu", role="city_admin") as city,
        bearer(small_app, clean_db, clock, username="admin", role="admin") as admin,
    ):
        before = city.get(ranking, params={"period": "2025-11", "sort": "sipas"}).json()
        assert before["wards"][0]["sipas"] == pytest.approx(54.1667, abs=1e-3)
        assert admin.put(API, json={"questionnaire": NEW}).status_code == 200
        after = city.get(ranking, params={"period": "2025-11", "sort": "sipas"}).json()
        assert after["wards"][0]["sipas"] == 0


# --- comments and exports read the version being viewed ---------------------------------------

OLD_SAYS, NEW_SAYS = "Góp ý trên phiếu 2025", "Góp ý trên phiếu 2099"


def _commented(session: Session) -> None:
    """One commented answer on each version, the same month and unit."""
    for version, comment in (("2025.1", OLD_SAYS), (NEW, NEW_SAYS)):
        answer_on(session, version, {"tc1": 5})
        row = session.exec(
            select(Response).where(Response.comment == "").order_by(col(Response.id))
        ).first()
        assert row is not None
        row.comment = comment
        session.add(row)
        session.commit()


def _said(items: list[dict[str, object]]) -> list[object]:
    return [c["text"] for c in items]


def test_comments_and_exports_read_the_version_being_viewed(
    small_app: FastAPI, versions: Session, clean_db: Engine, clock: FixedClock
) -> None:
    _commented(versions)
    month = {"period": "2025-11"}
    with bearer(small_app, clean_db, clock, username="admin", role="admin") as admin:
        default = admin.get("/api/v1/sipas/comments", params=month).json()
        assert (_said(default["items"]), default["total"]) == ([OLD_SAYS], 1)  # the ward's
        other = admin.get("/api/v1/sipas/comments", params={**month, "version": NEW}).json()
        assert (_said(other["items"]), other["total"]) == ([NEW_SAYS], 1)
        csv_old = admin.get("/api/v1/sipas/answers", params=month).text
        assert OLD_SAYS in csv_old and NEW_SAYS not in csv_old
        csv_new = admin.get("/api/v1/sipas/answers", params={**month, "version": NEW}).text
        assert NEW_SAYS in csv_new and OLD_SAYS not in csv_new
        xlsx = admin.get("/api/v1/sipas/answers", params={**month, "format": "xlsx"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None
        cells = [[c.value for c in row] for row in sheet.iter_rows()]
        version_column = cells[0].index("Phiên bản phiếu")
        assert [r[version_column] for r in cells[1:]] == ["2025.1"]
        assert cells[1][-1] == OLD_SAYS
        assert admin.put(API, json={"questionnaire": NEW}).status_code == 200
        now = admin.get("/api/v1/sipas/comments", params=month).json()
        assert _said(now["items"]) == [NEW_SAYS]  # the ward's version in force has changed
    make_user(clean_db, clock, username="qt.phuong", role="admin")
    with TestClient(small_app) as page:
        login(page, "qt.phuong")
        results = page.get("/sipas", params={**month, "version": "2025.1"}).text
        # its comments link keeps the version shown
        assert 'href="/sipas/gop-y?period=2025-11&amp;version=2025.1"' in results
        listed = page.get("/sipas/gop-y", params={**month, "version": "2025.1"}).text
        assert OLD_SAYS in listed and NEW_SAYS not in listed
        assert 'name="version" value="2025.1"' in listed  # kept by the filters and moderation
        exported = page.get("/sipas/xuat.csv", params={**month, "version": "2025.1"}).text
        assert OLD_SAYS in exported and NEW_SAYS not in exported
        chooser = page.get("/sipas/xuat", params={**month, "version": "2025.1"}).text
        assert 'href="/sipas/xuat.csv?period=2025-11&amp;version=2025.1"' in chooser


@pytest.mark.parametrize(
    "path", ["/sipas", "/sipas/gop-y", "/sipas/xuat", "/sipas/xuat.csv", "/sipas/xuat.xlsx"]
)
def test_the_pages_refuse_an_overlong_filter_as_the_api_does(
    small_app: FastAPI, versions: Session, clean_db: Engine, clock: FixedClock, path: str
) -> None:
    """A version is at most 32 characters, a unit or domain code 64, a period 16 (the API's
    caps): longer is a Vietnamese 422 naming the field, never a lookup with the whole text."""
    make_user(clean_db, clock, username="qt.phuong", role="admin")
    with TestClient(small_app) as page:
        login(page, "qt.phuong")
        for name, size in (("version", 33), ("unit", 65), ("domain", 65), ("period", 17)):
            if name in ("unit", "domain") and path == "/sipas/xuat":
                continue  # the chooser takes the period and version only
            refused = page.get(path, params={name: "9" * size})
            assert refused.status_code == 422, (name, refused.status_code)
            assert "Quá dài" in refused.text and f"<code>{name}</code>" in refused.text
        fine = page.get(path, params={"version": "2025.1", "period": "2025-11"})
        assert fine.status_code == 200
