"""deploy/kubernetes: the Kustomize base and its example overlay render with `kubectl
kustomize` and every rendered object validates, strictly (no unknown fields), against the
Kubernetes OpenAPI schemas that the `kubernetes-validate` package ships, for the oldest
Kubernetes the manifests support and for the newest the package knows. Then what makes a
deployment start cleanly is checked on the rendered objects."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

KUBERNETES = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
OVERLAY = KUBERNETES / "overlays" / "example"
# `appArmorProfile` in a securityContext is a field since Kubernetes 1.30.
OLDEST = "1.30.0"
# Settings whose values are secrets (a URL with a password counts).
SECRET_NAME = re.compile(
    r"(?:^|_)(?:API_KEY|SECRET|SECRET_KEY|TOKEN|PASSWORD|PRIVATE_KEY|DATABASE_URL|REDIS_URL)$"
)


def render(directory: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl is not None, (
        "kubectl is needed to render the Kustomize manifests (`kubectl kustomize`); "
        "install it (Debian/Ubuntu: the kubectl package) and run the tests again"
    )
    done = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module")
def rendered() -> list[dict[str, Any]]:
    return render(OVERLAY)


def _by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _pod_specs(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for o in objects:
        if o["kind"] in ("Deployment", "Job"):
            yield o["metadata"]["name"], o["spec"]["template"]["spec"]


def _containers(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, spec in _pod_specs(objects):
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            yield f"{name}/{container['name']}", container


@pytest.mark.parametrize("version", [OLDEST, kubernetes_validate.latest_version()])
def test_every_rendered_object_matches_the_kubernetes_schema(
    rendered: list[dict[str, Any]], version: str
) -> None:
    kinds = sorted(o["kind"] for o in rendered)
    assert kinds == ["ConfigMap", "Deployment", "Deployment", "Job", "Service"]
    for obj in rendered:
        kubernetes_validate.validate(obj, version, strict=True)


def test_the_base_renders_and_validates_on_its_own() -> None:
    for obj in render(KUBERNETES / "base"):
        kubernetes_validate.validate(obj, OLDEST, strict=True)


def test_the_schema_check_catches_a_misspelled_field(rendered: list[dict[str, Any]]) -> None:
    app = _by_kind(rendered, "Deployment")["codemonkey-app"]
    app["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(app, OLDEST, strict=True)


def test_the_overlay_sets_a_pinned_image_replicas_and_resources(
    rendered: list[dict[str, Any]],
) -> None:
    for where, container in _containers(rendered):
        image = container["image"]
        assert "/" in image and not image.endswith(":latest") and ":" in image, where
        assert container["resources"]["requests"] and container["resources"]["limits"], where
    worker = _by_kind(rendered, "Deployment")["codemonkey-worker"]
    assert worker["spec"]["replicas"] == 4
    limits = worker["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"cpu": "4", "memory": "8Gi"}
    assert all(o["metadata"].get("namespace") == "codemonkey" for o in rendered)


def test_the_app_has_probes_and_the_service_reaches_it(rendered: list[dict[str, Any]]) -> None:
    app = _by_kind(rendered, "Deployment")["codemonkey-app"]
    container = app["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    service = _by_kind(rendered, "Service")["codemonkey"]
    labels = app["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    worker = _by_kind(rendered, "Deployment")["codemonkey-worker"]
    assert (
        worker["spec"]["template"]["metadata"]["labels"].items()
        >= {"app.kubernetes.io/component": "worker"}.items()
    )
    assert (
        not service["spec"]["selector"].items()
        <= worker["spec"]["template"]["metadata"]["labels"].items()
    )  # the Service does not send requests to workers


def test_the_migration_is_a_job_that_the_app_and_workers_wait_for(
    rendered: list[dict[str, Any]],
) -> None:
    job = _by_kind(rendered, "Job")["codemonkey-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    for name, deployment in _by_kind(rendered, "Deployment").items():
        init = deployment["spec"]["template"]["spec"]["initContainers"]
        assert "codemonkey migrate --check" in " ".join(init[0]["command"]), name


def test_secrets_are_referenced_never_written_into_the_manifests(
    rendered: list[dict[str, Any]],
) -> None:
    assert not _by_kind(rendered, "Secret")
    for where, container in _containers(rendered):
        sources = {ref.get("secretRef", {}).get("name") for ref in container["envFrom"]}
        assert "codemonkey" in sources, where
        for variable in container.get("env", []):
            assert not SECRET_NAME.search(variable["name"]) or "valueFrom" in variable, where
    for config_map in _by_kind(rendered, "ConfigMap").values():
        assert config_map["data"]["CODEMONKEY_DATA_DIR"] == "/data"
        assert not [k for k in config_map["data"] if SECRET_NAME.search(k)]
    assert SECRET_NAME.search("CODEMONKEY_WEBHOOK_SECRET") and SECRET_NAME.search("OPENAI_API_KEY")


def test_pods_run_as_the_image_user_without_privileges(rendered: list[dict[str, Any]]) -> None:
    for name, spec in _pod_specs(rendered):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] == 10001, name
        assert spec["automountServiceAccountToken"] is False, name
        mounts = {v["name"] for v in spec["volumes"]}
        assert "data" in mounts, name
    for where, container in _containers(rendered):
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, where
        assert context["capabilities"]["drop"] == ["ALL"], where
    # Only the worker's own container, which runs bubblewrap, leaves seccomp unconfined.
    for where, container in _containers(rendered):
        seccomp = container["securityContext"].get("seccompProfile", {}).get("type")
        if where == "codemonkey-worker/worker":
            assert seccomp == "Unconfined"
        else:
            assert seccomp in (None, "RuntimeDefault"), where
