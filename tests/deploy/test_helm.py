"""The Helm chart, rendered by Helm's own engine (helm-python-sdk, no binary, no cluster)
and checked against the Kubernetes schemas and the properties that keep it safe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "plant-analytics"
TARGETS = ["gateway", "auth", "api", "worker", "scheduler"]
PORTS = {"all": 8000, "gateway": 8000, "auth": 5001, "api": 3000, "worker": 9100, "scheduler": 9100}
KUBE_VERSIONS = ["1.25.0", "1.30.0", kubernetes_validate.utils.latest_version()]
RELEASE, NAMESPACE = "pa", "plants"
FULLNAME = f"{RELEASE}-plant-analytics"

# Resources of CRDs the Kubernetes schemas do not cover: checked structurally instead.
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
}
SECRET_LIKE = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY|PRIVATE", re.IGNORECASE)
CREDENTIALS_IN_URL = re.compile(r"://[^/@\s]*:(?!\$\()[^/@\s]+@")


def values_file(name: str) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((CHART / "ci" / f"{name}-values.yaml").read_text())
    return values


DEFAULT_METRICS_FROM = yaml.safe_load((CHART / "values.yaml").read_text())["networkPolicy"][
    "metricsFrom"
]
VALUE_SETS: dict[str, dict[str, Any]] = {
    "default": {},
    "monolithic": values_file("monolithic"),
    "full": values_file("full"),
}


@cache
def _render(values_yaml: str) -> tuple[dict[str, Any], ...]:
    values = yaml.safe_load(values_yaml)
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(values)
        manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs: list[dict[str, Any]] = []
    for path, text in manifests.items():
        if path.endswith(".txt"):
            continue
        docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return tuple(docs)


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return list(_render(yaml.safe_dump(values or {}, sort_keys=True)))


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def component(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/component"])


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in {"Deployment", "Job"}:
            yield doc["metadata"]["name"], doc["spec"]["template"]["spec"]
        elif doc["kind"] == "CronJob":
            yield doc["metadata"]["name"], doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --- Helm itself --------------------------------------------------------------------------


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_helm_chart_lints_clean_without_a_cluster(value_set: str) -> None:
    report = helm.lint(CHART, VALUE_SETS[value_set], strict=True, namespace=NAMESPACE)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"], report["errors"]
    assert not problems, problems


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_helm_chart_renders_without_a_cluster(value_set: str) -> None:
    kinds = {doc["kind"] for doc in render(VALUE_SETS[value_set])}
    assert {"Deployment", "Service", "Job", "NetworkPolicy", "ServiceAccount"} <= kinds
    assert "Secret" not in kinds


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_every_rendered_manifest_matches_the_kubernetes_schemas_offline(value_set: str) -> None:
    docs = render(VALUE_SETS[value_set])
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            assert doc["metadata"]["name"], doc
            assert isinstance(doc["spec"], dict), doc
            continue
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{doc['kind']}/{doc['metadata']['name']} on {version}: {error}")


def test_values_schema_rejects_mistakes_before_anything_renders() -> None:
    bad_values: list[dict[str, Any]] = [
        {"environment": "prod"},
        {"targets": {"scheduler": {"replicas": 2}}},
        {"config": {"extraEnv": {"PA_ADMIN_PASSWORD": "hunter2"}}},
        {"postgresql": {"password": "hunter2"}},
        {"postgresql": {"host": ""}},
        {"image": {"digest": "latest"}},
        {"ingress": {"enabled": True, "hosts": [{"host": "x.example.org", "paths": []}]}},
        {"unknownTopLevelKey": True},
    ]
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema({})
        for values in bad_values:
            with pytest.raises(helm.HelmError):
                chart.validate_schema(values)


# --- Targets, services, probes ------------------------------------------------------------


def test_microservices_mode_runs_one_deployment_per_target_of_one_image() -> None:
    deployments = of_kind(render(), "Deployment")
    assert sorted(map(component, deployments.values())) == sorted(TARGETS)
    images = set()
    for deployment in deployments.values():
        target = component(deployment)
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["plant-analytics"]
        assert container["args"] == ["serve", "--target", target]
        images.add(container["image"])
    assert len(images) == 1


def test_monolithic_mode_runs_a_single_all_in_one_deployment() -> None:
    docs = render(VALUE_SETS["monolithic"])
    (deployment,) = of_kind(docs, "Deployment").values()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["serve", "--target", "all"]
    assert [component(s) for s in of_kind(docs, "Service").values()] == ["all"]
    assert not of_kind(docs, "HorizontalPodAutoscaler")


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_every_container_is_probed_on_health_and_ready(value_set: str) -> None:
    for deployment in of_kind(render(VALUE_SETS[value_set]), "Deployment").values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        (port,) = container["ports"]
        assert port == {
            "name": "http",
            "containerPort": PORTS[component(deployment)],
            "protocol": "TCP",
        }
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        assert container["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        assert container["resources"]["requests"]
        assert container["resources"]["limits"]


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_each_service_selects_exactly_its_targets_pods(value_set: str) -> None:
    docs = render(VALUE_SETS[value_set])
    deployments = of_kind(docs, "Deployment")
    for service in of_kind(docs, "Service").values():
        matching = [
            d for d in deployments.values()
            if selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]  # fmt: skip
        assert [component(d) for d in matching] == [component(service)]
        assert service["spec"]["ports"] == [
            {
                "name": "http",
                "port": PORTS[component(service)],
                "targetPort": "http",
                "protocol": "TCP",
            }
        ]


def test_only_the_gateway_service_may_leave_the_cluster_network() -> None:
    services = of_kind(render({"service": {"type": "LoadBalancer"}}), "Service")
    types = {component(s): s["spec"]["type"] for s in services.values()}
    assert types == {"gateway": "LoadBalancer", "auth": "ClusterIP", "api": "ClusterIP",
                     "worker": "ClusterIP", "scheduler": "ClusterIP"}  # fmt: skip


@pytest.mark.parametrize("value_set", ["monolithic", "full"])
def test_the_ingress_routes_to_the_gateway_only(value_set: str) -> None:
    docs = render(VALUE_SETS[value_set])
    (ingress,) = of_kind(docs, "Ingress").values()
    entry = "all" if value_set == "monolithic" else "gateway"
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {f"{FULLNAME}-{entry}"}


# --- NetworkPolicy --------------------------------------------------------------------------


def _pod_labels(docs: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {
        component(d): d["spec"]["template"]["metadata"]["labels"]
        for d in of_kind(docs, "Deployment").values()
    }


@pytest.mark.parametrize("metrics_from", ["default", "none"])
def test_only_gateway_pods_may_reach_api_and_auth(metrics_from: str) -> None:
    values: dict[str, Any] = (
        {} if metrics_from == "default" else {"networkPolicy": {"metricsFrom": []}}
    )
    docs = render(values)
    pods = _pod_labels(docs)
    scrapers = [] if metrics_from == "none" else DEFAULT_METRICS_FROM
    policies = {component(p): p["spec"] for p in of_kind(docs, "NetworkPolicy").values()}
    for target in ["api", "auth"]:
        policy = policies[target]
        assert "Ingress" in policy["policyTypes"]
        guarded = [
            t for t, labels in pods.items() if selects(policy["podSelector"]["matchLabels"], labels)
        ]
        assert guarded == [target]
        for rule in policy["ingress"]:
            # A rule without `from` would let every pod in the cluster in.
            assert rule.get("from"), rule
            assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
            for peer in rule["from"]:
                if "namespaceSelector" in peer:
                    assert peer in scrapers
                    continue
                admitted = [
                    t
                    for t, labels in pods.items()
                    if selects(peer["podSelector"]["matchLabels"], labels)
                ]
                assert admitted == ["gateway"], peer
        from_gateway = [
            rule for rule in policy["ingress"] if "namespaceSelector" not in rule["from"][0]
        ]
        assert len(from_gateway) == 1
        assert len(policy["ingress"]) == 1 + bool(scrapers)


def test_workers_and_scheduler_accept_scrapes_only() -> None:
    policies = {component(p): p["spec"] for p in of_kind(render(), "NetworkPolicy").values()}
    for target in ["worker", "scheduler"]:
        (rule,) = policies[target]["ingress"]
        assert rule["from"] == DEFAULT_METRICS_FROM


def test_the_monolith_exposes_only_the_gateway_port() -> None:
    (policy,) = of_kind(render(VALUE_SETS["monolithic"]), "NetworkPolicy").values()
    assert policy["spec"]["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]


# --- Secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_no_secret_is_inlined_only_referenced(value_set: str) -> None:
    docs = render(VALUE_SETS[value_set])
    assert not [d for d in docs if d["kind"] == "Secret"]
    referenced = set()
    for name, spec in pod_specs(docs):
        for container in spec["containers"]:
            for var in container.get("env", []):
                if "value" in var:
                    assert not SECRET_LIKE.search(var["name"]) or var["name"].endswith("_FILE"), (
                        name,
                        var,
                    )
                    assert not CREDENTIALS_IN_URL.search(var["value"]), (name, var)
                else:
                    referenced.add(var["valueFrom"]["secretKeyRef"]["name"])
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                referenced.add(volume["secret"]["secretName"])
    assert {"plant-analytics", "plant-analytics-jwt", "plant-analytics-postgresql",
            "plant-analytics-rabbitmq", "plant-analytics-s3"} <= referenced  # fmt: skip


def test_connection_urls_take_their_passwords_from_secret_variables() -> None:
    (deployment,) = [
        d
        for d in of_kind(render(VALUE_SETS["full"]), "Deployment").values()
        if component(d) == "api"
    ]
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    position = {var["name"]: i for i, var in enumerate(env)}
    values = {var["name"]: var.get("value") for var in env}
    for url, password in [
        ("PA_DATABASE_URL", "PA_DATABASE_PASSWORD"),
        ("PA_REDIS_URL", "PA_REDIS_PASSWORD"),
        ("PA_BROKER_URL", "PA_BROKER_PASSWORD"),
    ]:
        assert f"$({password})" in values[url]
        # Kubernetes expands $(VAR) only from variables defined earlier in the list.
        assert position[password] < position[url]
        assert "secretKeyRef" in env[position[password]]["valueFrom"]
    assert values["PA_BROKER_URL"].endswith("@rabbitmq:5672/%2F")
    assert values["PA_SIGNING_KEY_FILE"] == "/etc/plant-analytics/jwt/signing-key.pem"


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_pods_run_as_non_root_with_a_read_only_root(value_set: str) -> None:
    for name, spec in pod_specs(render(VALUE_SETS[value_set])):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name


# --- Migration, scaling, disruption, monitoring, backups -----------------------------------


@pytest.mark.parametrize("value_set", VALUE_SETS)
def test_migrations_run_as_a_pre_install_and_pre_upgrade_hook(value_set: str) -> None:
    (job,) = of_kind(render(VALUE_SETS[value_set]), "Job").values()
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"] + container["args"] == ["plant-analytics", "db", "upgrade"]
    assert spec["restartPolicy"] == "Never"
    # Hooks run before the release's own objects exist: nothing of the release may be needed.
    assert "serviceAccountName" not in spec
    assert "envFrom" not in container


def test_gateway_api_and_worker_scale_on_cpu() -> None:
    docs = render()
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    assert sorted(map(component, hpas.values())) == ["api", "gateway", "worker"]
    replicas = {
        component(d): d["spec"].get("replicas") for d in of_kind(docs, "Deployment").values()
    }
    for hpa in hpas.values():
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1", "kind": "Deployment", "name": hpa["metadata"]["name"],
        }  # fmt: skip
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        # A fixed replica count would fight the autoscaler on every `helm upgrade`.
        assert replicas[component(hpa)] is None
    assert replicas["scheduler"] == 1
    assert replicas["auth"] == 2


def test_with_keda_the_worker_scales_on_queue_depth_and_cpu() -> None:
    docs = render(VALUE_SETS["full"])
    assert "worker" not in map(component, of_kind(docs, "HorizontalPodAutoscaler").values())
    (scaled,) = of_kind(docs, "ScaledObject").values()
    assert scaled["spec"]["scaleTargetRef"]["name"] == f"{FULLNAME}-worker"
    triggers = {t["type"]: t for t in scaled["spec"]["triggers"]}
    assert set(triggers) == {"rabbitmq", "cpu"}
    assert triggers["rabbitmq"]["metadata"]["mode"] == "QueueLength"
    (auth,) = of_kind(docs, "TriggerAuthentication").values()
    assert triggers["rabbitmq"]["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert auth["spec"]["secretTargetRef"][0]["parameter"] == "host"


def test_disruption_budgets_cover_the_replicated_targets() -> None:
    docs = render()
    pods = _pod_labels(docs)
    budgets = of_kind(docs, "PodDisruptionBudget").values()
    covered = {
        target for budget in budgets for target, labels in pods.items()
        if selects(budget["spec"]["selector"]["matchLabels"], labels)
    }  # fmt: skip
    assert covered == {"gateway", "auth", "api", "worker"}


def test_the_service_monitor_scrapes_every_target_as_one_job() -> None:
    docs = render(VALUE_SETS["full"])
    (monitor,) = of_kind(docs, "ServiceMonitor").values()
    assert monitor["spec"]["jobLabel"] == "app.kubernetes.io/part-of"
    (endpoint,) = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    scraped = [
        s
        for s in of_kind(docs, "Service").values()
        if selects(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
    ]
    assert sorted(map(component, scraped)) == sorted(TARGETS)
    assert all(
        s["metadata"]["labels"]["app.kubernetes.io/part-of"] == "plant-analytics" for s in scraped
    )


def test_the_backup_cronjob_dumps_the_database_with_a_referenced_password() -> None:
    docs = render(VALUE_SETS["full"])
    (cronjob,) = of_kind(docs, "CronJob").values()
    assert cronjob["spec"]["schedule"] == "0 3 * * *"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert "pg_dump --format=custom" in container["args"][0]
    env = {var["name"]: var for var in container["env"]}
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "plant-analytics-postgresql"
    (claim,) = of_kind(docs, "PersistentVolumeClaim").values()
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
