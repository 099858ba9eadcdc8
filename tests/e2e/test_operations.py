"""Alerts, incidents, remediation and health subscriptions on AWS end to end, through the official MCP Python SDK over stdio against moto:
a rule becomes a tagged CloudWatch alarm; SetAlarmState (what CloudWatch does when the metric crosses the line)
opens one incident naming the load balancer in front; a reboot is previewed with its cost and the policy's
verdict, approved, executed and put on the incident's timeline; the incident resolves when the alarm clears.

Skipped when moto is not running, unless RIFT_REQUIRE_EMULATORS=1.
"""

from __future__ import annotations

import json
import time

import anyio

import pytest
from mcp import Client, StdioServerParameters

from _support import approved, call_ok
from test_aws import moto_client, server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.anyio

# A region no other suite uses.
REGION = "eu-central-1"


def cloudwatch():
    return moto_client("cloudwatch", REGION)


async def test_an_alarm_opens_an_incident_that_a_reboot_remediates(server: StdioServerParameters) -> None:  # noqa: F811
    name = f"ops{int(time.time()) % 100000}"
    async with Client(server, mode="legacy", read_timeout_seconds=180.0) as client:
        project = await call_ok(
            client, "create_project", {"name": name, "cloud_providers": ["aws"], "aws_config": {"region": REGION}}
        )
        pid = project["id"]
        plan = await call_ok(
            client,
            "plan_deployment",
            {
                "name": name,
                "provider": "aws",
                "regions": {"aws": REGION},
                "components": [
                    {"name": "web", "kind": "web_server", "vcpus": 2, "memory_gb": 2, "ports": [80]},
                    {"name": "lb", "kind": "load_balancer", "ports": [80]},
                ],
            },
        )
        await approved(client, "apply_plan", {"project_id": pid, "plan_id": plan["plan_id"]})
        web = next(r["name"] for r in plan["resources"] if r["kind"] == "web_server")
        lb = next(r["name"] for r in plan["resources"] if r["kind"] == "load_balancer")

        rule = {
            "project_id": pid,
            "name": "cpu-high",
            "metric": "cpu_percent",
            "comparison": "above",
            "threshold": 90,
            "minutes": 5,
            "resources": [web],
            "notify": [f"arn:aws:sns:{REGION}:123456789012:ops"],
        }
        preview, _ = await approved(client, "create_alert", rule)
        assert preview["monthly_cost_delta"] == pytest.approx(0.10), preview
        alarm = f"rift/{pid}/cpu-high/{web}"
        (described,) = cloudwatch().describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
        assert (described["MetricName"], described["Threshold"], described["EvaluationPeriods"]) == (
            "CPUUtilization",
            90.0,
            5,
        ), described
        listed = await call_ok(client, "list_alerts", {"project_id": pid})
        assert [a["cloud_id"] for a in listed["alerts"][0]["alarms"]] == [alarm], listed

        quiet = await call_ok(client, "list_incidents", {"project_id": pid})
        assert quiet["incidents"] == [], quiet

        cloudwatch().set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="Threshold Crossed: 5 datapoints > 90")
        firing = await call_ok(client, "list_incidents", {"project_id": pid})
        again = await call_ok(client, "list_incidents", {"project_id": pid})
        (incident,) = firing["incidents"]
        assert again["incidents"] == firing["incidents"], again
        assert (incident["state"], incident["resource"], incident["provider"]) == ("open", web, "aws"), incident
        assert "Threshold Crossed" in incident["reason"] and lb in incident["affects"], incident

        shown = await call_ok(client, "get_incident", {"project_id": pid, "incident_id": incident["id"]})
        offered = {r["remedy"]: r["why"] for r in shown["remedies"]}
        assert set(offered) == {"reboot", "resize_up"} and "RebootInstances" in offered["reboot"], offered

        reboot = {"project_id": pid, "incident_id": incident["id"], "remedy": "reboot"}
        preview, done = await approved(client, "remediate", reboot)
        assert preview["changes"][0].startswith(f"reboot {web} (aws web_server, {REGION}"), preview
        assert preview["monthly_cost_delta"] == 0 and preview["policy"].startswith("allowed"), preview
        assert done["changes"][0].startswith(f"rebooted {web} (i-"), done

        cloudwatch().set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="back to normal")
        after = await call_ok(client, "list_incidents", {"project_id": pid, "resolved": True})
        (resolved,) = after["incidents"]
        events = [e["event"] for e in resolved["timeline"]]
        assert resolved["state"] == "resolved" and resolved["resolved_at"], resolved
        assert events[0].startswith("opened") and any(e.startswith("remediate change-") for e in events), events
        assert events[-1] == "resolved: the source cleared", events

        # The rule made again on another resource replaces it: the alarm on what it no longer watches goes.
        slow = {**rule, "metric": "latency_ms", "threshold": 500, "resources": [lb]}
        preview, done = await approved(client, "create_alert", slow)
        assert preview["changes"][1].startswith(f"remove alarm {web}"), preview
        assert preview["monthly_cost_delta"] == 0, preview
        lb_alarm = f"rift/{pid}/cpu-high/{lb}"
        (latency,) = cloudwatch().describe_alarms(AlarmNames=[lb_alarm])["MetricAlarms"]
        # rift's milliseconds are CloudWatch's seconds.
        assert (latency["MetricName"], latency["Threshold"]) == ("TargetResponseTime", 0.5), latency
        assert cloudwatch().describe_alarms(AlarmNames=[alarm])["MetricAlarms"] == [], done

        await approved(client, "delete_alert", {"project_id": pid, "name": "cpu-high"})
        assert cloudwatch().describe_alarms(AlarmNames=[lb_alarm])["MetricAlarms"] == []
        assert (await call_ok(client, "list_alerts", {"project_id": pid}))["alerts"] == []


async def test_a_health_subscriber_hears_when_an_incident_opens_and_resolves(server: StdioServerParameters) -> None:  # noqa: F811
    # The watcher re-checks subscribed projects every second (RIFT_WATCH_S; off unless asked).
    watched = StdioServerParameters(command=server.command, args=server.args, env={**(server.env or {}), "RIFT_WATCH_S": "1"})
    updates: list[str] = []

    async def on_message(message) -> None:
        note = getattr(message, "root", message)
        if getattr(note, "method", None) == "notifications/resources/updated":
            updates.append(note.params.uri)

    name = f"watch{int(time.time()) % 100000}"
    async with Client(watched, mode="legacy", read_timeout_seconds=180.0, message_handler=on_message) as client:
        project = await call_ok(
            client, "create_project", {"name": name, "cloud_providers": ["aws"], "aws_config": {"region": REGION}}
        )
        pid = project["id"]
        plan = await call_ok(
            client,
            "plan_deployment",
            {"name": name, "provider": "aws", "regions": {"aws": REGION}, "components": [{"name": "web", "kind": "web_server"}]},
        )
        await approved(client, "apply_plan", {"project_id": pid, "plan_id": plan["plan_id"]})
        web = next(r["name"] for r in plan["resources"] if r["kind"] == "web_server")
        rule = {"project_id": pid, "name": "cpu", "metric": "cpu_percent", "comparison": "above", "threshold": 90,
                "minutes": 1, "resources": [web]}
        await approved(client, "create_alert", rule)
        uri = f"rift://projects/{pid}/health"
        await client.subscribe_resource(uri)

        async def heard(count: int) -> None:
            for _ in range(100):
                if len(updates) >= count:
                    return
                await anyio.sleep(0.1)
            raise AssertionError(f"no update {count} for {uri}: {updates}")

        cloudwatch().set_alarm_state(AlarmName=f"rift/{pid}/cpu/{web}", StateValue="ALARM", StateReason="Threshold Crossed")
        await heard(1)
        assert updates == [uri], updates
        health = json.loads((await client.read_resource(uri)).contents[0].text)
        assert [i["resource"] for i in health["incidents"]] == [web], health
        assert health["clouds"][0]["open_incidents"] == 1, health

        cloudwatch().set_alarm_state(AlarmName=f"rift/{pid}/cpu/{web}", StateValue="OK", StateReason="back to normal")
        await heard(2)
        health = json.loads((await client.read_resource(uri)).contents[0].text)
        assert health["incidents"] == [], health
