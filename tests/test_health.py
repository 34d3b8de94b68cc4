from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine
from app.main import create_app


def test_healthz_answers_without_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_ok_when_database_answers(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_503_with_reason_when_database_unreachable(
    settings: Settings, clock: FixedClock, clean_db: Engine
) -> None:
    broken = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/nowhere")
    application = create_app(settings, engine=broken, clock=clock)
    with TestClient(application) as test_client:
        response = test_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["reason"].startswith("database unreachable")
