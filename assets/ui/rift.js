// rift's views for people, shared by the dashboard (rift serve --http, rift ui) and the MCP App views. No
// framework, no network beyond what the page's own transport does; every value from rift is escaped before it
// reaches the DOM (the diagram SVG is rift's own drawing, escaped when drawn).
"use strict";

const rift = (() => {
  const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const money = (v) => (v === null || v === undefined ? "—" : "$" + Number(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
  const PROVIDERS = { digitalocean: "DigitalOcean", aws: "AWS" };
  const KINDS = ["web_server", "database", "cache", "load_balancer", "block_storage", "object_storage", "network", "firewall"];
  const ENGINES = { database: ["postgres", "mysql"], cache: ["valkey", "redis"] };

  // ---- the project view ------------------------------------------------------------------------------------
  function projectHtml(view) {
    const p = view.project;
    let html = `<section id="project-view" data-project="${esc(p.id)}"><h2>Project ${esc(p.name)} <span class="muted">(${esc(p.id)})</span></h2>
      <p>Monthly cost <strong id="project-cost">${money(view.monthly_cost)}</strong>${p.monthly_budget_usd != null ? ` of a ${money(p.monthly_budget_usd)} budget` : ""}
      · clouds ${p.cloud_providers.map((c) => esc(PROVIDERS[c] || c)).join(", ")}</p>`;
    for (const group of view.providers) {
      html += `<h3 class="cloud-${esc(group.provider)}">&nbsp;${esc(PROVIDERS[group.provider] || group.provider)} · ${money(group.monthly_cost)}/month</h3>
        <table class="resources"><thead><tr><th>Resource</th><th>Kind</th><th>Region</th><th>Size</th><th>State</th><th class="num">Monthly</th></tr></thead><tbody>`;
      for (const r of group.resources) {
        html += `<tr class="resource" data-name="${esc(r.name)}"><td>${esc(r.name)}</td><td>${esc(r.kind)}</td><td>${esc(r.region)}</td><td>${esc(r.size || "")}</td>
          <td class="state-${esc(r.state)}">${esc(r.state)}${r.error ? ` <span class="error">${esc(r.error)}</span>` : ""}</td><td class="num cost">${money(r.monthly_cost)}</td></tr>`;
      }
      html += "</tbody></table>";
    }
    html += `<h3>Open incidents</h3>` + incidentsHtml(view.incidents);
    html += `<h3>Diagram</h3><div class="diagram" id="diagram">${view.diagram_svg || ""}</div>`;
    html += `<h3>Plan history</h3>` + table(view.changes, ["started_at", "tool", "state", "monthly_cost_delta", "message"], { monthly_cost_delta: money });
    html += `<h3>Activity</h3>` + table(view.activity, ["at", "client", "tool", "action", "outcome", "detail"], {});
    return html + "</section>";
  }

  // ---- incidents: what list_incidents last gathered, unresolved, with what depends on each ---------------
  function incidentsHtml(incidents) {
    if (!incidents || incidents.length === 0) return `<p class="muted" id="no-incidents">None open.</p>`;
    let html = `<table id="incidents"><thead><tr><th>Resource</th><th>Cloud</th><th>Metric</th><th>State</th><th>Since</th><th>Affects</th><th>Why</th></tr></thead><tbody>`;
    for (const i of incidents) {
      html += `<tr class="incident state-${esc(i.state)}" data-resource="${esc(i.resource)}" data-id="${esc(i.id)}"><td>${esc(i.resource)}</td><td>${esc(PROVIDERS[i.provider] || i.provider)}</td><td>${esc(i.metric)}</td>
        <td>${esc(i.state)}${i.acknowledged_by ? ` by ${esc(i.acknowledged_by)}` : ""}</td><td>${esc(i.opened_at)}</td><td>${esc((i.affects || []).join(", "))}</td><td>${esc(i.reason)}</td></tr>`;
    }
    return html + "</tbody></table>";
  }

  // ---- metrics: get_metrics' answer, one row per resource and metric, the last hour as a sparkline --------
  function sparkline(points) {
    const W = 160, H = 28;
    if (!points || points.length === 0) return `<span class="muted">no points</span>`;
    const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
    const x = (v) => (x1 === x0 ? W / 2 : ((v - x0) / (x1 - x0)) * (W - 2) + 1);
    const y = (v) => (y1 === y0 ? H / 2 : H - 1 - ((v - y0) / (y1 - y0)) * (H - 2));
    const line = points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    return `<svg class="sparkline" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${points.length} points"><polyline fill="none" stroke="#1f6feb" stroke-width="1.5" points="${line}"/></svg>`;
  }

  function metricsHtml(report) {
    const rows = [];
    for (const r of report.resources || []) {
      for (const m of r.metrics) {
        const unit = m.unit === "percent" ? "%" : ` ${m.unit}`;
        const value = m.available && m.last != null ? esc(Number(m.last).toLocaleString("en-US", { maximumFractionDigits: 2 }) + unit) : "";
        const cell = m.available ? sparkline(m.points) : `<span class="muted">unavailable: ${esc(m.reason)}</span>`;
        rows.push(`<tr class="metric" data-name="${esc(r.name)}" data-metric="${esc(m.metric)}" data-available="${m.available}"><td>${esc(r.name)}</td><td>${esc(PROVIDERS[r.provider] || r.provider)}</td><td>${esc(m.metric)}</td><td class="num">${value}</td><td>${cell}</td></tr>`);
      }
    }
    const warnings = (report.warnings || []).map((w) => `<p class="error">${esc(w)}</p>`).join("");
    if (rows.length === 0) return warnings + `<p class="muted">No live resource with metrics yet.</p>`;
    return warnings + `<table id="metrics-table"><thead><tr><th>Resource</th><th>Cloud</th><th>Metric</th><th class="num">Last</th><th>Last hour</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
  }

  function table(rows, columns, format) {
    if (!rows || rows.length === 0) return `<p class="muted">None yet.</p>`;
    let html = `<table><thead><tr>${columns.map((c) => `<th>${esc(c.replace(/_/g, " "))}</th>`).join("")}</tr></thead><tbody>`;
    for (const row of rows) html += `<tr>${columns.map((c) => `<td>${esc(format[c] ? format[c](row[c]) : row[c])}</td>`).join("")}</tr>`;
    return html + "</tbody></table>";
  }

  function projectsHtml(projects) {
    if (projects.length === 0) return `<p class="muted">No projects yet: an agent creates them with create_project.</p>`;
    let html = `<table id="projects"><thead><tr><th>Project</th><th>Clouds</th><th class="num">Live resources</th><th class="num">Monthly</th><th class="num">Budget</th></tr></thead><tbody>`;
    for (const p of projects) {
      html += `<tr><td><a class="link" data-open-project="${esc(p.id)}">${esc(p.id)}</a></td><td>${p.cloud_providers.map((c) => esc(PROVIDERS[c] || c)).join(", ")}</td>
        <td class="num">${esc(p.live_resources)}</td><td class="num">${money(p.monthly_cost)}</td><td class="num">${money(p.monthly_budget_usd)}</td></tr>`;
    }
    return html + "</tbody></table>";
  }

  // ---- the provision form ----------------------------------------------------------------------------------
  function option(value, label, selected) {
    return `<option value="${esc(value)}"${value === selected ? " selected" : ""}>${esc(label)}</option>`;
  }

  function componentRow(c, i) {
    const field = (name) => `components[${i}].${name}`;
    const input = (name, label, type, value, extra = "") =>
      `<label>${esc(label)}<input name="${name}" data-field="${field(name)}" type="${type}" value="${esc(value ?? "")}" ${extra}><span class="error" data-error-for="${field(name)}"></span></label>`;
    const engines = ENGINES[c.kind] || [];
    return `<div class="row component" data-index="${i}" data-field="components[${i}]">
      ${input("name", "name", "text", c.name, 'size="12"')}
      <label>kind<select name="kind" data-field="${field("kind")}">${KINDS.map((k) => option(k, k, c.kind)).join("")}</select><span class="error" data-error-for="${field("kind")}"></span></label>
      <label>provider<select name="provider" data-field="${field("provider")}">${option("cheapest", "cheapest", c.provider || "cheapest")}${option("digitalocean", "DigitalOcean", c.provider)}${option("aws", "AWS", c.provider)}</select><span class="error" data-error-for="${field("provider")}"></span></label>
      ${input("region", "region", "text", c.region, 'size="10" placeholder="default"')}
      ${input("vcpus", "vCPUs ≥", "number", c.vcpus, 'min="1"')}
      ${input("memory_gb", "memory GB ≥", "number", c.memory_gb, 'min="0" step="0.5"')}
      ${input("storage_gb", "storage GB ≥", "number", c.storage_gb, 'min="1"')}
      ${input("count", "count", "number", c.count, 'min="1" max="100"')}
      ${engines.length ? `<label>engine<select name="engine" data-field="${field("engine")}">${engines.map((e) => option(e, e, c.engine)).join("")}</select><span class="error" data-error-for="${field("engine")}"></span></label>` : ""}
      <button type="button" data-remove="${i}">remove</button>
      <span class="error" data-error-for="components[${i}]"></span></div>`;
  }

  /// The form's requirements as provision_form takes them: plan_deployment's shape, plus the names of the
  /// components whose provider is "cheapest" in `cheapest`.
  function readForm(root) {
    const req = { components: [], cheapest: [] };
    const name = root.querySelector("[name=deployment]").value.trim();
    if (name) req.name = name;
    const regions = {};
    for (const p of ["digitalocean", "aws"]) {
      const v = root.querySelector(`[name=region-${p}]`).value.trim();
      if (v) regions[p] = v;
    }
    if (Object.keys(regions).length) req.regions = regions;
    for (const row of root.querySelectorAll(".component")) {
      const c = {};
      for (const el of row.querySelectorAll("input, select")) {
        const v = el.value.trim();
        if (v === "") continue;
        c[el.name] = el.type === "number" ? Number(v) : v;
      }
      if (c.provider === "cheapest") {
        delete c.provider;
        if (c.name) req.cheapest.push(c.name);
      }
      req.components.push(c);
    }
    return req;
  }

  function answerHtml(answer) {
    const sides = Object.fromEntries(answer.comparison.providers.map((s) => [s.provider, s]));
    const mix = answer.comparison.cheapest_mix;
    const best = answer.comparison.cheapest_single;
    const card = (id, label, value, note, isBest) =>
      `<div class="total${isBest ? " best" : ""}" id="${id}">${esc(label)}<strong>${value}</strong><span class="muted">${note}</span></div>`;
    const side = (p) => {
      const s = sides[p];
      if (!s) return card(`total-${p}`, `All on ${PROVIDERS[p]}`, "—", "", false);
      return card(`total-${p}`, `All on ${PROVIDERS[p]}`, s.total_monthly != null ? money(s.total_monthly) + "/month" : "not possible", esc(s.error || ""), best === p);
    };
    let html = `<div class="totals">${card("total-selection", "This selection", money(answer.estimate.total_monthly) + "/month",
      answer.chosen.map((c) => `${esc(c.component)} → ${esc(PROVIDERS[c.provider])}`).join(", "), false)}${side("digitalocean")}${side("aws")}
      ${mix ? card("total-mix", "Cheapest mix", money(mix.total_monthly) + "/month", `cross-cloud ${money(mix.cross_cloud_monthly)}`, false) : ""}</div>`;
    html += `<h3>By component</h3><table id="by-component"><thead><tr><th>Component</th><th class="num">DigitalOcean</th><th class="num">AWS</th><th>Cheaper</th></tr></thead><tbody>`;
    for (const row of answer.comparison.components) {
      const cell = (p) => (p ? `${money(p.monthly)}${p.size ? ` <span class="muted">${esc(p.size)}</span>` : ""}` : "—");
      html += `<tr><td>${esc(row.component)}</td><td class="num">${cell(row.digitalocean)}</td><td class="num">${cell(row.aws)}</td><td>${esc(PROVIDERS[row.cheaper] || "")}</td></tr>`;
    }
    html += "</tbody></table>";
    if (answer.comparison.recommendation) html += `<p>${esc(answer.comparison.recommendation)}</p>`;
    return html;
  }

  function showErrors(root, error) {
    for (const el of root.querySelectorAll("[data-error-for]")) el.textContent = "";
    const top = root.querySelector("#form-error");
    top.textContent = "";
    if (!error) return;
    let field = error.field;
    // The nearest place the form has for the field: itself, then its component row.
    while (field && !root.querySelector(`[data-error-for="${CSS.escape(field)}"]`)) {
      const cut = field.lastIndexOf(".") > field.lastIndexOf("[") ? field.lastIndexOf(".") : field.lastIndexOf("[");
      field = cut > 0 ? field.slice(0, cut) : null;
    }
    const target = field ? root.querySelector(`[data-error-for="${CSS.escape(field)}"]`) : top;
    target.textContent = error.message;
  }

  /// Builds the form in `root`. `evaluate(args)` (provision_form's arguments) answers {answer} or
  /// {error: {field, message}}.
  function mountForm(root, evaluate, initial) {
    const cheapest = new Set(initial?.cheapest || []);
    // A component without a provider of its own has the request's default, as plan_deployment reads it.
    const providerOf = (c) => (cheapest.has(c.name) ? "cheapest" : c.provider || initial.provider || "cheapest");
    let components = initial?.components?.length ? initial.components.map((c) => ({ ...c, provider: providerOf(c) })) : [
      { name: "web", kind: "web_server", provider: "cheapest", vcpus: 2, memory_gb: 4 },
      { name: "db", kind: "database", provider: "cheapest", engine: "postgres", vcpus: 2, memory_gb: 4, storage_gb: 20 },
    ];
    root.innerHTML = `<form id="provision-form" autocomplete="off">
      <div class="row top"><label>name<input name="deployment" data-field="name" value="${esc(initial?.name || "app")}" size="14"><span class="error" data-error-for="name"></span></label>
      <label>DigitalOcean region<input name="region-digitalocean" data-field="regions.digitalocean" placeholder="nyc3" size="8"><span class="error" data-error-for="regions.digitalocean"></span></label>
      <label>AWS region<input name="region-aws" data-field="regions.aws" placeholder="us-east-1" size="10"><span class="error" data-error-for="regions.aws"></span></label></div>
      <div id="components"></div>
      <p><button type="button" id="add-component">add a component</button> <button type="button" id="save-plan">save as a plan</button></p>
      <p class="error" id="form-error" data-error-for=""></p></form>
      <div id="answer"></div><div id="saved"></div>`;
    const list = root.querySelector("#components");
    const draw = () => { list.innerHTML = components.map(componentRow).join(""); };
    // The rows as drawn again after an edit: "cheapest" is the provider of those named in `cheapest`.
    const current = () => {
      const req = readForm(root);
      return req.components.map((c) => (!c.provider && req.cheapest.includes(c.name) ? { ...c, provider: "cheapest" } : c));
    };
    draw();
    let timer = null;
    let seq = 0;
    const update = async (save) => {
      const mine = ++seq;
      const result = await evaluate({ ...readForm(root), save });
      if (mine !== seq) return; // a later edit's answer wins
      showErrors(root, result.error);
      if (result.answer) {
        root.querySelector("#answer").innerHTML = answerHtml(result.answer);
        if (save && result.answer.plan_id) {
          root.querySelector("#saved").innerHTML = `<p id="saved-plan">Saved as plan <code>${esc(result.answer.plan_id)}</code>. An agent can now call generate_terraform or apply_plan with it (applying needs writes on and an approval).</p>`;
          root.dispatchEvent(new CustomEvent("rift-saved", { detail: result.answer }));
        }
      }
    };
    const soon = () => { clearTimeout(timer); timer = setTimeout(() => update(false), 200); };
    // Enter in a field must not submit (and navigate): the answer updates as you type.
    root.addEventListener("submit", (e) => e.preventDefault());
    root.addEventListener("input", soon);
    root.addEventListener("change", (e) => {
      if (e.target.name === "kind") { components = current(); draw(); }
      soon();
    });
    root.addEventListener("click", (e) => {
      if (e.target.id === "add-component") {
        components = current();
        components.push({ name: `part${components.length + 1}`, kind: "web_server", provider: "cheapest" });
        draw(); soon();
      } else if (e.target.dataset.remove !== undefined) {
        components = current();
        components.splice(Number(e.target.dataset.remove), 1);
        draw(); soon();
      } else if (e.target.id === "save-plan") {
        clearTimeout(timer); update(true);
      }
    });
    update(false);
  }

  return { esc, money, projectHtml, projectsHtml, metricsHtml, mountForm, answerHtml };
})();
