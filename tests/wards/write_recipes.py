"""What ``test_cross_ward_writes.py`` sends to each write route: ward B's objects, named the way
the route takes them (B-only codes in the path or the body, B's ids and keys, B's users).

One entry per (method, path) of ``app.routes``; the test fails for a route without one. A route
that cannot name another ward's object at all (the caller's own session or password, the public
survey) says why in ``own_only`` and is still called: B's rows must be unchanged after it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.registers.specs import REGISTERS, RegisterSpec
from tests.wards.conftest import API, MARKS

MARK = MARKS["binh-dong"]
#: A's answers to a write naming B's objects.
REFUSED = frozenset({403, 404, 409, 422})
#: Objects only ward B has (A has a "vhxh", but no unit "zz-b-unit").
UNIT, PLAN, TASK, TARGET, RULE = "zz-b-unit", "kh-b-only", "IX.9.9", "zz_b_target", "zz-b-rule"
B_USER = "vhxh.binh-dong"
PERIOD = "2025-10"
RULE_BODY = {
    "message": "Không vượt 100%.",
    "severity": "flag",
    "left_indicator": "online_dossier",
    "operator": "<=",
    "right_constant": 100,
}


@dataclass(frozen=True)
class BRows:
    """B's own ids and keys, for the routes that take them."""

    reading_id: int
    token_id: int
    evidence_key: str
    comment_id: str
    kiosk_id: int
    notification_id: int
    #: Evidence of B's PAR self-assessment of ``PAR_YEAR`` (A has no assessment that year).
    par_evidence_key: str = ""


@dataclass(frozen=True)
class Call:
    """One request: JSON (``json``/``content``) for the API, a form (``form``, the CSRF token
    added) for the pages."""

    path: str
    json: Any = None
    form: dict[str, str] | None = None
    content: bytes | None = None
    content_type: str = ""
    files: dict[str, tuple[str, bytes, str]] | None = None
    #: What answers A may get; REFUSED unless a route's refusal is by nature another status.
    expect: frozenset[int] = REFUSED
    #: For a refusal answered 200 (per-row results): what the body must say.
    says: str = ""


@dataclass(frozen=True)
class Recipe:
    build: Callable[[BRows], Call]
    #: Why a route cannot name B's objects at all (it acts on the caller's own account, or is
    #: public): it is still called, and B's rows must still be unchanged.
    own_only: str = ""
    #: Routes a signed-out visitor reaches (login, the public survey): ``?ward=``/``?plan=``
    #: mean nothing there.
    public: bool = False
    fresh_client: bool = False  # the call ends the session (logout)


def _csv(text: str) -> dict[str, Any]:
    return {"content": text.encode(), "content_type": "text/csv"}


def _page(path: str, **form: str) -> Callable[[BRows], Call]:
    return lambda b: Call(path.format(b=b), form=dict(form))


def _api(path: str, body: Any = None, **extra: Any) -> Callable[[BRows], Call]:
    return lambda b: Call(path.format(b=b), json=body, **extra)


_SHIPPED = "mot-cua-hcm"  # the shipped import profile, shared by every ward
_SPEC = {
    "columns": {
        "code": ["Số HS"],
        "received_at": ["Nhận"],
        "due_at": ["Hẹn"],
        "domain": ["LV"],
        "channel": ["Kênh"],
    },
    "defaults": {"unit": UNIT},
}
_PROFILE_ROWS = (
    f"Số HS,Nhận,Hẹn,LV,Kênh,Đơn vị\nH1,2025-10-01,2025-10-03,ho-tich,online,{UNIT}\n".encode()
)
_UNIT_PAGE = f"/units/{UNIT}/periods/{PERIOD}"
_UNIT_API = f"{API}/units/{UNIT}/periods/{PERIOD}"
_PDF = {"file": ("bien-ban.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}

#: The year only B has opened a PAR self-assessment for; the criterion B has evidence on.
PAR_YEAR, PAR_ITEM = 2025, "3.5"
_PAR = f"{API}/par-assessments/{PAR_YEAR}"
_PAR_PAGE = f"/chi-so-cchc/{PAR_YEAR}"
_XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_APPRAISAL_CSV = f"Mã tiêu chí,Điểm thẩm định\n{PAR_ITEM},1\n"
_CRITERIA_CSV = "Mã tiêu chí,Nội dung tiêu chí,Điểm tối đa\n9,Khác,1\n"
_FRAMEWORK = "chi-so-cchc-phuong-2025"

#: The code every register has a row of in B only.
REGISTER_CODE = "zz-b-row"


def _register_row(spec: RegisterSpec) -> dict[str, Any]:
    """A row of the register naming B's only unit (A has no such unit)."""
    return {**{f.name: f.example for f in spec.fields if f.example is not None}, "unit": UNIT}


def _register_form(spec: RegisterSpec) -> dict[str, str]:
    return {k: str(v) for k, v in _register_row(spec).items()}


RECIPES: dict[tuple[str, str], Recipe] = {
    # --- accounts: the caller's own, or B's users by name --------------------------------------
    ("POST", "/login"): Recipe(
        _page("/login", username=B_USER, password="sai-mat-khau"),
        own_only="signing in: B's user with a wrong password is refused",
        public=True,
    ),
    ("POST", "/logout"): Recipe(
        lambda b: Call("/logout", form={}, expect=frozenset({303})),
        own_only="ends the caller's own session",
        fresh_client=True,
    ),
    ("POST", "/account/password"): Recipe(
        _page(
            "/account/password",
            current_password="sai",
            new_password="mat-khau-moi-2026",
            confirm_password="mat-khau-moi-2026",
        ),
        own_only="changes the caller's own password (a wrong current one here)",
    ),
    ("POST", "/api/v1/auth/password"): Recipe(
        _api(
            f"{API}/auth/password", {"current_password": "sai", "new_password": "mat-khau-moi-2026"}
        ),
        own_only="changes the caller's own password (a wrong current one here)",
    ),
    ("POST", "/api/v1/auth/token"): Recipe(
        lambda b: Call(
            f"{API}/auth/token",
            json={"username": B_USER, "password": "sai"},
            expect=frozenset({401}),
        ),
        own_only="signing in: B's user with a wrong password is refused",
        public=True,
    ),
    ("POST", "/api/v1/users"): Recipe(
        _api(
            f"{API}/users",
            {
                "username": "moi.tao",
                "full_name": "Mới",
                "role": "reporter",
                "unit": UNIT,
                "password": "mat-khau-moi-2026",
            },
        )
    ),
    ("PATCH", "/api/v1/users/{username}"): Recipe(
        _api(f"{API}/users/{B_USER}", {"full_name": "Đổi tên"})
    ),
    ("POST", "/api/v1/users/{username}/password"): Recipe(
        _api(f"{API}/users/{B_USER}/password", {"password": "mat-khau-tam-2026"})
    ),
    ("POST", "/api/v1/tokens"): Recipe(_api(f"{API}/tokens", {"username": B_USER, "name": "X"})),
    ("DELETE", "/api/v1/tokens/{token_id}"): Recipe(_api(f"{API}/tokens/{{b.token_id}}")),
    ("POST", "/admin/people"): Recipe(
        _page(
            "/admin/people",
            username="moi.tao",
            full_name="Mới",
            role="reporter",
            unit=UNIT,
            password="mat-khau-moi-2026",
        )
    ),
    ("POST", "/admin/people/{username}"): Recipe(
        _page(
            f"/admin/people/{B_USER}",
            full_name="Đổi tên",
            role="reporter",
            unit="vhxh",
            version="1",
        )
    ),
    ("POST", "/admin/people/{username}/active"): Recipe(
        _page(f"/admin/people/{B_USER}/active", active="", confirm="1")
    ),
    ("POST", "/admin/people/{username}/password"): Recipe(
        _page(f"/admin/people/{B_USER}/password", password="mat-khau-tam-2026")
    ),
    ("POST", "/admin/people/{username}/tokens"): Recipe(
        _page(f"/admin/people/{B_USER}/tokens", name="X", expires_days="30")
    ),
    ("POST", "/admin/tokens/{token_id}/revoke"): Recipe(
        _page("/admin/tokens/{b.token_id}/revoke", confirm="1")
    ),
    # --- wards and plans -------------------------------------------------------------------------
    ("POST", "/api/v1/wards"): Recipe(
        _api(f"{API}/wards", {"code": "binh-dong-2", "name": "Phường khác"})
    ),
    ("POST", "/thanh-pho/phuong-xa"): Recipe(
        _page("/thanh-pho/phuong-xa", code="binh-dong-2", name="Phường khác")
    ),
    ("POST", "/api/v1/plans/{code}/copy"): Recipe(
        _api(
            f"{API}/plans/{PLAN}/copy",
            {
                "code": "kh-lay-cua-b",
                "number": "1/KH",
                "issued_date": "2027-01-15",
                "first_year": 2027,
            },
        )
    ),
    ("POST", "/admin/plan/copy"): Recipe(
        _page(
            "/admin/plan/copy",
            code="kh-sang-b",
            number="1/KH",
            issued_date="15/01/2027",
            first_year="2027",
            ward="binh-dong",
            with_targets="1",
        )
    ),
    ("PUT", "/api/v1/plans/{code}/due-days"): Recipe(
        _api(f"{API}/plans/{PLAN}/due-days", {"month": 6, "quarter": 12})
    ),
    ("POST", "/admin/settings/due-days"): Recipe(
        _page(f"/admin/settings/due-days?plan={PLAN}", month="6", quarter="12")
    ),
    ("POST", "/admin/settings/scoring"): Recipe(
        _page(
            "/admin/settings/scoring",
            action="save",
            version="2026.1",
            w_tasks="40",
            w_indicators="40",
            w_reporting="20",
            amber_distance="0,1",
            late_credit="0,5",
            band_label_0="Tốt",
            band_min_0="80",
        )
    ),
    ("PUT", "/api/v1/scores/config"): Recipe(
        _api(f"{API}/scores/config", {"config": {"version": "2026.1"}})
    ),
    ("DELETE", "/api/v1/scores/config"): Recipe(_api(f"{API}/scores/config")),
    # --- units ------------------------------------------------------------------------------------
    ("POST", "/api/v1/units"): Recipe(
        _api(
            f"{API}/units",
            {
                "code": "to-con",
                "name": "Tổ con",
                "short_name": "Tổ con",
                "kind": "office",
                "parent": UNIT,
            },
        )
    ),
    ("PATCH", "/api/v1/units/{code}"): Recipe(_api(f"{API}/units/{UNIT}", {"short_name": "Đổi"})),
    ("DELETE", "/api/v1/units/{code}"): Recipe(_api(f"{API}/units/{UNIT}")),
    ("POST", "/admin/units"): Recipe(
        _page(
            "/admin/units",
            code="to-con",
            name="Tổ con",
            short_name="Tổ con",
            kind="office",
            parent=UNIT,
        )
    ),
    ("POST", "/admin/units/{code}"): Recipe(
        _page(f"/admin/units/{UNIT}", name="Đổi", short_name="Đổi", kind="office", parent="")
    ),
    ("POST", "/admin/units/{code}/active"): Recipe(
        _page(f"/admin/units/{UNIT}/active", active="", confirm="1")
    ),
    # --- tasks, targets, rules, domains ---------------------------------------------------------
    ("POST", "/api/v1/assignments"): Recipe(
        _api(
            f"{API}/assignments",
            {
                "code": "IX.9.8",
                "text": "Nhiệm vụ",
                "area": "par3",
                "scope": "lead_unit",
                "lead_unit": "vhxh",
                "cadence": "once",
                "plan": PLAN,
            },
        )
    ),
    ("PATCH", "/api/v1/assignments/{code}"): Recipe(
        _api(f"{API}/assignments/{TASK}", {"expected_product": "Đổi"})
    ),
    ("DELETE", "/api/v1/assignments/{code}"): Recipe(_api(f"{API}/assignments/{TASK}")),
    ("POST", "/admin/plan/new"): Recipe(
        _page(
            "/admin/plan/new",
            code="IX.9.8",
            text="Nhiệm vụ",
            area="par3",
            scope="lead_unit",
            lead_unit=UNIT,
            cadence="once",
        )
    ),
    ("POST", "/admin/plan/tasks/{code}"): Recipe(
        _page(
            f"/admin/plan/tasks/{TASK}",
            scope="lead_unit",
            lead_unit="vhxh",
            cadence="once",
            expected_product="Đổi",
            version="1",
        )
    ),
    ("POST", "/api/v1/indicators"): Recipe(
        _api(
            f"{API}/indicators",
            {
                "code": "zz_a_target",
                "name": "Chỉ tiêu",
                "area": "par3",
                "measure": "percent",
                "comparator": ">=",
                "target": 50,
                "plan": PLAN,
            },
        )
    ),
    ("PATCH", "/api/v1/indicators/{code}"): Recipe(
        _api(f"{API}/indicators/{TARGET}", {"target": 85})
    ),
    ("POST", "/admin/targets/{code}"): Recipe(
        _page(
            f"/admin/targets/{TARGET}",
            name="Đổi",
            area="par3",
            measure="percent",
            comparator=">=",
            target="85",
            version="1",
        )
    ),
    ("POST", "/api/v1/domains"): Recipe(_api(f"{API}/domains", {"code": "tu-phap", "name": "TP"})),
    ("POST", "/admin/targets/domains"): Recipe(
        _page("/admin/targets/domains", code="tu-phap", name="Tư pháp", position="9")
    ),
    ("POST", "/api/v1/validation-rules"): Recipe(
        _api(f"{API}/validation-rules", {"code": "zz-a-rule", **RULE_BODY, "plan": PLAN})
    ),
    ("PUT", "/api/v1/validation-rules/{code}"): Recipe(
        _api(f"{API}/validation-rules/{RULE}", {**RULE_BODY, "severity": "block", "version": 1})
    ),
    ("POST", "/api/v1/validation-rules/{code}/active"): Recipe(
        _api(f"{API}/validation-rules/{RULE}/active", {"active": False, "version": 1})
    ),
    ("POST", "/admin/rules"): Recipe(
        _page(
            f"/admin/rules?plan={PLAN}",
            code="zz-a-rule",
            message="Không vượt 100%.",
            severity="flag",
            kind="value",
            operator="<=",
            left_indicator="online_dossier",
            right_constant="100",
        )
    ),
    ("POST", "/admin/rules/{code}"): Recipe(
        _page(
            f"/admin/rules/{RULE}",
            message="Đổi",
            severity="block",
            kind="value",
            operator="<=",
            left_indicator="online_dossier",
            right_constant="100",
            version="1",
        )
    ),
    ("POST", "/admin/rules/{code}/active"): Recipe(
        _page(f"/admin/rules/{RULE}/active", active="", version="1")
    ),
    # --- import profiles (shared by every ward: only the city changes them) -------------------
    ("POST", "/api/v1/import-profiles"): Recipe(
        _api(f"{API}/import-profiles", {"code": "mau-b", "name": "Mẫu", "spec": _SPEC})
    ),
    ("PUT", "/api/v1/import-profiles/{code}"): Recipe(
        _api(f"{API}/import-profiles/{_SHIPPED}", {"name": "Đổi"})
    ),
    ("DELETE", "/api/v1/import-profiles/{code}"): Recipe(_api(f"{API}/import-profiles/{_SHIPPED}")),
    ("POST", "/api/v1/import-profiles/{code}/preview"): Recipe(
        lambda b: Call(
            f"{API}/import-profiles/{_SHIPPED}/preview",
            files={
                "file": (
                    "a.csv",
                    _PROFILE_ROWS,
                    "text/csv",
                )
            },
            expect=REFUSED | {200},
        ),
        own_only="a preview writes nothing (its answer is checked by the profile tests)",
    ),
    ("POST", "/admin/profiles"): Recipe(
        _page("/admin/profiles", code="mau-b", name="Mẫu", kind="dossiers", copy_from=_SHIPPED)
    ),
    ("POST", "/admin/profiles/{code}"): Recipe(_page(f"/admin/profiles/{_SHIPPED}", name="Đổi")),
    ("POST", "/admin/profiles/{code}/preview"): Recipe(
        lambda b: Call(
            f"/admin/profiles/{_SHIPPED}/preview", form={}, files=_PDF, expect=REFUSED | {200}
        ),
        own_only="a preview writes nothing",
    ),
    ("POST", "/admin/profiles/{code}/delete"): Recipe(
        _page(f"/admin/profiles/{_SHIPPED}/delete", confirm="1")
    ),
    # --- readings, progress, feeds ----------------------------------------------------------------
    ("PUT", "/api/v1/readings"): Recipe(
        _api(
            f"{API}/readings",
            {"indicator": "online_dossier", "unit": UNIT, "period": PERIOD, "value": 1},
        )
    ),
    ("DELETE", "/api/v1/readings/{reading_id}"): Recipe(_api(f"{API}/readings/{{b.reading_id}}")),
    ("PUT", "/api/v1/progress"): Recipe(
        _api(
            f"{API}/progress",
            {"assignment": TASK, "unit": UNIT, "period": PERIOD, "status": "done"},
        )
    ),
    ("POST", "/api/v1/readings/bulk"): Recipe(
        _api(
            f"{API}/readings/bulk",
            **_csv(f"indicator,unit,period,value\nonline_dossier,{UNIT},{PERIOD},1\n"),
        )
    ),
    ("POST", "/api/v1/progress/bulk"): Recipe(
        _api(
            f"{API}/progress/bulk",
            **_csv(f"assignment,unit,period,status\n{TASK},{UNIT},{PERIOD},done\n"),
        )
    ),
    ("POST", "/api/v1/dossiers/bulk"): Recipe(
        _api(
            f"{API}/dossiers/bulk",
            **_csv(
                "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at\n"
                f"H29-B-1,{UNIT},1.001,Khai sinh,ho-tich,online,2025-10-01,2025-10-03\n"
            ),
        )
    ),
    ("POST", "/api/v1/feedback/bulk"): Recipe(
        _api(
            f"{API}/feedback/bulk",
            **_csv(
                "code,unit,channel,kind,received_at,due_at\n"
                f"PA-B-1,{UNIT},1022,complaint,2025-10-05,2025-10-10\n"
            ),
        )
    ),
    ("POST", "/imports"): Recipe(
        lambda b: Call(
            "/imports",
            form={"kind": "readings"},
            files={
                "file": (
                    "a.csv",
                    f"indicator,unit,period,value\nonline_dossier,{UNIT},{PERIOD},1\n".encode(),
                    "text/csv",
                )
            },
        )
    ),
    ("POST", "/api/v1/units/{unit}/periods/{period}/rows"): Recipe(
        # documented as always 200 with a result per row: each of B's rows is refused
        lambda b: Call(
            f"{_UNIT_API}/rows",
            json={"tasks": [{"assignment": TASK, "status": "done"}]},
            expect=frozenset({200}),
            says='"saved":0,',
        ),
    ),
    ("POST", "/units/{unit}/periods/{period}/save-all"): Recipe(
        _api(f"{_UNIT_PAGE}/save-all", {"tasks": [{"code": TASK, "status": "done"}]})
    ),
    ("POST", "/units/{unit}/periods/{period}/tasks/{code}"): Recipe(
        _page(f"{_UNIT_PAGE}/tasks/{TASK}", status="done", percent_complete="100")
    ),
    ("POST", "/units/{unit}/periods/{period}/readings/{indicator}"): Recipe(
        _page(f"{_UNIT_PAGE}/readings/{TARGET}", value="1")
    ),
    # --- evidence ---------------------------------------------------------------------------------
    ("POST", "/api/v1/units/{unit}/periods/{period}/tasks/{code}/evidence"): Recipe(
        _api(f"{_UNIT_API}/tasks/{TASK}/evidence", {"url": "https://a.example.vn/vb/1"})
    ),
    ("DELETE", "/api/v1/evidence/{key}"): Recipe(_api(f"{API}/evidence/{{b.evidence_key}}")),
    ("POST", "/units/{unit}/periods/{period}/tasks/{code}/evidence"): Recipe(
        lambda b: Call(f"{_UNIT_PAGE}/tasks/{TASK}/evidence", form={}, files=_PDF)
    ),
    ("POST", "/units/{unit}/periods/{period}/tasks/{code}/evidence/link"): Recipe(
        _page(f"{_UNIT_PAGE}/tasks/{TASK}/evidence/link", url="https://a.example.vn/vb/1")
    ),
    ("POST", "/units/{unit}/periods/{period}/tasks/{code}/evidence/{key}/delete"): Recipe(
        _page("/units/vhxh/periods/2025-10/tasks/II.1.1.1/evidence/{b.evidence_key}/delete")
    ),
    # --- reports: submissions, review, reopening, coordination ---------------------------------
    ("POST", "/api/v1/submissions/{unit}/{period}/{action}"): Recipe(
        _api(f"{API}/submissions/{UNIT}/{PERIOD}/submit", {})
    ),
    ("POST", "/units/{unit}/periods/{period}/submit"): Recipe(
        _page(f"{_UNIT_PAGE}/submit", version="0")
    ),
    ("POST", "/review/{unit}/{period}/{action}"): Recipe(
        _page(f"/review/{UNIT}/{PERIOD}/approve", comment="", version="1")
    ),
    ("POST", "/api/v1/units/{unit}/periods/{period}/reopen-requests"): Recipe(
        _api(f"{_UNIT_API}/reopen-requests", {"reason": "Sửa số liệu"})
    ),
    ("POST", "/units/{unit}/periods/{period}/reopen-requests"): Recipe(
        _page(f"{_UNIT_PAGE}/reopen-requests", reason="Sửa số liệu")
    ),
    ("POST", "/units/{unit}/periods/{period}/reopen-requests/{number}/withdraw"): Recipe(
        _page(f"{_UNIT_PAGE}/reopen-requests/1/withdraw", version="1")
    ),
    ("POST", "/api/v1/reopen-requests/{unit}/{period}/{number}/{decision}"): Recipe(
        _api(f"{API}/reopen-requests/{UNIT}/{PERIOD}/1/grant", {"version": 1})
    ),
    ("POST", "/review/{unit}/{period}/reopen-requests/{number}/{decision}"): Recipe(
        _page(f"/review/{UNIT}/{PERIOD}/reopen-requests/1/grant", version="1")
    ),
    ("PUT", "/api/v1/units/{unit}/periods/{period}/coordinating/{task}"): Recipe(
        _api(f"{_UNIT_API}/coordinating/{TASK}", {"answer": "confirmed", "version": 0})
    ),
    ("POST", "/units/{unit}/periods/{period}/coordinating/{code}"): Recipe(
        _page(f"{_UNIT_PAGE}/coordinating/{TASK}", answer="confirmed", version="0")
    ),
    ("POST", "/api/v1/reports/consolidated/final"): Recipe(
        _api(f"{API}/reports/consolidated/final?period={PERIOD}&plan={PLAN}")
    ),
    ("POST", "/reports/consolidated/final"): Recipe(
        _page(f"/reports/consolidated/final?plan={PLAN}", period=PERIOD)
    ),
    ("PUT", "/api/v1/reports/config"): Recipe(
        _api(f"{API}/reports/config?plan={PLAN}", {"signer_name": "Nguyễn Văn A"})
    ),
    # --- SIPAS ------------------------------------------------------------------------------------
    ("POST", "/api/v1/sipas/codes"): Recipe(
        _api(
            f"{API}/sipas/codes",
            {"dossiers": [{"dossier_code": "H29-B-2", "unit": UNIT, "domain": "ho-tich"}]},
        )
    ),
    ("POST", "/sipas/ma"): Recipe(
        lambda b: Call(
            "/sipas/ma",
            form={"dossier_code": "H29-B-2", "domain": "ho-tich"},
            expect=frozenset({200}),
        ),
        own_only="issues a code for the caller's own ward's service centre (the form names no "
        "unit); POST /api/v1/sipas/codes names B's unit",
    ),
    ("POST", "/api/v1/sipas/questionnaires"): Recipe(
        _api(f"{API}/sipas/questionnaires", {"version": "2099.2"})
    ),
    ("POST", "/api/v1/sipas/questionnaires/{version}/publish"): Recipe(
        _api(f"{API}/sipas/questionnaires/2099.1/publish")
    ),
    ("POST", "/api/v1/sipas/comments/{comment_id}/hide"): Recipe(
        _api(f"{API}/sipas/comments/{{b.comment_id}}/hide", {"reason": "Thử"})
    ),
    ("POST", "/api/v1/sipas/comments/{comment_id}/show"): Recipe(
        _api(f"{API}/sipas/comments/{{b.comment_id}}/show", {})
    ),
    ("POST", "/sipas/gop-y/{comment_id}/an"): Recipe(
        _page("/sipas/gop-y/{b.comment_id}/an", reason="Thử")
    ),
    ("POST", "/sipas/gop-y/{comment_id}/hien"): Recipe(_page("/sipas/gop-y/{b.comment_id}/hien")),
    ("POST", "/api/v1/sipas/readings"): Recipe(
        _api(f"{API}/sipas/readings?plan={PLAN}", {"period": "2025-11"})
    ),
    ("POST", "/sipas/chi-so"): Recipe(_page(f"/sipas/chi-so?plan={PLAN}", period="2025-11")),
    ("POST", "/sipas/may"): Recipe(
        lambda b: Call("/sipas/may", form={"name": "Quầy mới"}, expect=frozenset({303})),
        own_only="enrols this browser as a kiosk of the caller's own ward's centre (and signs "
        "the officer out): no other ward's object can be named",
        fresh_client=True,
    ),
    ("POST", "/sipas/may/{kiosk_id}/thu-hoi"): Recipe(_page("/sipas/may/{b.kiosk_id}/thu-hoi")),
    ("PUT", "/api/v1/sipas/ward-version"): Recipe(
        _api(f"{API}/sipas/ward-version", {"questionnaire": None}, expect=frozenset({200})),
        own_only="sets the questionnaire version of the caller's own ward (naming B with ?ward= "
        "is refused): B's own choice stays",
    ),
    ("POST", "/phuong-xa/cai-dat/sipas"): Recipe(
        lambda b: Call(
            "/phuong-xa/cai-dat/sipas", form={"questionnaire": ""}, expect=frozenset({303})
        ),
        own_only="the page twin of PUT /api/v1/sipas/ward-version: the caller's own ward only",
    ),
    ("POST", "/khao-sat"): Recipe(
        lambda b: Call("/khao-sat", form={"token": "x", "go": "send"}, expect=frozenset({400})),
        own_only="the public survey: an answer counts for the ward of its code or kiosk "
        "(tests/sipas/test_many_wards.py); a form without a valid token is refused",
        public=True,
    ),
    # --- notifications ------------------------------------------------------------------------
    ("POST", "/notifications/{notification_id}/read"): Recipe(
        _page("/notifications/{b.notification_id}/read")
    ),
    ("POST", "/notifications/read-all"): Recipe(
        lambda b: Call("/notifications/read-all", form={}, expect=frozenset({200, 303})),
        own_only="marks the caller's own notifications read (B's unread one must stay unread)",
    ),
    # --- the PAR self-assessment: B's year, B's evidence; the shared table is the city's ----------
    ("POST", "/api/v1/par-assessments"): Recipe(
        _api(f"{API}/par-assessments", {"year": PAR_YEAR, "plan": PLAN})
    ),
    ("POST", "/chi-so-cchc"): Recipe(_page("/chi-so-cchc", year=str(PAR_YEAR), plan=PLAN)),
    ("PATCH", "/api/v1/par-assessments/{year}/items/{criterion}"): Recipe(
        _api(f"{_PAR}/items/{PAR_ITEM}", {"applicable": False})
    ),
    ("PUT", "/api/v1/par-assessments/{year}/items/{criterion}/proposal"): Recipe(
        _api(f"{_PAR}/items/{PAR_ITEM}/proposal", {"points": 1, "reason": "x"})
    ),
    ("POST", "/api/v1/par-assessments/{year}/items/{criterion}/review"): Recipe(
        _api(f"{_PAR}/items/{PAR_ITEM}/review", {"decision": "accept"})
    ),
    ("POST", "/api/v1/par-assessments/{year}/items/{criterion}/evidence"): Recipe(
        _api(f"{_PAR}/items/{PAR_ITEM}/evidence", {"url": "https://a.example.vn/x"})
    ),
    ("DELETE", "/api/v1/par-assessments/evidence/{key}"): Recipe(
        _api(f"{API}/par-assessments/evidence/{{b.par_evidence_key}}")
    ),
    ("POST", "/api/v1/par-assessments/{year}/submit"): Recipe(_api(f"{_PAR}/submit")),
    ("PUT", "/api/v1/par-assessments/{year}/appraisal"): Recipe(
        _api(f"{_PAR}/appraisal", [{"criterion": PAR_ITEM, "points": 1}])
    ),
    ("POST", "/api/v1/par-assessments/{year}/appraisal/import"): Recipe(
        lambda b: Call(f"{_PAR}/appraisal/import", **_csv(_APPRAISAL_CSV))
    ),
    ("PUT", "/api/v1/par-assessments/{year}/published"): Recipe(
        _api(f"{_PAR}/published", {"rank": 1, "of": 168})
    ),
    ("PATCH", "/api/v1/par-frameworks/{code}/criteria/{criterion}"): Recipe(
        _api(f"{API}/par-frameworks/{_FRAMEWORK}/criteria/{PAR_ITEM}", {"title": "Khác"})
    ),
    ("POST", "/api/v1/par-frameworks/{code}/criteria/import"): Recipe(
        lambda b: Call(
            f"{API}/par-frameworks/{_FRAMEWORK}/criteria/import?year=2025", **_csv(_CRITERIA_CSV)
        )
    ),
    ("POST", "/chi-so-cchc/{year}/gui"): Recipe(_page(f"{_PAR_PAGE}/gui")),
    ("POST", "/chi-so-cchc/{year}/cong-bo"): Recipe(_page(f"{_PAR_PAGE}/cong-bo", rank="1")),
    ("POST", "/chi-so-cchc/{year}/tham-dinh"): Recipe(
        lambda b: Call(
            f"{_PAR_PAGE}/tham-dinh",
            form={},
            files={"file": ("tham-dinh.csv", _APPRAISAL_CSV.encode(), "text/csv")},
        )
    ),
    ("POST", "/chi-so-cchc/{year}/tieu-chi/{criterion}/cai-dat"): Recipe(
        _page(f"{_PAR_PAGE}/tieu-chi/{PAR_ITEM}/cai-dat", applicable="")
    ),
    ("POST", "/chi-so-cchc/{year}/tieu-chi/{criterion}/danh-gia"): Recipe(
        _page(f"{_PAR_PAGE}/tieu-chi/{PAR_ITEM}/danh-gia", decision="accept")
    ),
    ("POST", "/chi-so-cchc/{year}/tieu-chi/{criterion}/de-xuat"): Recipe(
        _page(f"{_PAR_PAGE}/tieu-chi/{PAR_ITEM}/de-xuat", points="1", reason="x")
    ),
    ("POST", "/chi-so-cchc/{year}/tieu-chi/{criterion}/minh-chung"): Recipe(
        _page(f"{_PAR_PAGE}/tieu-chi/{PAR_ITEM}/minh-chung", url="https://a.example.vn/x")
    ),
    ("POST", "/chi-so-cchc/{year}/tieu-chi/{criterion}/minh-chung/{key}/xoa"): Recipe(
        _page(_PAR_PAGE + "/tieu-chi/" + PAR_ITEM + "/minh-chung/{b.par_evidence_key}/xoa")
    ),
    ("POST", "/chi-so-cchc/khung/{code}/tieu-chi/{criterion}"): Recipe(
        _page(f"/chi-so-cchc/khung/{_FRAMEWORK}/tieu-chi/{PAR_ITEM}", title="Khác")
    ),
    ("POST", "/chi-so-cchc/khung/moi"): Recipe(
        lambda b: Call(
            "/chi-so-cchc/khung/moi",
            form={"code": "zz-bang-moi", "year": "2026"},
            files={"file": ("bang.csv", _CRITERIA_CSV.encode(), "text/csv")},
        )
    ),
    ("POST", "/chi-so-cchc/khung/{code}/nhap"): Recipe(
        lambda b: Call(
            f"/chi-so-cchc/khung/{_FRAMEWORK}/nhap",
            form={},
            files={"file": ("bang.csv", _CRITERIA_CSV.encode(), "text/csv")},
        )
    ),
    # --- the registers: B's own rows by code, B's only unit -----------------------------------
    **{
        key: recipe
        for spec in REGISTERS
        for key, recipe in (
            (("POST", f"{API}{spec.api}"), Recipe(_api(f"{API}{spec.api}", _register_row(spec)))),
            (
                ("PATCH", f"{API}{spec.api}/{{code}}"),
                Recipe(_api(f"{API}{spec.api}/{REGISTER_CODE}", {"unit": "vhxh"})),
            ),
            (
                ("POST", f"{API}{spec.api}/bulk"),
                Recipe(_api(f"{API}{spec.api}/bulk", [_register_row(spec)])),
            ),
        )
    },
    ("POST", "/so-theo-doi/{slug}/moi"): Recipe(
        _page("/so-theo-doi/ket-luan/moi", **_register_form(REGISTERS[0]))
    ),
    ("POST", "/so-theo-doi/{slug}/{code}"): Recipe(
        _page(f"/so-theo-doi/ket-luan/{REGISTER_CODE}", version="1", **_register_form(REGISTERS[0]))
    ),
}
