"""The app as a whole: health, OpenAPI, error shape, headers, and models matching migrations."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.extensions import db


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"
    assert response.json["version"]


def test_no_cookie_session_is_kept(app, client):
    """Nothing sets a cookie session (tokens are bearer), and a write to one fails loudly."""
    import flask
    import pytest

    response = client.get("/api/v1/health", headers={"Cookie": "session=forged"})
    assert "Set-Cookie" not in response.headers
    with app.test_request_context(), pytest.raises(RuntimeError):
        flask.session["user"] = 1


def test_openapi_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/beneficiaries" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_unknown_url_is_problem_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["title"] == "记录不存在"


def test_wrong_method_is_problem_json(client):
    response = client.put("/api/v1/health")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"


def test_invalid_json_is_problem_json(client, auth_headers):
    response = client.post("/api/v1/beneficiaries", data="{not json", content_type="application/json",
                           headers=auth_headers("liaison1"))
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_api_responses_are_not_cached(client):
    response = client.get("/api/v1/health")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_choices_have_chinese_labels(client):
    choices = client.get("/api/v1/meta/choices").json
    assert choices["visit_types"]["monthly"] == "定时上门走访"
    assert choices["beneficiary_categories"]["martyr_family"] == "烈士遗属"
    # the county's own 便民服务, so staff screens name what a visit recorded
    assert choices["services"]["certificate"] == "代办证件"


def test_models_and_migrations_agree(app):
    """A model change without a migration fails here."""
    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_unexpected_errors_leak_nothing(client, auth_headers, monkeypatch):
    from server.beneficiaries import operations

    def boom(*args):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(operations, "list_statement", boom)
    response = client.get("/api/v1/beneficiaries", headers=auth_headers("liaison1"))
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)
    assert response.json["code"] == "internal_error"


def test_county_settings_for_phones(client):
    from server.common.timeutil import county_today

    settings = client.get("/api/v1/meta/settings").json
    phrases = settings.pop("quick_phrases")
    services = settings.pop("services")
    assert settings == {"visit_day": 18, "overdue_grace_days": 3, "time_zone": "Asia/Shanghai",
                        "today": county_today().isoformat()}
    # a few 常用语 for each visit type unless the county sets its own
    assert set(phrases) == {"monthly", "sick", "hardship", "mediation", "good_news"}
    assert "身体状况良好" in phrases["monthly"]
    # the county's 便民服务 list (LIANXIN_SERVICES), each a code and its words
    assert {"code": "certificate", "label": "代办证件"} in services
    assert all(set(service) == {"code", "label"} for service in services)


def test_the_county_sets_its_own_services(monkeypatch):
    from server.config import _feedback_environment

    monkeypatch.setenv("LIANXIN_SERVICES", '[{"code": "firewood", "label": "代购柴火"}]')
    assert _feedback_environment()["LIANXIN_SERVICES"] == [{"code": "firewood",
                                                            "label": "代购柴火"}]


def test_the_county_sets_its_own_quick_phrases(monkeypatch):
    from server.config import _feedback_environment

    monkeypatch.setenv("LIANXIN_QUICK_PHRASES", '{"monthly": ["庄稼长势好"]}')
    assert _feedback_environment()["LIANXIN_QUICK_PHRASES"] == {"monthly": ["庄稼长势好"]}
