"""Views for people, end to end: a project on both clouds is applied against the emulators (DigitalOcean through
Prism, AWS through moto), then `rift serve --http` on the same state is driven by headless Chromium (Debian's
`chromium` and `chromium-driver`, through Selenium): the dashboard lists every resource with its cost, the diagram
has a node per resource and the cross-cloud link, the provision form shows the brief's example at $84.00 on
DigitalOcean beside the AWS total, and saving makes a plan the MCP tools read. A foreign Host gets no page, and
off loopback the page needs the token. The same server's MCP side offers show_project (PNG + text) and the MCP
App views. A screenshot of each page is kept under $CARGO_TARGET_DIR/rift-test-logs/ (RIFT_ARTIFACTS).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from mcp import Client, StdioServerParameters

from _support import (
    HttpServer,
    approved,
    call_ok,
    rift_bin,
    seed_cloudwatch,
    server_env,
    spawn_http_server,
    text_of,
)

pytestmark = pytest.mark.anyio

TOKEN = "dop_v1_e2e0000000000000000000000000000000000000000000000000000000000"
AWS_REGION = "eu-west-1"
HTTP_TOKEN = "e2e-dashboard-token-0123456789abcdef"

# A web tier on DigitalOcean, its database on AWS: the cross-cloud link the diagram must draw.
PLAN = {
    "name": "views",
    "regions": {"digitalocean": "nyc3", "aws": AWS_REGION},
    "components": [
        {"name": "web", "kind": "web_server", "provider": "digitalocean", "vcpus": 2, "memory_gb": 4, "count": 2},
        {"name": "db", "kind": "database", "provider": "aws", "engine": "postgres", "version": "16", "vcpus": 2,
         "memory_gb": 4, "storage_gb": 20},
    ],
}
# The brief's example: a Node.js web server and PostgreSQL, 2 vCPU / 4 GB each, 20 GB of database storage.
BRIEF = {
    "name": "app",
    "components": [
        {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 4},
        {"name": "db", "kind": "database", "engine": "postgres", "vcpus": 2, "memory_gb": 4, "storage_gb": 20},
    ],
}


def emulator(variable: str) -> str:
    url = os.environ.get(variable, "").strip()
    if not url:
        if os.environ.get("RIFT_REQUIRE_EMULATORS") == "1":
            pytest.fail(f"RIFT_REQUIRE_EMULATORS=1 but {variable} is not set", pytrace=False)
        pytest.skip(f"{variable} is not set (tools/prism.sh start, tools/moto.sh start)")
    return url


def artifacts() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR", "/root/.cache/rift-target")
    path = Path(os.environ.get("RIFT_ARTIFACTS", Path(target) / "rift-test-logs"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cloud_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DIGITALOCEAN_API_URL": emulator("RIFT_PRISM_URL"),
        "DIGITALOCEAN_TOKEN": TOKEN,
        "RIFT_DIGITALOCEAN_WAIT_S": "1",
        "AWS_ENDPOINT_URL": emulator("RIFT_MOTO_URL"),
        "AWS_ACCESS_KEY_ID": "e2e-aws-key",
        "AWS_SECRET_ACCESS_KEY": "e2e-aws-secret-access-key-000000000000",
        "AWS_REGION": AWS_REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }


@pytest.fixture
async def seeded(tmp_path: Path) -> dict[str, Any]:
    """A project on both clouds, applied; returns its id, the state file and its resources as recorded."""
    state = tmp_path / "rift.sqlite"
    params = StdioServerParameters(
        command=rift_bin(), args=["serve", "--allow-writes", "--state", str(state)], env=cloud_env(tmp_path)
    )
    name = f"views{int(time.time()) % 100000}"
    async with Client(params, mode="legacy", read_timeout_seconds=120.0) as client:
        project = await call_ok(client, "create_project", {
            "name": name,
            "cloud_providers": ["digitalocean", "aws"],
            "do_config": {"region": "nyc3", "token": "env:DIGITALOCEAN_TOKEN"},
            "aws_config": {"region": AWS_REGION, "credentials": "default"},
        })
        plan = await call_ok(client, "plan_deployment", {**PLAN, "name": name})
        args = {"project_id": project["id"], "plan_id": plan["plan_id"]}
        preview = await call_ok(client, "apply_plan", args)
        applied = await call_ok(client, "apply_plan", {**args, "approval_token": preview["approval_token"]})
        assert applied["status"] == "executed", json.dumps(applied, indent=2)
        listed = await call_ok(client, "list_resources", {"project_id": project["id"]})
    live = [r for r in listed["resources"] if r["state"] in ("created", "intended")]
    assert {r["provider"] for r in live} == {"digitalocean", "aws"}, listed
    return {"project_id": project["id"], "state": state, "resources": live, "home": tmp_path}


@pytest.fixture
def dashboard(seeded: dict[str, Any]) -> Iterator[HttpServer]:
    env = server_env(**cloud_env(seeded["home"]))
    server = spawn_http_server(
        ["serve", "--http", "127.0.0.1:0", "--state", str(seeded["state"]), "--tools", "all"], env=env
    )
    yield server
    assert server.stop(timeout=5.0) == 0, server.stderr_text()


@pytest.fixture
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("Debian's chromium and chromium-driver are needed (tools/test installs them)", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1500,1100"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait_for(driver: Any, css: str, timeout: float = 15.0) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def wait_text(driver: Any, css: str, text: str, timeout: float = 15.0) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def cloudwatch() -> Any:
    env = cloud_env(Path("."))
    return boto3.client(
        "cloudwatch",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=AWS_REGION,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def seed_database_cpu(identifier: str, values: list[float]) -> None:
    """CPUUtilization points a minute apart ending now, as RDS would publish them."""
    seed_cloudwatch(cloudwatch(), "AWS/RDS", "CPUUtilization", ("DBInstanceIdentifier", identifier), values)


async def open_incident(seeded: dict[str, Any], resource: str) -> None:
    """A CPU rule on the resource whose CloudWatch alarm is forced into ALARM, gathered by list_incidents."""
    params = StdioServerParameters(
        command=rift_bin(),
        args=["serve", "--allow-writes", "--tools", "all", "--state", str(seeded["state"])],
        env=cloud_env(seeded["home"]),
    )
    pid = seeded["project_id"]
    async with Client(params, mode="legacy", read_timeout_seconds=60.0) as client:
        rule = {"project_id": pid, "name": "cpu-high", "metric": "cpu_percent", "comparison": "above",
                "threshold": 90, "minutes": 5, "resources": [resource]}
        await approved(client, "create_alert", rule)
        cloudwatch().set_alarm_state(
            AlarmName=f"rift/{pid}/cpu-high/{resource}", StateValue="ALARM", StateReason="Threshold Crossed"
        )
        firing = await call_ok(client, "list_incidents", {"project_id": pid})
        assert [i["resource"] for i in firing["incidents"]] == [resource], firing


def money(value: float) -> str:
    return f"${value:,.2f}"


async def test_the_dashboard_shows_the_project_and_the_form_saves_a_plan(
    seeded: dict[str, Any], dashboard: HttpServer, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base = dashboard.base
    db = next(r for r in seeded["resources"] if r["kind"] == "database")
    seed_database_cpu(db["cloud_id"], [12.0, 40.0, 25.0, 60.0, 33.0])
    await open_incident(seeded, db["name"])
    browser.get(base + "/")
    paint = browser.execute_script(
        "const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null;"
    )
    print(f"dashboard first contentful paint: {paint} ms")
    link = wait_for(browser, f'[data-open-project="{seeded["project_id"]}"]')
    link.click()
    wait_for(browser, "#project-view #diagram svg")

    # Every live resource, with its monthly cost, in its cloud's table.
    rows = {row.get_attribute("data-name"): row for row in browser.find_elements(By.CSS_SELECTOR, "tr.resource")}
    for resource in seeded["resources"]:
        row = rows.get(resource["name"])
        assert row is not None, f"{resource['name']} not listed: {sorted(rows)}"
        cost = row.find_element(By.CSS_SELECTOR, ".cost").text
        expected = money(resource["monthly_cost"]) if resource["monthly_cost"] is not None else "—"
        assert cost == expected, (resource["name"], cost, expected)

    # The diagram: one node (or network box) per live resource, and the labelled cross-cloud link.
    svg = browser.find_element(By.CSS_SELECTOR, "#diagram svg").get_attribute("outerHTML")
    tree = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    drawn = [g.get("data-name") for g in tree.iter(f"{ns}g") if g.get("class") == "node"]
    networks = [g for g in tree.iter(f"{ns}g") if g.get("class") == "network"]
    assert len(drawn) + len(networks) == len(seeded["resources"]), (drawn, len(networks))
    assert set(drawn) <= {r["name"] for r in seeded["resources"]}
    # The open incident: listed with what depends on the database, and its node drawn in red.
    incident = browser.find_element(By.CSS_SELECTOR, f'#incidents tr.incident[data-resource="{db["name"]}"]')
    assert "cpu_percent" in incident.text and "open" in incident.text, incident.text
    web = sorted(r["name"] for r in seeded["resources"] if r["kind"] == "web_server")
    assert ", ".join(web) in incident.text, ("the web servers on the other cloud use the database", incident.text)
    alerting = {g.get("data-name"): g.get("data-incidents") for g in tree.iter(f"{ns}g") if g.get("class") == "node"}
    assert alerting[db["name"]] == "1" and {n for n, c in alerting.items() if c != "0"} == {db["name"]}, alerting
    crossing = [g for g in tree.iter(f"{ns}g") if g.get("class") == "edge cross-cloud"]
    assert crossing, "no cross-cloud edge"
    assert "cross-cloud" in "".join(crossing[0].itertext())

    # Sparklines: the database's CPU (seeded in moto's CloudWatch) drawn from its points; every other metric is
    # a sparkline or says why the cloud has none — never a zero.
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(lambda d: "Reading the clouds" not in d.find_element(By.ID, "metrics").text)
    assert browser.find_elements(By.CSS_SELECTOR, "#metrics-table"), browser.find_element(By.ID, "metrics").text
    metric_rows = browser.find_elements(By.CSS_SELECTOR, "#metrics-table tr.metric")
    db = next(r for r in seeded["resources"] if r["kind"] == "database")
    cpu = [r for r in metric_rows if (r.get_attribute("data-name"), r.get_attribute("data-metric")) == (db["name"], "cpu_percent")]
    assert cpu and cpu[0].get_attribute("data-available") == "true", [r.text for r in metric_rows]
    points = cpu[0].find_element(By.CSS_SELECTOR, "svg.sparkline polyline").get_attribute("points").split()
    assert len(points) >= 3, points
    for row in metric_rows:
        if row.get_attribute("data-available") != "true":
            assert "unavailable: " in row.text and row.text.split("unavailable: ", 1)[1].strip(), row.text
    browser.save_screenshot(str(artifacts() / "dashboard-project.png"))

    # The form: the brief's example on DigitalOcean is $84.00; the AWS total is compare_providers' own.
    async with Client(dashboard.mcp_url, mode="legacy", read_timeout_seconds=30.0) as client:
        comparison = await call_ok(client, "compare_providers", {**BRIEF, "provider": "digitalocean"})
    aws_total = next(s["total_monthly"] for s in comparison["providers"] if s["provider"] == "aws")
    browser.get(base + "/#/new")
    wait_for(browser, "#provision-form .component")
    for select in browser.find_elements(By.CSS_SELECTOR, ".component select[name=provider]"):
        Select(select).select_by_value("digitalocean")
    wait_text(browser, "#total-selection", "$84.00")
    wait_text(browser, "#total-aws", money(aws_total))
    assert "$84.00" in browser.find_element(By.CSS_SELECTOR, "#total-digitalocean").text

    # An invalid value: the tools' message, beside its field.
    vcpus = browser.find_element(By.CSS_SELECTOR, '[data-field="components[0].vcpus"]')
    vcpus.clear()
    vcpus.send_keys("999")
    from selenium.webdriver.support.ui import WebDriverWait

    def row_error(driver: Any) -> str:
        texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, '#provision-form [data-error-for^="components[0]"]')]
        return next((t for t in texts if t), "")

    beside = WebDriverWait(browser, 15).until(row_error)
    assert "999 vCPU" in beside, beside
    assert browser.find_element(By.CSS_SELECTOR, "#form-error").text == ""
    vcpus.clear()
    vcpus.send_keys("2")
    wait_text(browser, "#total-selection", "$84.00")

    browser.find_element(By.CSS_SELECTOR, "#save-plan").click()
    wait_for(browser, "#saved-plan code")
    plan_id = browser.find_element(By.CSS_SELECTOR, "#saved-plan code").text
    wait_for(browser, "#saved-diagram img")
    browser.save_screenshot(str(artifacts() / "dashboard-form.png"))
    async with Client(dashboard.mcp_url, mode="legacy", read_timeout_seconds=30.0) as client:
        terraform = await call_ok(client, "generate_terraform", {"plan_id": plan_id})
        assert "digitalocean.tf" in terraform["files"], sorted(terraform["files"])
        estimate = await call_ok(client, "estimate_cost", {"plan_id": plan_id})
        assert estimate["total_monthly"] == 84.0
    download = httpx.get(f"{base}/api/plans/{plan_id}/terraform/digitalocean.tf")
    assert download.status_code == 200 and "digitalocean_droplet" in download.text


async def test_a_foreign_host_gets_no_page(dashboard: HttpServer) -> None:
    page = httpx.get(dashboard.base + "/")
    assert page.status_code == 200 and "<!DOCTYPE html>" in page.text
    for path in ("/", "/api/projects"):
        foreign = httpx.get(dashboard.base + path, headers={"Host": "rebind.example:80"})
        assert foreign.status_code == 403, (path, foreign.status_code)
        assert "<html" not in foreign.text and "projects" not in foreign.text
    cross = httpx.post(
        dashboard.base + "/api/form", json=BRIEF, headers={"Origin": "http://rebind.example"}
    )
    assert cross.status_code == 403


def test_off_loopback_the_page_needs_the_token(tmp_path: Path) -> None:
    env = server_env(HOME=str(tmp_path), RIFT_HTTP_TOKEN=HTTP_TOKEN)
    server = spawn_http_server(["serve", "--http", "0.0.0.0:0", "--state", str(tmp_path / "s.db")], env=env)
    try:
        base = f"http://127.0.0.1:{server.port}"
        missing = httpx.get(base + "/")
        assert missing.status_code == 401 and "<html" not in missing.text
        assert httpx.get(base + "/?token=wrong-token").status_code == 401
        assert httpx.get(base + "/api/projects").status_code == 401
        login = httpx.get(f"{base}/?token={HTTP_TOKEN}")
        assert login.status_code == 303 and login.headers["location"] == "/"
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and HTTP_TOKEN not in cookie
        session = cookie.split(";")[0]
        page = httpx.get(base + "/", headers={"Cookie": session})
        assert page.status_code == 200 and "<!DOCTYPE html>" in page.text
        assert HTTP_TOKEN not in page.text
        bearer = httpx.get(base + "/api/projects", headers={"Authorization": f"Bearer {HTTP_TOKEN}"})
        assert bearer.status_code == 200 and bearer.json() == {"projects": []}
    finally:
        assert server.stop(timeout=5.0) == 0, server.stderr_text()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


async def test_show_project_and_the_mcp_app_views(seeded: dict[str, Any], dashboard: HttpServer) -> None:
    async with Client(dashboard.mcp_url, mode="legacy", read_timeout_seconds=30.0) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        for name, uri in (("show_project", "ui://rift/project.html"), ("provision_form", "ui://rift/provision.html")):
            meta = tools[name].meta or {}
            assert meta.get("ui", {}).get("resourceUri") == uri, (name, meta)
            page = await client.read_resource(uri)
            content = page.contents[0]
            assert content.mime_type == "text/html;profile=mcp-app", content.mime_type
            assert content.text.startswith("<!DOCTYPE html>") and "ui/initialize" in content.text

        result = await client.call_tool("show_project", {"project_id": seeded["project_id"]})
        assert not result.is_error, text_of(result)
        text = text_of(result)
        assert f"{len(seeded['resources'])} resources" in text, text
        images = [block for block in result.content if block.type == "image"]
        assert len(images) == 1 and images[0].mime_type == "image/png"
        width, height = png_size(base64.b64decode(images[0].data))
        assert (width, height) == (result.structured_content["png"]["width"], result.structured_content["png"]["height"])

        for fmt in ("svg", "png", "mmd"):
            read = await client.read_resource(f"rift://projects/{seeded['project_id']}/diagram.{fmt}")
            content = read.contents[0]
            if fmt == "svg":
                root = ET.fromstring(content.text)
                nodes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") in ("node", "network")]
                assert len(nodes) == len(seeded["resources"])
            elif fmt == "png":
                assert png_size(base64.b64decode(content.blob)) == (width, height)
            else:
                assert content.text.startswith("flowchart TB") and " .-> " in content.text

        form = await client.call_tool("provision_form", {**BRIEF, "provider": "digitalocean"})
        assert not form.is_error, text_of(form)
        assert text_of(form).startswith("These requirements: $84.00/month")
        bad = await client.call_tool(
            "provision_form", {"provider": "aws", "components": [{"name": "db", "kind": "database", "engine": "oracle"}]}
        )
        assert bad.is_error and "components[0].engine: " in text_of(bad), text_of(bad)
        unknown = await client.call_tool("provision_form", {**BRIEF, "cheapest": ["wbe"]})
        assert unknown.is_error and unknown.structured_content["error"]["field"] == "cheapest[0]"


MERMAID_JS = Path(__file__).resolve().parents[2] / "tools/node_modules/mermaid/dist/mermaid.min.js"


async def test_the_mermaid_diagram_parses_with_mermaid_itself(
    seeded: dict[str, Any], dashboard: HttpServer, browser: Any, tmp_path: Path
) -> None:
    """Mermaid's own parser (the npm package, pinned in tools/package.json, installed by tools/prism.sh) in the
    headless Chromium: the project's diagram.mmd parses as a flowchart; a broken one does not (the check bites)."""
    assert MERMAID_JS.is_file(), f"{MERMAID_JS} is missing: tools/prism.sh installs tools/package.json"
    async with Client(dashboard.mcp_url, mode="legacy", read_timeout_seconds=30.0) as client:
        read = await client.read_resource(f"rift://projects/{seeded['project_id']}/diagram.mmd")
        text = read.contents[0].text
    page = tmp_path / "mermaid.html"
    page.write_text(f'<!DOCTYPE html><html><body><script src="{MERMAID_JS.as_uri()}"></script></body></html>')
    browser.get(page.as_uri())
    parse = """
        const done = arguments[arguments.length - 1];
        mermaid.initialize({startOnLoad: false});
        mermaid.parse(arguments[0]).then(r => done({ok: true, type: r.diagramType}),
                                         e => done({ok: false, error: String(e && e.message || e)}));
    """
    browser.set_script_timeout(30)
    parsed = browser.execute_async_script(parse, text)
    assert parsed == {"ok": True, "type": "flowchart-v2"}, (parsed, text[:400])
    broken = browser.execute_async_script(parse, text.replace(" --> ", " --> [", 1))
    assert not broken["ok"], broken


# A minimal MCP Apps host (specification 2026-01-26): the view in a sandboxed iframe, its JSON-RPC messages kept in
# window.log; the test answers ui/initialize here and passes tools/call on to rift through the MCP client.
HOST_PAGE = """<!DOCTYPE html><html><body><script>
window.log = [];
const frame = document.createElement("iframe");
frame.setAttribute("sandbox", "allow-scripts");
frame.style.width = "1400px"; frame.style.height = "1000px";
frame.srcdoc = %s;
document.body.appendChild(frame);
window.send = (message) => frame.contentWindow.postMessage(Object.assign({jsonrpc: "2.0"}, message), "*");
window.addEventListener("message", (event) => {
  if (event.source !== frame.contentWindow) return;
  window.log.push(event.data);
  if (event.data.method === "ui/initialize") window.send({id: event.data.id, result: {
    protocolVersion: "2026-01-26", hostInfo: {name: "rift-e2e-host", version: "0"},
    hostCapabilities: {serverTools: {}, serverResources: {}}, hostContext: {theme: "light", displayMode: "inline"}}});
});
</script></body></html>"""


class AppHost:
    def __init__(self, browser: Any, client: Client, html: str, tmp_path: Path) -> None:
        self.browser, self.client, self.seen = browser, client, 0
        page = tmp_path / "host.html"
        # "</script>" inside the view's HTML must not end the host's own script.
        page.write_text(HOST_PAGE % json.dumps(html).replace("</", "<\\/"))
        browser.get(page.as_uri())

    def messages(self) -> list[dict[str, Any]]:
        self.browser.switch_to.default_content()
        log = self.browser.execute_script("return window.log;")
        new, self.seen = log[self.seen :], len(log)
        return new

    def send(self, message: dict[str, Any]) -> None:
        self.browser.switch_to.default_content()
        self.browser.execute_script("window.send(arguments[0]);", message)

    async def serve_until(self, done: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Passes the view's tools/call on to rift until `done()` holds; returns every message seen."""
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages():
                seen.append(message)
                if message.get("method") == "tools/call":
                    params = message["params"]
                    result = await self.client.call_tool(params["name"], params.get("arguments") or {})
                    self.send({"id": message["id"], "result": result.model_dump(by_alias=True, exclude_none=True, mode="json")})
            if done(seen):
                return seen
            time.sleep(0.1)
        raise AssertionError(f"the view did not get there; messages: {json.dumps(seen)[:2000]}")

    def in_view(self) -> Any:
        self.browser.switch_to.default_content()
        self.browser.switch_to.frame(self.browser.find_element("css selector", "iframe"))
        return self.browser


def initialized(seen: list[dict[str, Any]]) -> bool:
    return any(m.get("method") == "ui/notifications/initialized" for m in seen)


async def test_the_mcp_app_views_in_a_host(
    seeded: dict[str, Any], dashboard: HttpServer, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    async with Client(dashboard.mcp_url, mode="legacy", read_timeout_seconds=30.0) as client:
        # The project view: the host passes show_project's arguments and result; the view draws the diagram.
        html = (await client.read_resource("ui://rift/project.html")).contents[0].text
        host = AppHost(browser, client, html, tmp_path)
        seen = await host.serve_until(initialized)
        init = next(m for m in seen if m.get("method") == "ui/initialize")
        assert init["params"]["protocolVersion"] == "2026-01-26" and init["params"]["appInfo"]["name"] == "rift"
        args = {"project_id": seeded["project_id"]}
        result = await client.call_tool("show_project", args)
        host.send({"method": "ui/notifications/tool-input", "params": {"arguments": args}})
        host.send({"method": "ui/notifications/tool-result", "params": result.model_dump(by_alias=True, exclude_none=True, mode="json")})
        view = host.in_view()
        wait_for(view, "#diagram svg")
        drawn = view.find_elements(By.CSS_SELECTOR, "#diagram g.node, #diagram g.network")
        assert len(drawn) == len(seeded["resources"])
        assert any(m.get("method") == "ui/notifications/size-changed" for m in await host.serve_until(lambda s: True) + seen)
        browser.save_screenshot(str(artifacts() / "mcp-app-project.png"))

        # The form: it asks provision_form through the host as the person edits, and saves.
        html = (await client.read_resource("ui://rift/provision.html")).contents[0].text
        host = AppHost(browser, client, html, tmp_path)
        await host.serve_until(initialized)
        host.send({"method": "ui/notifications/tool-input", "params": {"arguments": {**BRIEF, "provider": "digitalocean"}}})

        def shows(css: str, text: str) -> Any:
            def check(_: list[dict[str, Any]]) -> bool:
                found = host.in_view().find_elements(By.CSS_SELECTOR, css)
                return bool(found) and text in found[0].text
            return check

        calls = await host.serve_until(shows("#total-selection", "$84.00"))
        asked = [m for m in calls if m.get("method") == "tools/call"]
        assert asked and all(m["params"]["name"] == "provision_form" for m in asked)
        host.in_view().find_element(By.CSS_SELECTOR, "#save-plan").click()
        await host.serve_until(shows("#saved-plan", "plan-"))
        plan_id = host.in_view().find_element(By.CSS_SELECTOR, "#saved-plan code").text
        browser.save_screenshot(str(artifacts() / "mcp-app-form.png"))
        terraform = await call_ok(client, "generate_terraform", {"plan_id": plan_id})
        assert "digitalocean.tf" in terraform["files"]
