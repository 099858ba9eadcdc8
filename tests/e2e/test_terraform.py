"""generate_terraform and the Terraform resources, through the official MCP client.

Every generated file is parsed by a real HCL parser (python-hcl2); every `${...}` reference must resolve to a
resource, data source, variable or provider alias the files declare; no secret may be written; and the files
must carry what the plan and the estimate say.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import anyio
import hcl2
import pytest
from mcp import Client, StdioServerParameters

from _support import call_err, call_ok

pytestmark = pytest.mark.anyio

# The brief's "Deploy Node.js app on AWS with RDS PostgreSQL".
NODE_POSTGRES_AWS = {
    "name": "shop",
    "provider": "aws",
    "regions": {"aws": "us-east-1"},
    "components": [
        {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4},
        {"name": "db", "kind": "database", "engine": "postgres", "vcpus": 2, "memory_gb": 4},
    ],
}
# The brief's "Create load-balanced app on DigitalOcean".
LOAD_BALANCED_DO = {
    "name": "shop",
    "provider": "digitalocean",
    "regions": {"digitalocean": "nyc3"},
    "components": [
        {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4, "count": 2},
        {"name": "lb", "kind": "load_balancer"},
    ],
}
# DigitalOcean droplets writing to an AWS S3 bucket: both providers in one configuration.
DROPLETS_WITH_S3 = {
    "name": "media",
    "regions": {"digitalocean": "nyc3", "aws": "us-east-1"},
    "components": [
        {"name": "web", "kind": "web_server", "provider": "digitalocean", "count": 2},
        {"name": "uploads", "kind": "object_storage", "provider": "aws", "storage_gb": 100},
    ],
}
# Every kind on both clouds, a bucket in a second AWS region, a private server, and databases used across the clouds.
EVERYTHING = {
    "name": "big",
    "regions": {"digitalocean": "nyc3", "aws": "us-east-1"},
    "components": [
        {"name": "web", "kind": "web_server", "provider": "aws", "count": 2},
        {"name": "worker", "kind": "web_server", "provider": "aws", "public": False},
        {"name": "lb", "kind": "load_balancer", "provider": "aws"},
        {"name": "db", "kind": "database", "provider": "aws", "engine": "mysql", "high_availability": True},
        {"name": "cache", "kind": "cache", "provider": "aws"},
        {"name": "data", "kind": "block_storage", "provider": "aws", "storage_gb": 50},
        {"name": "logs", "kind": "object_storage", "provider": "aws"},
        {"name": "west", "kind": "object_storage", "provider": "aws", "region": "us-west-2"},
        {"name": "app", "kind": "web_server", "provider": "digitalocean", "count": 2},
        {"name": "dlb", "kind": "load_balancer", "provider": "digitalocean"},
        {"name": "pg", "kind": "database", "provider": "digitalocean"},
        {"name": "kv", "kind": "cache", "provider": "digitalocean"},
        {"name": "vol", "kind": "block_storage", "provider": "digitalocean", "storage_gb": 20},
        {"name": "assets", "kind": "object_storage", "provider": "digitalocean"},
    ],
}
EXAMPLES = {
    "aws-node-postgres": NODE_POSTGRES_AWS,
    "do-load-balanced": LOAD_BALANCED_DO,
    "do-droplets-aws-s3": DROPLETS_WITH_S3,
    "everything": EVERYTHING,
}
PROVIDER_LOCAL_NAMES = {"aws", "digitalocean"}
# Where a size lands in each main resource type.
SIZE_ATTRIBUTE = {
    "digitalocean_droplet": "size",
    "digitalocean_database_cluster": "size",
    "aws_instance": "instance_type",
    "aws_db_instance": "instance_class",
    "aws_elasticache_cluster": "node_type",
}

INTERPOLATION = re.compile(r"(?<!\$)\$\{([^}]*)\}")
TRAVERSAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\[\d+\])*(?:\.[A-Za-z_][A-Za-z0-9_-]*(?:\[\d+\])*)+")
SECRET_LITERALS = [
    re.compile(r"dop_v1_[0-9a-f]+"),
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"^\s*(password|token|secret_key|spaces_secret_key|spaces_access_id)\s*=\s*\"", re.M),
]


def unquote(s: str) -> str:
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s


def ident(name: str) -> str:
    return name.replace("-", "_")


class Config:
    """The parsed files: what they declare, and every reference they make."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        self.parsed: dict[str, dict[str, Any]] = {}
        for name, text in files.items():
            try:
                self.parsed[name] = hcl2.loads(text)
            except Exception as e:  # the parser's own errors carry line and column
                pytest.fail(f"{name} does not parse as HCL: {e}\n{text}")
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.data: set[tuple[str, str]] = set()
        self.variables: dict[str, dict[str, Any]] = {}
        self.aliases: set[tuple[str, str]] = set()
        for doc in self.parsed.values():
            for kind in ("resource", "data"):
                for entry in doc.get(kind, []):
                    for rtype, named in entry.items():
                        for rname, body in named.items():
                            key = (unquote(rtype), unquote(rname))
                            assert key not in self.resources and key not in self.data, f"{kind} {key} twice"
                            if kind == "resource":
                                self.resources[key] = body
                            else:
                                self.data.add(key)
            for entry in doc.get("variable", []):
                for vname, body in entry.items():
                    self.variables[unquote(vname)] = body
            for entry in doc.get("provider", []):
                for pname, body in entry.items():
                    if "alias" in body:
                        self.aliases.add((unquote(pname), unquote(body["alias"])))

    def references(self) -> list[tuple[str, str]]:
        """(file, traversal) for every reference in an expression or a template."""
        found = []

        def walk(file: str, value: Any) -> None:
            if isinstance(value, dict):
                for key, child in value.items():
                    if not key.startswith("__"):
                        walk(file, child)
            elif isinstance(value, list):
                for child in value:
                    walk(file, child)
            elif isinstance(value, str):
                for expression in INTERPOLATION.findall(value):
                    for match in TRAVERSAL.finditer(expression):
                        end = match.end()
                        if end < len(expression) and expression[end] == "(":
                            continue  # a function call, e.g. list(string)
                        found.append((file, match.group(0)))

        for file, doc in self.parsed.items():
            walk(file, doc)
        return found

    def resolves(self, traversal: str) -> bool:
        parts = [re.sub(r"\[\d+\]", "", p) for p in traversal.split(".")]
        root = parts[0]
        if root == "var":
            return parts[1] in self.variables
        if root == "data":
            return len(parts) >= 3 and (parts[1], parts[2]) in self.data
        if root in PROVIDER_LOCAL_NAMES and len(parts) == 2:
            return (root, parts[1]) in self.aliases
        return (root, parts[1]) in self.resources


async def generate(client: Client, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    plan = await call_ok(client, "plan_deployment", copy.deepcopy(request))
    out = await call_ok(client, "generate_terraform", {"plan_id": plan["plan_id"]})
    return plan, out


@pytest.mark.parametrize("example", list(EXAMPLES))
async def test_files_parse_and_every_reference_resolves(client: Client, example: str) -> None:
    plan, out = await generate(client, EXAMPLES[example])
    assert out["plan_id"] == plan["plan_id"]
    files = out["files"]
    assert {"versions.tf", "providers.tf", "variables.tf"} <= files.keys(), list(files)
    config = Config(files)
    refs = config.references()
    assert len(refs) > 5, f"suspiciously few references: {refs}"
    unresolved = [f"{file}: {ref}" for file, ref in refs if not config.resolves(ref)]
    assert not unresolved, "references to nothing declared:\n" + "\n".join(unresolved)


@pytest.mark.parametrize("example", list(EXAMPLES))
async def test_only_the_providers_the_plan_uses(client: Client, example: str) -> None:
    plan, out = await generate(client, EXAMPLES[example])
    used = {r["provider"] for r in plan["resources"]}
    files = out["files"]
    assert ("aws.tf" in files) == ("aws" in used), list(files)
    assert ("digitalocean.tf" in files) == ("digitalocean" in used), list(files)
    versions = Config({"versions.tf": files["versions.tf"]}).parsed["versions.tf"]
    required = versions["terraform"][0]["required_providers"][0]
    sources = {name: unquote(spec["source"]) for name, spec in required.items() if not name.startswith("__")}
    expected = {"aws": "hashicorp/aws", "digitalocean": "digitalocean/digitalocean"}
    assert sources == {p: expected[p] for p in used}, sources
    for spec in required.values():
        if isinstance(spec, dict):
            assert unquote(spec["version"]).startswith("~>"), spec


@pytest.mark.parametrize("example", list(EXAMPLES))
async def test_no_secret_is_written(client: Client, example: str) -> None:
    _, out = await generate(client, EXAMPLES[example])
    for name, text in out["files"].items():
        for pattern in SECRET_LITERALS:
            assert not pattern.search(text), f"{name} contains a secret-looking literal ({pattern.pattern})"
    config = Config(out["files"])
    for vname, body in config.variables.items():
        if any(word in vname for word in ("token", "secret", "access_id", "password")):
            assert body.get("sensitive") is True, f"variable {vname} must be sensitive: {body}"
        assert "default" in body, f"variable {vname} needs a default so apply runs without it"
    for v in out["variables"]:
        assert v["name"] in config.variables, v


@pytest.mark.parametrize("example", ["aws-node-postgres", "do-load-balanced", "everything"])
async def test_files_carry_what_the_plan_and_the_estimate_say(client: Client, example: str) -> None:
    plan, out = await generate(client, EXAMPLES[example])
    config = Config(out["files"])
    for r in plan["resources"]:
        key = (r["terraform_type"], ident(r["name"]))
        assert key in config.resources, f"{r['name']} ({r['terraform_type']}) is not in the Terraform"
        body = config.resources[key]
        if r["size"] is not None:
            attribute = SIZE_ATTRIBUTE[r["terraform_type"]]
            assert unquote(body[attribute]) == r["size"], f"{r['name']}: {attribute} = {body[attribute]}"
    estimate = await call_ok(client, "estimate_cost", {"plan_id": plan["plan_id"]})
    declared_names = {name for _, name in config.resources}
    for line in estimate["lines"]:
        if line.get("resource"):
            assert ident(line["resource"]) in declared_names, f"priced but not in the Terraform: {line}"


async def test_aws_database_admits_only_the_web_tier(client: Client) -> None:
    _, out = await generate(client, NODE_POSTGRES_AWS)
    config = Config(out["files"])
    rules = [
        body
        for (rtype, _), body in config.resources.items()
        if rtype == "aws_vpc_security_group_ingress_rule"
        and body["security_group_id"] == "${aws_security_group.shop_aws_db_sg.id}"
    ]
    assert len(rules) == 1, rules
    assert rules[0]["referenced_security_group_id"] == "${aws_security_group.shop_aws_web_sg.id}"
    assert rules[0]["from_port"] == 5432
    db = config.resources[("aws_db_instance", "shop_db")]
    assert db["manage_master_user_password"] is True
    assert "password" not in db
    subnets = config.resources[("aws_db_subnet_group", "shop_db")]["subnet_ids"]
    azs = {
        unquote(config.resources[("aws_subnet", s.removeprefix("${aws_subnet.").removesuffix(".id}"))]["availability_zone"])
        for s in subnets
    }
    assert len(azs) == 2, azs


async def test_cross_cloud_rules_use_the_other_clouds_addresses(client: Client) -> None:
    _, out = await generate(client, EVERYTHING)
    aws = out["files"]["aws.tf"]
    assert '"${digitalocean_droplet.big_app_1.ipv4_address}/32"' in aws
    digitalocean = Config({"digitalocean.tf": out["files"]["digitalocean.tf"]})
    firewall = digitalocean.resources[("digitalocean_database_firewall", "big_pg")]
    rules = {(unquote(r["type"]), r["value"]) for r in firewall["rule"]}
    assert ("droplet", "${digitalocean_droplet.big_app_1.id}") in rules, rules
    assert ("ip_addr", "${aws_instance.big_web_1.public_ip}") in rules, rules


async def test_files_are_resources(client: Client) -> None:
    _, out = await generate(client, DROPLETS_WITH_S3)
    templates = await client.list_resource_templates()
    assert any(
        t.uri_template == "rift://plans/{plan_id}/terraform/{file}" for t in templates.resource_templates
    ), templates
    listed = {str(r.uri) for r in (await client.list_resources()).resources}
    assert set(out["resources"]) <= listed, (out["resources"], listed)
    for uri in out["resources"]:
        name = uri.rsplit("/", 1)[1]
        result = await client.read_resource(uri)
        assert len(result.contents) == 1
        assert result.contents[0].text == out["files"][name], name


async def test_stored_plans_are_listed_after_a_restart_newest_first_a_page_at_a_time(rift: str, tmp_path: Path) -> None:
    """resources/list covers every stored plan, not only this process's: 21 plans made by one server are all
    listed by the next, 20 plans a page, without repeats; a plan made a second later comes first; a bad cursor
    is an error that says so."""
    server = StdioServerParameters(command=rift, args=["serve", "--state", str(tmp_path / "state.db")])

    def plan_of(uri: str) -> str:
        return uri.split("/")[3]

    made = []
    async with Client(server, mode="legacy") as first:
        for i in range(21):
            request = {**DROPLETS_WITH_S3, "name": f"page{i}"}
            made.append((await call_ok(first, "plan_deployment", request))["plan_id"])
        await anyio.sleep(1.1)
        newest = (await call_ok(first, "plan_deployment", {**DROPLETS_WITH_S3, "name": "newest"}))["plan_id"]
    async with Client(server, mode="legacy") as second:
        page = await second.list_resources()
        order = list(dict.fromkeys(plan_of(str(r.uri)) for r in page.resources if str(r.uri).startswith("rift://plans/")))
        assert order[0] == newest, order
        assert len(order) == 20 and page.next_cursor, (len(order), page.next_cursor)
        rest = await second.list_resources(cursor=page.next_cursor)
        more = list(dict.fromkeys(plan_of(str(r.uri)) for r in rest.resources if str(r.uri).startswith("rift://plans/")))
        assert rest.next_cursor is None
        assert not set(order) & set(more), (order, more)
        assert set(order) | set(more) == set(made) | {newest}
        with pytest.raises(Exception) as raised:
            await second.list_resources(cursor="not-a-cursor")
        assert "invalid cursor" in str(raised.value), str(raised.value)


async def test_unknown_resources_are_refused(client: Client) -> None:
    _, out = await generate(client, NODE_POSTGRES_AWS)
    plan_id = out["plan_id"]
    for uri in (
        f"rift://plans/{plan_id}/terraform/digitalocean.tf",
        "rift://plans/plan-000000000000/terraform/aws.tf",
        "rift://nothing",
    ):
        with pytest.raises(Exception) as raised:
            await client.read_resource(uri)
        assert "aws.tf" in str(raised.value) or "rift://plans/" in str(raised.value) or "unknown plan" in str(
            raised.value
        ), str(raised.value)


async def test_unknown_plan_is_an_in_band_error(client: Client) -> None:
    text = await call_err(client, "generate_terraform", {"plan_id": "plan-000000000000"})
    assert "plan_id" in text and "plan_deployment" in text, text
    text = await call_err(client, "generate_terraform", {})
    assert "plan_id" in text and "project_id" in text, text
    text = await call_err(client, "generate_terraform", {"plan_id": "plan-000000000000", "project_id": "shop"})
    assert "exactly one" in text, text
    text = await call_err(client, "generate_terraform", {"project_id": "no-such-project"})
    assert "project_id" in text and "no-such-project" in text, text


async def test_same_plan_same_bytes(client: Client) -> None:
    plan, first = await generate(client, EVERYTHING)
    again = await call_ok(client, "generate_terraform", {"plan_id": plan["plan_id"]})
    assert first == again


# ---------------------------------------------------------------------------
# Optional: the real Terraform CLI, where it is installed.
# ---------------------------------------------------------------------------


def _terraform() -> str | None:
    return shutil.which("terraform")


@pytest.mark.skipif(_terraform() is None, reason="terraform CLI not installed")
@pytest.mark.parametrize("example", list(EXAMPLES))
async def test_terraform_fmt_leaves_the_files_unchanged(client: Client, example: str, tmp_path: Path) -> None:
    _, out = await generate(client, EXAMPLES[example])
    for name, text in out["files"].items():
        (tmp_path / name).write_text(text)
    done = subprocess.run(["terraform", "fmt", "-check", "-diff"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# A local provider mirror (registry.terraform.io/hashicorp/aws/<version>/<os_arch>/...) lets `terraform validate`
# check every AWS attribute against the provider's own schema without a network.
PLUGIN_DIR = Path(os.environ.get("RIFT_TF_PLUGIN_DIR", "/opt/tf-plugins"))


@pytest.mark.skipif(
    _terraform() is None or not (PLUGIN_DIR / "registry.terraform.io/hashicorp/aws").is_dir(),
    reason="needs the terraform CLI and a local hashicorp/aws provider mirror (RIFT_TF_PLUGIN_DIR)",
)
async def test_terraform_validate_accepts_an_aws_configuration(client: Client, tmp_path: Path) -> None:
    aws_only = copy.deepcopy(EVERYTHING)
    aws_only["components"] = [c for c in aws_only["components"] if c["provider"] == "aws"]
    _, out = await generate(client, aws_only)
    work = tmp_path / "config"
    work.mkdir()
    for name, text in out["files"].items():
        (work / name).write_text(text)
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text(
        'provider_installation {\n'
        f'  filesystem_mirror {{\n    path = "{PLUGIN_DIR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '}\n'
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    init = subprocess.run(
        ["terraform", "init", "-input=false", "-backend=false"], cwd=work, env=env, capture_output=True, text=True
    )
    if init.returncode != 0:
        pytest.skip(f"the provider mirror does not satisfy the version constraint: {init.stderr[-400:]}")
    done = subprocess.run(["terraform", "validate", "-no-color"], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------------------
# The CLI: `rift terraform <plan.json|requirements.json> --out DIR`
# ---------------------------------------------------------------------------


def test_cli_writes_the_files_of_a_plan_or_of_requirements(rift: str, tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.json"
    requirements.write_text(json.dumps(DROPLETS_WITH_S3))
    planned = subprocess.run([rift, "plan", str(requirements)], capture_output=True, text=True, timeout=30)
    assert planned.returncode == 0, planned.stderr
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(planned.stdout)
    outputs = {}
    for source in (requirements, plan_file):
        out_dir = tmp_path / f"tf-{source.stem}"
        done = subprocess.run(
            [rift, "terraform", str(source), "--out", str(out_dir)], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        files = {p.name: p.read_text() for p in sorted(out_dir.iterdir())}
        assert {"aws.tf", "digitalocean.tf", "versions.tf", "providers.tf", "variables.tf"} <= files.keys()
        config = Config(files)
        unresolved = [ref for _, ref in config.references() if not config.resolves(ref)]
        assert not unresolved, unresolved
        outputs[source.stem] = files
    assert outputs["requirements"] == outputs["plan"]


def test_cli_names_what_a_file_lacks(rift: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    done = subprocess.run(
        [rift, "terraform", str(bad), "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2, done.stderr
    assert "plan_id" in done.stderr and "components" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()
