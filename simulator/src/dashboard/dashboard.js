// pdusim dashboard: fills the chosen PDU's panels from server-sent events and sends every
// action to the control API's JSON routes. No framework, no build step.
"use strict";
(function () {
  const main = document.querySelector("main[data-pdu]");
  if (!main) return;
  const pdu = main.dataset.pdu;
  const base = "/pdus/" + encodeURIComponent(pdu);
  const $ = (id) => document.getElementById(id);
  const statusLine = $("status");
  const MAX_REQUESTS = 200;

  function say(text, failed) {
    statusLine.textContent = text;
    statusLine.dataset.failed = failed ? "yes" : "no";
  }

  async function call(method, path, body) {
    const init = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(base + path, init);
    if (!response.ok) {
      const text = await response.text();
      let message = text;
      try { message = JSON.parse(text).error; } catch (_) { /* not JSON */ }
      say("Refused: " + message, true);
      throw new Error(message);
    }
    return response;
  }

  function act(label, method, path, body) {
    return call(method, path, body).then(() => say(label + ": done", false), () => {});
  }

  function cell(row, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function button(text, label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  function seconds(ms) {
    return (ms / 1000).toFixed(1) + " s";
  }

  function duration(secs) {
    const d = Math.floor(secs / 86400), h = Math.floor(secs / 3600) % 24;
    const m = Math.floor(secs / 60) % 60, s = secs % 60;
    return (d ? d + " d " : "") + String(h).padStart(2, "0") + ":" +
      String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }

  // Outlets: one row per outlet, made once and updated in place so focus and typing survive.
  const outletRows = new Map();
  function outletRow(n) {
    let row = outletRows.get(n);
    if (row) return row;
    const tr = document.createElement("tr");
    tr.id = "outlet-" + n;
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = String(n);
    tr.appendChild(th);
    const name = cell(tr, "", "name");
    const state = cell(tr, "", "state");
    const load = cell(tr, "", "metered");
    const current = cell(tr, "", "metered");
    const actions = cell(tr, "", "actions");
    for (const [text, command] of [["On", "on"], ["Off", "off"], ["Cycle", "reboot"]]) {
      const b = button(text, text + " outlet " + n, () =>
        act("Outlet " + n + " " + text.toLowerCase(), "PUT", "/outlets/" + n, { command }));
      b.className = "switch-" + text.toLowerCase();
      actions.appendChild(b);
    }
    const renameCell = cell(tr, "", "rename");
    const form = document.createElement("form");
    const label = document.createElement("label");
    label.textContent = "New name of outlet " + n;
    label.className = "visually-hidden";
    label.htmlFor = "rename-" + n;
    const input = document.createElement("input");
    input.id = "rename-" + n;
    input.maxLength = 64;
    form.append(label, input, Object.assign(document.createElement("button"), {
      type: "submit", textContent: "Rename",
    }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      act("Outlet " + n + " renamed", "PUT", "/outlets/" + n, { name: input.value });
    });
    renameCell.appendChild(form);
    $("outlets").tBodies[0].appendChild(tr);
    row = { tr, name, state, load, current, input, shownName: null };
    outletRows.set(n, row);
    return row;
  }

  function renderOutlets(outlets, metered) {
    main.classList.toggle("unmetered", !metered);
    for (const o of outlets) {
      const row = outletRow(o.outlet);
      row.name.textContent = o.name || "(no name)";
      let state = o.power;
      if (o.pending) {
        const what = o.pending === "reboot" ? "cycling" : "pending " + o.pending;
        state += ", " + what + (o.countdown_ms != null ? " in " + seconds(o.countdown_ms) : "");
      }
      row.state.textContent = state;
      row.tr.dataset.power = o.power;
      row.tr.dataset.pending = o.pending || "";
      row.load.textContent = o.watts != null ? o.watts.toFixed(1) + " W" : "";
      row.current.textContent = o.amps != null ? o.amps.toFixed(3) + " A" : "";
      if (row.shownName !== o.name && document.activeElement !== row.input) {
        row.input.value = o.name;
        row.shownName = o.name;
      }
    }
  }

  function faultText(f) {
    const params = Object.entries(f)
      .filter(([k]) => !["id", "kind", "schedule", "remaining"].includes(k))
      .map(([k, v]) => k + "=" + v);
    return f.kind + (params.length ? " (" + params.join(", ") + ")" : "");
  }

  function scheduleText(r) {
    const parts = [];
    if (r.requests_until_active > 0) parts.push("starts in " + r.requests_until_active + " requests");
    if (r.packets_left != null) parts.push(r.packets_left + " packets left");
    if (r.ms_left != null) parts.push(seconds(r.ms_left) + " left");
    return parts.length ? parts.join(", ") : "until cleared";
  }

  function renderFaults(faults) {
    const body = $("faults").tBodies[0];
    const focused = document.activeElement && body.contains(document.activeElement)
      ? document.activeElement.dataset.fault : null;
    body.replaceChildren();
    for (const f of faults) {
      const tr = document.createElement("tr");
      cell(tr, String(f.id));
      cell(tr, faultText(f), "fault-kind");
      cell(tr, scheduleText(f.remaining));
      const b = button("Clear", "Clear fault " + f.id + " " + f.kind, () =>
        act("Fault " + f.id + " cleared", "DELETE", "/faults/" + f.id));
      b.dataset.fault = String(f.id);
      cell(tr, "").appendChild(b);
      body.appendChild(tr);
      if (focused === String(f.id)) b.focus();
    }
    if (!faults.length) {
      const tr = document.createElement("tr");
      cell(tr, "No active faults").colSpan = 4;
      body.appendChild(tr);
    }
  }

  function renderCounters(counters) {
    const body = $("counters").tBodies[0];
    body.replaceChildren();
    for (const [name, value] of counters) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = name;
      tr.appendChild(th);
      cell(tr, String(value));
      body.appendChild(tr);
    }
  }

  function renderNotifications(n) {
    $("notification-counts").textContent = n.raised + " raised, " + n.dropped + " dropped (queue full), " +
      n.informs_acknowledged + " informs acknowledged, " + n.informs_failed + " informs failed";
    const body = $("notifications").tBodies[0];
    body.replaceChildren();
    for (const x of n.sent.slice().reverse()) {
      const tr = document.createElement("tr");
      cell(tr, (x.up_time / 100).toFixed(2) + " s");
      cell(tr, x.name, "notification");
      cell(tr, x.trap_oid);
      cell(tr, x.target);
      cell(tr, "v" + x.version + " " + x.kind);
      cell(tr, x.outcome, "outcome");
      body.appendChild(tr);
    }
  }

  function answerText(o) {
    if (o.kind === "response") {
      let text = o.error_status === "noError" ? "Response" : "Response " + o.error_status +
        " (index " + o.error_index + ")";
      if (o.values.length) text += ": " + o.values.join("; ");
      if (o.fault) text += " — then " + o.fault + " fault";
      return text;
    }
    if (o.kind === "report") {
      return "Report " + o.counter + ": " + o.reason + (o.sent ? "" : " (not sent: not reportable)") +
        (o.fault ? " — then " + o.fault + " fault" : "");
    }
    return "No answer: " + o.reason;
  }

  function addRequests(records) {
    const body = $("requests").tBodies[0];
    for (const r of records) {
      const tr = document.createElement("tr");
      tr.dataset.outcome = r.outcome.kind;
      cell(tr, new Date(r.at_unix_ms).toLocaleTimeString());
      cell(tr, r.peer || "");
      cell(tr, r.version || "?");
      cell(tr, r.principal || "");
      cell(tr, r.security_level || "");
      cell(tr, (r.pdu_type || "(unreadable)") + (r.request_id != null ? " #" + r.request_id : ""));
      const more = r.varbind_count > r.varbinds.length ? " (+" + (r.varbind_count - r.varbinds.length) + " more)" : "";
      cell(tr, r.varbinds.join(", ") + more, "varbinds");
      cell(tr, answerText(r.outcome), "answer");
      body.insertBefore(tr, body.firstChild);
    }
    while (body.rows.length > MAX_REQUESTS) body.deleteRow(body.rows.length - 1);
  }

  function render(s) {
    $("f-vendor").textContent = s.vendor;
    $("f-addresses").textContent = s.addresses.join(", ") || "(none)";
    $("f-engine-id").textContent = s.engine_id;
    $("f-boots").textContent = String(s.engine_boots);
    $("f-time").textContent = s.engine_time + " s";
    $("f-uptime").textContent = duration(s.uptime_secs);
    renderOutlets(s.outlets, s.metered);
    renderFaults(s.faults);
    renderCounters(s.counters);
    renderNotifications(s.notifications);
  }

  // Live updates: one EventSource; the browser reconnects by itself after a drop.
  const live = $("live");
  const events = new EventSource(base + "/events");
  events.addEventListener("open", () => { live.textContent = "Live: updates arrive as they happen."; });
  events.addEventListener("error", () => { live.textContent = "Live updates lost; reconnecting…"; });
  events.addEventListener("state", (e) => render(JSON.parse(e.data)));
  events.addEventListener("requests", (e) => addRequests(JSON.parse(e.data)));

  // Faults.
  const kind = $("fault-kind");
  function showParams() {
    for (const span of document.querySelectorAll(".param")) {
      const on = span.dataset.for.split(" ").includes(kind.value);
      span.hidden = !on;
      for (const input of span.querySelectorAll("input, select")) input.disabled = !on;
    }
  }
  kind.addEventListener("change", showParams);
  showParams();
  $("fault-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const fault = { kind: kind.value };
    for (const span of document.querySelectorAll(".param")) {
      if (span.hidden) continue;
      for (const input of span.querySelectorAll("input, select")) {
        if (input.type === "checkbox") fault[input.name] = input.checked;
        else if (input.type === "number") fault[input.name] = Number(input.value);
        else if (input.value !== "") fault[input.name] = input.value;
      }
    }
    const schedule = {};
    for (const id of ["s-after", "s-for", "s-packets"]) {
      const input = $(id);
      if (input.value !== "") schedule[input.name] = Number(input.value);
    }
    act("Fault " + fault.kind + " added", "POST", "/faults", { fault, schedule });
  });
  $("clear-faults").addEventListener("click", () => act("All faults cleared", "DELETE", "/faults"));

  // Engine actions, each behind a confirmation.
  function confirmed(question, label, method, path, body) {
    if (window.confirm(question)) act(label, method, path, body);
  }
  $("restart-keep").addEventListener("click", () => confirmed(
    "Restart the agent of " + pdu + "? Boots + 1, time 0; outlets stay as they are.",
    "Restarted", "POST", "/restart", { keep_outlets: true }));
  $("restart-reset").addEventListener("click", () => confirmed(
    "Restart the agent of " + pdu + " and put every outlet back to its first-start state?",
    "Restarted with outlets reset", "POST", "/restart", { keep_outlets: false }));
  $("boots-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const boots = Number($("e-boots").value);
    confirmed("Set snmpEngineBoots of " + pdu + " to " + boots + "?", "Boots set",
      "POST", "/engine", { boots });
  });
  $("skew-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const skew = Number($("e-skew").value);
    confirmed("Skew the engine time of " + pdu + " by " + skew + " s?", "Clock skewed",
      "POST", "/engine", { skew_secs: skew });
  });
  $("engine-id-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const id = $("e-id").value;
    confirmed("Replace the snmpEngineID of " + pdu + " with " + id + "? Boots restart at 1.",
      "Engine ID replaced", "POST", "/engine", { engine_id: id });
  });
})();
