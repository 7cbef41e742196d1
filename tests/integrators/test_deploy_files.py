"""The shipped Grafana dashboard and Prometheus alert rules read metrics the app really exposes, and the
alerts an operator was promised are there (queue age, overdue referrals)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.integrators.test_metrics_scrape import EXPECTED

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
METRIC = re.compile(r"\b((?:tandem|process)_[a-z0-9_]+)")


def _base(name: str) -> str:
    return re.sub(r"_(total|bucket|sum|count)$", "", name)


def test_dashboard_panels_query_exposed_metrics():
    dash = json.loads((DEPLOY / "grafana" / "tandem-dashboard.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    used = {_base(m) for e in exprs for m in METRIC.findall(e)}
    assert used and used <= EXPECTED, used - EXPECTED
    assert {"tandem_webhook_oldest_pending_age_seconds", "tandem_referrals_overdue", "tandem_db_pool_waiting",
            "tandem_consents_expiring_14d"} <= used


def test_alert_rules_cover_queue_age_and_overdue_referrals():
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"]}
    assert "tandem_webhook_oldest_pending_age_seconds" in alerts["TandemWebhookQueueStalled"]["expr"]
    assert "tandem_referrals_overdue" in alerts["TandemReferralsOverdue"]["expr"]
    used = {_base(m) for r in alerts.values() for m in METRIC.findall(r["expr"])}
    assert used <= EXPECTED, used - EXPECTED


def test_every_metric_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "operating.md").read_text()
    section = doc.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    documented = {_base(m) for m in METRIC.findall(section)}
    assert EXPECTED <= documented, EXPECTED - documented


def test_compose_runs_migrations_once_before_two_replicas_and_the_worker():
    compose = yaml.safe_load((DEPLOY.parent / "compose.yaml").read_text())
    services = compose["services"]
    assert services["migrate"]["command"] == ["tandem", "migrate"]
    apis = [s for name, s in services.items() if name.startswith("api-")]
    assert len(apis) == 2
    for svc in [*apis, services["worker"]]:
        assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "migrate" not in svc["command"] and svc["environment"]["TANDEM_WEBHOOK_WORKER_ENABLED"] == "false"
        assert svc["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert services["worker"]["command"][:2] == ["tandem", "deliver"]
    assert "healthcheck" in services["db"]
    dockerfile = (DEPLOY.parent / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "/readyz" in dockerfile and "VOLUME" in dockerfile
    assert "--require-hashes" in dockerfile and "pip install -e" not in dockerfile
    assert 'CMD ["tandem", "start"]' in dockerfile
