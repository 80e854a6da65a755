"""compose.yaml describes the deployment the design asks for (no Docker engine runs here)."""

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_has_the_five_services_with_health_checks_and_order():
    services = _compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker"}
    for name in ("postgres", "redis", "api"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
        assert services[name]["build"] == "." and "container_name" not in services[name]


def test_app_services_point_at_the_compose_servers():
    services = _compose()["services"]
    for name in ("migrate", "api", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")
    assert (ROOT / "Dockerfile").exists()


def test_api_publishes_a_container_port_only_so_it_can_scale():
    ports = _compose()["services"]["api"]["ports"]
    assert all(":" not in str(p) for p in ports)


def test_compose_file_matches_the_compose_specification():
    checker = shutil.which("check-jsonschema") or str(
        Path(__import__("sys").executable).parent / "check-jsonschema")
    result = subprocess.run([checker, "--builtin-schema", "vendor.compose-spec",
                             str(ROOT / "compose.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
