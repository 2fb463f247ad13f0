// The MediaJobs dashboard: plain DOM, no build step. Every value from the API is set as text,
// never parsed as HTML.
"use strict";

const view = document.getElementById("view");
let closeLive = () => {};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  if (response.status === 401) { askForToken(); throw new Error("this server needs a token"); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = body.error || {};
    throw new Error(`${error.code || response.status}: ${error.message || response.statusText}`);
  }
  return body;
}

function askForToken() {
  const box = document.getElementById("auth");
  box.hidden = false;
  document.getElementById("auth-form").onsubmit = (event) => {
    event.preventDefault();
    const token = document.getElementById("auth-token").value;
    document.cookie = `mediajobs_token=${encodeURIComponent(token)}; path=/; SameSite=Strict`;
    box.hidden = true;
    route();
  };
}

const stateBadge = (state) => el("span", { class: `state state-${state}`, "data-state": state }, state);
const when = (iso) => iso ? new Date(iso).toLocaleString() : "";
// An amount nobody knows (null) reads "unknown", never "$0".
const usd = (n) => n === null || n === undefined ? "unknown" : `$${Number(n).toFixed(n && n < 0.01 ? 6 : 4)}`;
// A total: known amounts, plus the attempts of unknown cost beside them.
const total = (n, unknown) => !unknown ? usd(n ?? 0)
  : n === null || n === undefined ? `unknown (${unknown} attempt${unknown === 1 ? "" : "s"})`
  : `${usd(n)} + ${unknown} attempt${unknown === 1 ? "" : "s"} of unknown cost`;
const lineText = (l) => `${l.quantity} ${l.unit}${l.variant ? ` (${l.variant})` : ""} × ${l.usd_per_unit === null || l.usd_per_unit === undefined ? "unknown price" : "$" + l.usd_per_unit}`;
// Routes: as asked ("openrouter/some-model", "local" for its default model), and the one that made the result.
const routeText = (r) => r.model ? `${r.provider}/${r.model}` : r.provider;
const routesAsked = (job) => (job.routes_asked || []).map(routeText).join(", ") || routeText(job);
// What made a succeeded job's result ("unknown" when that was not recorded); "trying X" while a provider works on it.
const routeUsedText = (job) => job.state === "succeeded"
  ? (job.route_used ? routeText(job.route_used) + (job.route_used.cache_hit_of ? " (cache hit)" : "") : "unknown")
  : job.route_trying ? `trying ${routeText(job.route_trying)}` : "-";
const STATES = ["queued", "running", "waiting", "succeeded", "failed", "canceled"];
const KINDS = ["tts", "transcribe", "image", "video"];

function select(id, label, values, current) {
  return el("label", {}, label + " ",
    el("select", { id }, el("option", { value: "" }, "any"),
      values.map((v) => { const o = el("option", { value: v }, v); if (v === current) o.selected = true; return o; })));
}

// Jobs: the table, then live changes over SSE.
async function showJobs(params) {
  const state = params.get("state") || "";
  const kind = params.get("kind") || "";
  const query = new URLSearchParams();
  if (state) query.set("state", state);
  if (kind) query.set("kind", kind);
  const filters = el("div", { class: "filters" }, select("filter-state", "State", STATES, state), select("filter-kind", "Kind", KINDS, kind),
    el("span", { id: "live", class: "muted" }, ""));
  const body = el("tbody", { id: "jobs-body" });
  const more = el("button", { id: "more", hidden: "" }, "Older jobs");
  view.replaceChildren(el("h1", {}, "Jobs"), filters,
    el("table", { id: "jobs" }, el("thead", {}, el("tr", {}, ["Job", "Kind", "State", "Routes asked", "Route used", "Cost", "Created"].map((h) => el("th", {}, h)))), body), more);
  for (const id of ["filter-state", "filter-kind"]) {
    document.getElementById(id).addEventListener("change", () => {
      const q = new URLSearchParams();
      const s = document.getElementById("filter-state").value, k = document.getElementById("filter-kind").value;
      if (s) q.set("state", s);
      if (k) q.set("kind", k);
      location.hash = "#/?" + q.toString();
    });
  }
  const row = (job) => el("tr", { "data-job": job.id },
    el("td", { class: "mono" }, el("a", { href: `#/jobs/${job.id}` }, job.id)), el("td", {}, job.kind), el("td", {}, stateBadge(job.state), job.parts && job.state === "waiting" ? ` ${job.parts.display}` : ""),
    el("td", { class: "route-asked" }, routesAsked(job)), el("td", { class: "route-used" }, routeUsedText(job)), el("td", { class: "cost" }, total(job.cost.usd, job.cost.unknown_attempts)), el("td", {}, when(job.created_at)));
  const upsert = (job) => {
    const existing = body.querySelector(`tr[data-job="${job.id}"]`);
    if (existing) existing.replaceWith(row(job)); else body.prepend(row(job));
  };
  let cursor = null;
  const loadPage = async () => {
    const q = new URLSearchParams(query);
    if (cursor) q.set("cursor", cursor);
    const page = await api("/v1/jobs?" + q.toString());
    for (const job of page.jobs) body.append(row(job));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", loadPage);
  await loadPage();
  const source = new EventSource("/v1/jobs?" + query.toString());
  source.addEventListener("open", () => { document.getElementById("live").textContent = "live"; });
  source.addEventListener("job", (event) => upsert(JSON.parse(event.data)));
  closeLive = () => source.close();
}

// One job: facts, the artifact, costs, and the event timeline, live until it ends.
async function showJob(id) {
  const job = await api(`/v1/jobs/${encodeURIComponent(id)}`);
  const timeline = el("ol", { class: "timeline", id: "timeline" });
  const facts = el("dl", { class: "facts", id: "facts" });
  const artifactBox = el("div", { class: "artifact", id: "artifact" });
  const costs = el("tbody");
  const actions = el("div", { class: "filters" });
  view.replaceChildren(el("h1", {}, "Job ", el("span", { class: "mono" }, job.id)), actions, facts,
    el("h2", {}, "Result"), artifactBox, el("h2", {}, "Costs"),
    el("table", {}, el("thead", {}, el("tr", {}, ["Attempt", "Route", "Units", "USD", "Source"].map((h) => el("th", {}, h)))), costs),
    el("h2", {}, "Events"), timeline);

  const render = (job) => {
    facts.replaceChildren(
      el("dt", {}, "State"), el("dd", { id: "job-state" }, stateBadge(job.state), job.stage && !["succeeded", "failed", "canceled"].includes(job.state) ? ` (${job.stage})` : ""),
      el("dt", {}, "Kind"), el("dd", {}, job.kind),
      job.parts ? [el("dt", {}, "Parts"), el("dd", { id: "job-parts" }, job.parts.display, " (",
        job.parts.jobs.flatMap((p, i) => [i ? " " : "", el("a", { class: "mono", href: `#/jobs/${p}` }, String(i + 1))]), ")")] : [],
      job.parent_id ? [el("dt", {}, "Part of"), el("dd", { id: "job-parent" }, el("a", { class: "mono", href: `#/jobs/${job.parent_id}` }, job.parent_id))] : [],
      el("dt", {}, "Routes asked"), el("dd", { id: "job-routes-asked" }, routesAsked(job)),
      el("dt", {}, "Route used"), el("dd", { id: "job-route-used" }, routeUsedText(job),
        job.route_used && job.route_used.cache_hit_of ? [" from job ", el("a", { class: "mono", href: `#/jobs/${job.route_used.cache_hit_of}` }, job.route_used.cache_hit_of)] : []),
      el("dt", {}, "Attempts"), el("dd", {}, `${job.attempts} of ${job.max_attempts}`),
      el("dt", {}, "Created"), el("dd", {}, when(job.created_at)),
      el("dt", {}, "Finished"), el("dd", {}, when(job.finished_at) || "-"),
      el("dt", {}, "Cost"), el("dd", { class: "cost" }, total(job.cost.usd, job.cost.unknown_attempts)),
      job.error ? [el("dt", {}, "Error"), el("dd", { class: "error" }, `${job.error.code}: ${job.error.message}`)] : []);
    const partNumber = (r) => r.part && job.parts ? `part ${job.parts.jobs.indexOf(r.part) + 1}, ` : "";
    costs.replaceChildren(...job.cost.records.map((r) => el("tr", {}, el("td", {}, partNumber(r) + r.attempt), el("td", {}, `${r.provider}/${r.model}`),
      el("td", {}, Object.entries(r.units).map(([k, v]) => `${v} ${k}`).join(", ")), el("td", { class: "cost", title: (r.lines || []).map(lineText).join(" + ") }, usd(r.usd)), el("td", {}, r.source))));
    artifactBox.replaceChildren(...job.artifacts.map(artifactElement));
    if (job.artifacts.length === 0) artifactBox.append(el("p", { class: "muted" }, "No output yet."));
    actions.replaceChildren(...[
      ["queued", "running", "waiting"].includes(job.state) ? el("button", { onclick: () => act("cancel") }, "Cancel") : null,
      ["failed", "canceled"].includes(job.state) ? el("button", { onclick: () => act("retry") }, "Retry") : null,
    ].filter(Boolean));
  };
  const act = async (what) => { render(await api(`/v1/jobs/${job.id}/${what}`, { method: "POST" })); };
  render(job);
  for (const e of job.events || []) timeline.append(eventItem(e));
  const lastSeen = (job.events || []).length;
  const source = new EventSource(`/v1/jobs/${job.id}/events`);
  let count = 0;
  source.addEventListener("job_event", (event) => {
    count += 1;
    if (count > lastSeen) timeline.append(eventItem(JSON.parse(event.data)));
  });
  source.addEventListener("end", async (event) => {
    source.close();
    render(await api(`/v1/jobs/${job.id}`));
  });
  closeLive = () => source.close();
}

const eventItem = (e) => el("li", { "data-kind": e.kind }, el("time", {}, when(e.at)), el("strong", {}, e.kind), ` #${e.attempt} `, e.detail);

function artifactElement(artifact) {
  const url = `/v1/artifacts/${artifact.sha256}`;
  const caption = el("p", { class: "muted" }, `${artifact.format}, ${artifact.bytes} bytes`,
    artifact.duration_s ? `, ${artifact.duration_s.toFixed(2)} s` : "", " · ", el("a", { href: url, download: "" }, "download"));
  if (artifact.mime.startsWith("audio/")) return el("div", {}, el("audio", { controls: "", src: url, id: "player" }), caption);
  if (artifact.mime.startsWith("video/")) return el("div", {}, el("video", { controls: "", src: url, id: "player" }), caption);
  if (artifact.mime.startsWith("image/")) return el("div", {}, el("img", { src: url, alt: "generated image" }), caption);
  const pre = el("pre", { id: "transcript" }, "…");
  fetch(url, { credentials: "same-origin" }).then((r) => r.text()).then((t) => { pre.textContent = t; });
  return el("div", {}, pre, caption);
}

// Costs: spend per day by provider as stacked bars, then the table.
async function showCosts() {
  const report = await api("/v1/costs?group_by=day,provider");
  const days = [...new Set(report.groups.map((g) => g.key.day))].sort();
  const providers = [...new Set(report.groups.map((g) => g.key.provider))].sort();
  const colours = ["#2456c9", "#1f7a3a", "#b3261e", "#8a6d00", "#6a3fb5", "#00838f"];
  const amount = (day, provider) => Number((report.groups.find((g) => g.key.day === day && g.key.provider === provider) || {}).usd || 0);
  const totals = days.map((d) => providers.reduce((s, p) => s + amount(d, p), 0));
  const max = Math.max(...totals, 1e-9);
  const width = Math.max(320, days.length * 56 + 60), height = 240, base = 200;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("id", "cost-chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Spend per day by provider");
  days.forEach((day, i) => {
    let y = base;
    providers.forEach((provider, j) => {
      const h = amount(day, provider) > 0 ? Math.max(1, (amount(day, provider) / max) * 170) : 1;
      const rect = document.createElementNS(ns, "rect");
      Object.entries({ x: 50 + i * 56, y: y - h, width: 36, height: h, fill: colours[j % colours.length] }).forEach(([k, v]) => rect.setAttribute(k, v));
      const title = document.createElementNS(ns, "title");
      const group = report.groups.find((g) => g.key.day === day && g.key.provider === provider);
      title.textContent = `${day} ${provider}: ${group ? total(group.usd, group.unknown_prices) : usd(0)}`;
      rect.append(title);
      svg.append(rect);
      y -= h;
    });
    const label = document.createElementNS(ns, "text");
    Object.entries({ x: 50 + i * 56, y: base + 18, "font-size": 10 }).forEach(([k, v]) => label.setAttribute(k, v));
    label.textContent = day.slice(5);
    svg.append(label);
  });
  const axis = document.createElementNS(ns, "text");
  Object.entries({ x: 4, y: 34, "font-size": 10 }).forEach(([k, v]) => axis.setAttribute(k, v));
  axis.textContent = max > 1e-9 ? usd(max) : "no known amounts";
  svg.append(axis);
  view.replaceChildren(el("h1", {}, "Costs"), el("p", {}, `Total ${total(report.usd, report.unknown_prices)} over ${report.records} billed attempt(s).`),
    el("div", { class: "chart" }, svg,
      el("div", { class: "legend" }, providers.map((p, j) => el("span", {}, el("i", { style: `background:${colours[j % colours.length]}` }), p)))),
    el("h2", {}, "By day and provider"),
    el("table", {}, el("thead", {}, el("tr", {}, ["Day", "Provider", "USD", "Attempts", "Unknown prices"].map((h) => el("th", {}, h)))),
      el("tbody", {}, report.groups.map((g) => el("tr", {}, el("td", {}, g.key.day), el("td", {}, g.key.provider), el("td", { class: "cost" }, total(g.usd, g.unknown_prices)),
        el("td", {}, g.attempts), el("td", {}, g.unknown_prices))))));
}

const progressBar = (p) => {
  const total = Math.max(p.inputs, 1);
  return el("div", { class: "bar", title: `${p.succeeded} done, ${p.failed} failed, ${p.pending} pending, ${p.skipped} skipped` },
    el("span", { class: "done", style: `width:${(100 * p.succeeded) / total}%` }),
    el("span", { class: "failed", style: `width:${(100 * p.failed) / total}%` }),
    el("span", { class: "skipped", style: `width:${(100 * p.skipped) / total}%` }));
};

async function showBatches() {
  const { batches } = await api("/v1/batches");
  view.replaceChildren(el("h1", {}, "Batches"),
    batches.length === 0 ? el("p", { class: "muted" }, "No batches yet: mediajobs batch transcribe DIR") :
    el("table", {}, el("thead", {}, el("tr", {}, ["Batch", "Kind", "Source", "Progress", "Done", "Cost"].map((h) => el("th", {}, h)))),
      el("tbody", {}, batches.map((b) => el("tr", {}, el("td", { class: "mono" }, el("a", { href: `#/batches/${encodeURIComponent(b.id)}` }, b.id)),
        el("td", {}, b.kind), el("td", {}, b.source), el("td", {}, progressBar(b.progress)),
        el("td", {}, `${b.progress.succeeded}/${b.progress.inputs}`), el("td", {}, total(b.progress.cost_usd, b.progress.unknown_costs)))))));
  const timer = setInterval(() => { if (location.hash.startsWith("#/batches")) showBatches().catch(() => {}); }, 5000);
  closeLive = () => clearInterval(timer);
}

async function showBatch(id) {
  const b = await api(`/v1/batches/${encodeURIComponent(id)}`);
  view.replaceChildren(el("h1", {}, "Batch ", el("span", { class: "mono" }, b.id)), progressBar(b.progress),
    el("p", {}, `${b.progress.succeeded} done, ${b.progress.failed} failed, ${b.progress.pending} pending, ${b.progress.skipped} skipped · ${total(b.progress.cost_usd, b.progress.unknown_costs)}`),
    el("table", {}, el("thead", {}, el("tr", {}, ["Input", "Output", "State", "Job", "Reason"].map((h) => el("th", {}, h)))),
      el("tbody", {}, b.entries.map((e) => el("tr", {}, el("td", {}, e.input), el("td", {}, e.output), el("td", {}, stateBadge(e.state)),
        el("td", { class: "mono" }, e.job ? el("a", { href: `#/jobs/${e.job}` }, e.job) : "-"), el("td", {}, e.reason || ""))))));
  const timer = setInterval(() => { if (location.hash.startsWith("#/batches/")) showBatch(id).catch(() => {}); }, 3000);
  closeLive = () => clearInterval(timer);
}

// Submit: a job from a form; a transcribe job uploads its recording (multipart).
function showSubmit() {
  const message = el("p", { id: "submit-error", class: "error" });
  const form = el("form", { class: "submit", id: "submit-form" },
    el("label", {}, "Kind", el("select", { id: "kind", name: "kind" }, KINDS.map((k) => el("option", { value: k }, k)))),
    el("label", {}, "Provider", el("input", { id: "provider", name: "provider", value: "local" })),
    el("label", {}, "Model (optional)", el("input", { id: "model", name: "model" })),
    el("label", { id: "text-field" }, "Text or prompt", el("textarea", { id: "text", name: "text", rows: 4 })),
    el("label", { id: "file-field", hidden: "" }, "Recording", el("input", { id: "file", name: "file", type: "file", accept: "audio/*,video/*" })),
    el("label", {}, "Format (optional)", el("input", { id: "format", name: "format", placeholder: "mp3, srt, png…" })),
    el("button", { type: "submit", id: "submit-button" }, "Submit"), message);
  const kind = form.querySelector("#kind");
  kind.addEventListener("change", () => {
    form.querySelector("#file-field").hidden = kind.value !== "transcribe";
    form.querySelector("#text-field").hidden = kind.value === "transcribe";
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const spec = { kind: kind.value, provider: form.querySelector("#provider").value || "local", input: {} };
    const model = form.querySelector("#model").value, format = form.querySelector("#format").value;
    if (model) spec.model = model;
    if (format) spec.output = { format };
    try {
      let job;
      if (spec.kind === "transcribe") {
        const file = form.querySelector("#file").files[0];
        if (!file) throw new Error("choose a recording to transcribe");
        const body = new FormData();
        body.append("spec", JSON.stringify(spec));
        body.append("file", file, file.name);
        job = await api("/v1/jobs", { method: "POST", body });
      } else {
        const text = form.querySelector("#text").value;
        if (spec.kind === "tts") spec.input.text = text; else spec.input.prompt = text;
        job = await api("/v1/jobs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(spec) });
      }
      location.hash = `#/jobs/${job.id}`;
    } catch (error) {
      message.textContent = error.message;
    }
  });
  view.replaceChildren(el("h1", {}, "Submit a job"), form);
}

async function refreshStats() {
  try {
    const s = await api("/v1/stats");
    document.getElementById("stats").textContent =
      `${s.jobs.queued} queued · ${s.jobs.running} running · ${s.workers.length} worker(s) · ${total(s.cost_today_usd, s.unknown_costs_today)} today`;
  } catch (_) { /* shown by the view */ }
}

async function route() {
  closeLive();
  closeLive = () => {};
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, queryString] = hash.split("?");
  const params = new URLSearchParams(queryString || "");
  const section = path.split("/")[1] || "jobs";
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.dataset.nav === section);
  try {
    if (path.startsWith("/jobs/")) await showJob(decodeURIComponent(path.slice(6)));
    else if (path === "/submit") showSubmit();
    else if (path === "/costs") await showCosts();
    else if (path.startsWith("/batches/")) await showBatch(decodeURIComponent(path.slice(9)));
    else if (path === "/batches") await showBatches();
    else await showJobs(params);
  } catch (error) {
    view.replaceChildren(el("p", { class: "error" }, error.message));
  }
  refreshStats();
}

window.addEventListener("hashchange", route);
setInterval(refreshStats, 5000);
route();
