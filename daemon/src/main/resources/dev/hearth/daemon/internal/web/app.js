// hearth's web UI: a read-only view of the daemon, kept live by Server-Sent Events.
// Everything the daemon or a guest wrote is put into the page as text (textContent), never as HTML.
"use strict";

const state = { vms: [], ops: [], console: null, consoleError: null, filter: "" };
let events = null;
let eventsVm = null;
let route = { page: "vms" };
let detailsFor = null;

// ---- small DOM helpers ----

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function badge(kind, word) {
  return el("span", { class: "badge " + kind + "-" + word }, word);
}

function table(headers, rows, empty) {
  if (rows.length === 0) return el("p", { class: "muted" }, empty);
  const head = el("tr", {}, ...headers.map((h) => el("th", {}, h)));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows));
}

function main() {
  return document.getElementById("main");
}

function replaceMain(...children) {
  main().replaceChildren(...children);
}

// ---- formatting ----

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)) + " " + units[i];
}

function age(iso) {
  if (!iso) return "";
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  return Math.floor(s / 86400) + "d";
}

function time(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

// ---- data ----

async function getJson(path) {
  const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = body.error ? body.error.message : response.status + " " + response.statusText;
    throw new Error(message);
  }
  return body;
}

function connect(vm) {
  if (events && eventsVm === vm) return;
  if (events) events.close();
  eventsVm = vm;
  state.console = null;
  state.consoleError = null;
  events = new EventSource("/api/events" + (vm ? "?vm=" + encodeURIComponent(vm) : ""));
  const live = document.getElementById("live");
  events.onopen = () => {
    live.textContent = "live";
    live.classList.remove("off");
  };
  events.onerror = () => {
    live.textContent = "reconnecting";
    live.classList.add("off");
  };
  events.addEventListener("vms", (e) => {
    state.vms = JSON.parse(e.data).vms;
    render("vms");
  });
  events.addEventListener("ops", (e) => {
    state.ops = JSON.parse(e.data).ops;
    render("ops");
  });
  events.addEventListener("console", (e) => {
    const data = JSON.parse(e.data);
    state.console = data.text;
    state.consoleError = data.error || null;
    render("console");
  });
}

// ---- routing ----

function parseRoute() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const parts = hash.split("/").filter((p) => p.length > 0).map(decodeURIComponent);
  if (parts[0] === "vm" && parts[1]) return { page: "vm", vm: parts[1] };
  if (parts[0] === "ops") return { page: "ops" };
  if (parts[0] === "images") return { page: "images" };
  if (parts[0] === "doctor") return { page: "doctor" };
  return { page: "vms" };
}

function navigate() {
  route = parseRoute();
  detailsFor = null;
  for (const a of document.querySelectorAll("header nav a")) {
    a.classList.toggle("active", a.dataset.nav === (route.page === "vm" ? "vms" : route.page));
  }
  connect(route.page === "vm" ? route.vm : null);
  build();
}

// Each page is built once per navigation; events then refresh its live parts only.
function build() {
  if (route.page === "vms") buildVmList();
  else if (route.page === "vm") buildVmPage();
  else if (route.page === "ops") buildOps();
  else if (route.page === "images") buildImages();
  else if (route.page === "doctor") buildDoctor();
}

function render(what) {
  if (route.page === "vms") {
    refreshRunningOps();
    if (what === "vms") refreshVmRows();
  } else if (route.page === "vm") {
    if (what === "console") refreshConsole();
    else refreshVmPage();
  } else if (route.page === "ops" && what === "ops") {
    refreshOps();
  }
}

// ---- VM list ----

function buildVmList() {
  const filter = el("input", { type: "search", placeholder: "Filter by name, IP or image", id: "filter" });
  filter.value = state.filter;
  filter.addEventListener("input", () => {
    state.filter = filter.value;
    refreshVmRows();
  });
  replaceMain(
    el("h1", {}, "Virtual machines"),
    el("div", { id: "running-ops", class: "running-ops" }),
    el("div", { class: "toolbar" }, filter, el("div", { class: "counts", id: "counts" })),
    el("div", { id: "vm-table" })
  );
  refreshRunningOps();
  refreshVmRows();
}

function refreshVmRows() {
  const holder = document.getElementById("vm-table");
  if (!holder) return;
  const f = state.filter.trim().toLowerCase();
  const shown = state.vms.filter(
    (vm) => !f || vm.name.toLowerCase().includes(f) || vm.ip.includes(f) || vm.image.toLowerCase().includes(f)
  );
  shown.sort((a, b) => a.name.localeCompare(b.name));
  const counts = {};
  for (const vm of state.vms) counts[vm.state] = (counts[vm.state] || 0) + 1;
  document.getElementById("counts").replaceChildren(
    el("span", {}, state.vms.length + " VMs"),
    ...Object.entries(counts).map(([s, n]) => el("span", {}, n + " " + s))
  );
  const rows = shown.map((vm) =>
    el(
      "tr",
      { "data-vm": vm.name },
      el("td", {}, el("a", { href: "#/vm/" + encodeURIComponent(vm.name) }, vm.name)),
      el("td", {}, badge("state", vm.state), vm.error ? el("div", { class: "error" }, vm.error) : null),
      el("td", { class: "mono" }, vm.ip),
      el("td", { class: "mono" }, vm.dns_name),
      el("td", {}, vm.image),
      el("td", { class: "num" }, vm.vcpus),
      el("td", { class: "num" }, vm.memory_mib + " MiB"),
      el("td", { class: "num" }, bytes(vm.disk_size_bytes)),
      el("td", {}, vm.vmm || ""),
      el("td", { class: "num", title: time(vm.created_at) }, age(vm.created_at))
    )
  );
  holder.replaceChildren(
    table(
      ["Name", "State", "IP", "DNS name", "Image", "vCPUs", "Memory", "Disk", "VMM", "Age"],
      rows,
      state.vms.length === 0 ? "No VMs yet: hearth vm create NAME --image IMAGE" : "No VM matches the filter."
    )
  );
}

function runningOpsTable(ops) {
  return table(
    ["Operation", "Kind", "Target", "Stage", "Progress", "Started"],
    ops.map((op) =>
      el(
        "tr",
        { "data-op": op.id },
        el("td", { class: "mono" }, op.id.substring(0, 12)),
        el("td", {}, op.kind),
        el("td", {}, op.target),
        el("td", { class: "stage" }, op.stage),
        el("td", {}, progress(op)),
        el("td", { class: "num" }, age(op.started_at))
      )
    ),
    "No operation is running."
  );
}

function progress(op) {
  const bar = el("progress", { max: "100" });
  if (op.percent !== undefined) {
    bar.value = op.percent;
    return el("span", {}, bar, " " + op.percent + "%");
  }
  return bar; // indeterminate
}

function refreshRunningOps() {
  const holder = document.getElementById("running-ops");
  if (!holder) return;
  const running = state.ops.filter((op) => op.state === "running");
  holder.replaceChildren(...(running.length ? [el("h2", {}, "Running operations"), runningOpsTable(running)] : []));
}

// ---- one VM ----

function findVm(ref) {
  return state.vms.find((vm) => vm.name === ref || vm.id === ref);
}

function buildVmPage() {
  replaceMain(
    el("p", {}, el("a", { href: "#/" }, "← all VMs")),
    el("h1", { id: "vm-title" }, route.vm),
    el("dl", { class: "fields", id: "vm-fields" }),
    el("h2", {}, "Operations"),
    el("div", { id: "vm-ops" }),
    el("h2", {}, "Console ", el("span", { class: "muted" }, "(last lines, following)")),
    el("pre", { class: "console", id: "console" }),
    el("h2", {}, "Sessions ", el("button", { id: "sessions-refresh" }, "Refresh")),
    el("div", { id: "sessions" }, el("p", { class: "muted" }, "…")),
    el("div", { id: "workspaces" })
  );
  document.getElementById("sessions-refresh").addEventListener("click", loadGuestParts);
  refreshVmPage();
  refreshConsole();
  loadGuestParts();
}

function refreshVmPage() {
  const vm = findVm(route.vm);
  const title = document.getElementById("vm-title");
  if (!title) return;
  if (!vm) {
    title.replaceChildren(route.vm, " ", el("span", { class: "badge state-error" }, "not found"));
    document.getElementById("vm-fields").replaceChildren();
  } else {
    title.replaceChildren(vm.name, " ", badge("state", vm.state));
    if (detailsFor !== vm.id + vm.state) {
      detailsFor = vm.id + vm.state;
      getJson("/api/vm?name=" + encodeURIComponent(vm.name))
        .then(showFields)
        .catch(() => showFields(vm));
    }
  }
  const ops = state.ops.filter((op) => vm && (op.target === vm.name || op.target === vm.id));
  document.getElementById("vm-ops").replaceChildren(opsTable(ops, "No operation on this VM."));
}

function showFields(vm) {
  const fields = [
    ["ID", vm.id],
    ["State", vm.state + (vm.error ? ": " + vm.error : "")],
    ["IP", vm.ip],
    ["DNS name", vm.dns_name],
    ["MAC", vm.mac],
    ["TAP", vm.tap],
    ["Image", vm.image],
    ["vCPUs", vm.vcpus],
    ["Memory", vm.memory_mib + " MiB"],
    ["Disk", bytes(vm.disk_size_bytes) + " (" + vm.provisioner + ")"],
    ["VMM", vm.vmm || ""],
    ["PID", vm.pid === undefined ? "" : vm.pid],
    ["Egress", vm.egress || ""],
    ["Created", time(vm.created_at) + " (" + age(vm.created_at) + " ago)"],
    ["Boot args", vm.boot_args || ""],
    ["Console log", vm.console_log || ""],
  ];
  document.getElementById("vm-fields").replaceChildren(
    ...fields.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))])
  );
}

function refreshConsole() {
  const pre = document.getElementById("console");
  if (!pre) return;
  const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
  if (state.consoleError) pre.textContent = "(" + state.consoleError + ")";
  else if (state.console === null) pre.textContent = "…";
  else pre.textContent = state.console || "(the console is empty)";
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

// Sessions and workspaces live in the guest: read on demand, not polled.
function loadGuestParts() {
  const holder = document.getElementById("sessions");
  const vm = findVm(route.vm);
  if (!holder) return;
  if (!vm || vm.state !== "running") {
    holder.replaceChildren(el("p", { class: "muted" }, "Sessions are read from the guest while it runs."));
    document.getElementById("workspaces").replaceChildren();
    return;
  }
  holder.replaceChildren(el("p", { class: "muted" }, "Reading the guest's sessions…"));
  getJson("/api/sessions?vm=" + encodeURIComponent(vm.name))
    .then((list) => holder.replaceChildren(sessionsTable(vm.name, list)))
    .catch((e) => holder.replaceChildren(el("p", { class: "error" }, e.message)));
  getJson("/api/workspaces?vm=" + encodeURIComponent(vm.name))
    .then((list) => {
      const rows = list.workspaces.map((w) =>
        el("tr", {}, el("td", {}, w.name), el("td", { class: "mono" }, w.guest_path),
          el("td", { class: "mono" }, w.host_path), el("td", {}, w.branch),
          el("td", { class: "mono" }, w.base_commit.substring(0, 12)), el("td", {}, time(w.imported_at)))
      );
      document.getElementById("workspaces").replaceChildren(
        ...(rows.length ? [el("h2", {}, "Workspaces"),
          table(["Name", "Guest path", "Host repository", "Branch", "Base", "Imported"], rows, "")] : [])
      );
    })
    .catch(() => document.getElementById("workspaces").replaceChildren());
}

function sessionsTable(vm, list) {
  const rows = [];
  for (const s of list.sessions) {
    const output = el("pre", { class: "output", hidden: "" });
    const show = el("button", {}, "Output");
    show.addEventListener("click", () => {
      output.hidden = false;
      output.textContent = "…";
      getJson("/api/session-output?vm=" + encodeURIComponent(vm) + "&session=" + encodeURIComponent(s.id))
        .then((o) => {
          // A read the daemon stopped says so after what it got.
          const cut = o.truncated ? "\n\n[" + o.truncated + "]" : "";
          output.textContent = (o.text || "(no output)") + cut;
        })
        .catch((e) => (output.textContent = e.message));
    });
    rows.push(
      el(
        "tr",
        {},
        el("td", { class: "mono" }, s.id),
        el("td", {}, s.name),
        el("td", {}, badge("state", s.state)),
        el("td", { class: "num" }, s.exit_code === null || s.exit_code === undefined ? "" : s.exit_code),
        el("td", {}, age(s.started_at)),
        el("td", { class: "mono" }, s.command, output),
        el("td", {}, show)
      )
    );
  }
  const errors = list.errors.map((e) => el("p", { class: "error" }, e.message));
  return el("div", {}, table(["ID", "Name", "State", "Exit", "Age", "Command", ""], rows, "No sessions."), ...errors);
}

// ---- operations ----

function opsTable(ops, empty) {
  const sorted = [...ops].sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at));
  return table(
    ["Operation", "Kind", "Target", "State", "Stage", "Progress / error", "Started", "Finished"],
    sorted.map((op) =>
      el(
        "tr",
        { "data-op": op.id },
        el("td", { class: "mono" }, op.id.substring(0, 12)),
        el("td", {}, op.kind),
        el("td", {}, op.target),
        el("td", {}, badge("state", op.state)),
        el("td", { class: "stage" }, op.stage),
        el(
          "td",
          {},
          op.state === "running"
            ? progress(op)
            : op.error
            ? el("span", { class: "error" }, op.error.stage + ": " + op.error.message)
            : ""
        ),
        el("td", {}, age(op.started_at)),
        el("td", {}, op.finished_at ? time(op.finished_at) : "")
      )
    ),
    empty
  );
}

function buildOps() {
  replaceMain(el("h1", {}, "Operations"), el("div", { id: "ops" }));
  refreshOps();
}

function refreshOps() {
  const holder = document.getElementById("ops");
  if (!holder) return;
  const running = state.ops.filter((op) => op.state === "running");
  const finished = state.ops.filter((op) => op.state !== "running");
  holder.replaceChildren(
    el("h2", {}, "Running"),
    opsTable(running, "No operation is running."),
    el("h2", {}, "Finished"),
    opsTable(finished, "No finished operation is kept.")
  );
}

// ---- images and doctor (read when shown) ----

function buildImages() {
  replaceMain(el("h1", {}, "Images"), el("div", { id: "images" }, el("p", { class: "muted" }, "…")));
  getJson("/api/images")
    .then((list) => {
      const rows = list.images.map((image) =>
        el(
          "tr",
          {},
          el("td", {}, image.name),
          el("td", { class: "num" }, bytes(image.size_bytes)),
          el("td", { class: "mono" }, ...Object.entries(image.sha256).map(([f, s]) => el("div", {}, f + " " + s))),
          el("td", {}, time(image.created_at)),
          el("td", {}, image.used_by.join(", "))
        )
      );
      document.getElementById("images").replaceChildren(
        table(["Name", "Size", "SHA-256", "Created", "Used by"], rows, "No images: hearth image build NAME")
      );
    })
    .catch((e) => document.getElementById("images").replaceChildren(el("p", { class: "error" }, e.message)));
}

function buildDoctor() {
  const again = el("button", {}, "Run again");
  again.addEventListener("click", buildDoctor);
  replaceMain(el("h1", {}, "Doctor ", again), el("div", { id: "doctor" }, el("p", { class: "muted" }, "Checking…")));
  getJson("/api/doctor")
    .then((report) => {
      const rows = report.checks.map((c) =>
        el("tr", {}, el("td", {}, badge("status", c.status)), el("td", {}, c.name), el("td", {}, c.detail),
          el("td", { class: "mono" }, c.fix))
      );
      document.getElementById("doctor").replaceChildren(
        el("p", {}, report.failed ? "Some checks failed." : "Nothing failed."),
        table(["Status", "Check", "Detail", "Fix"], rows, "No checks.")
      );
    })
    .catch((e) => document.getElementById("doctor").replaceChildren(el("p", { class: "error" }, e.message)));
}

window.addEventListener("hashchange", navigate);
document.addEventListener("DOMContentLoaded", navigate);
// Ages move on between events.
setInterval(() => {
  if (route.page === "vms") refreshVmRows();
}, 10000);
