// The clinic's handout page: plain JavaScript, no build step. Every change to the plan asks
// the server for a preview image of the real page; problems show beside the field that caused them.
"use strict";

const csrf = document.querySelector('meta[name="csrf"]').content;
const $ = (selector, root = document) => root.querySelector(selector);

async function post(url, body, isJson = true) {
  const headers = { "X-CSRF-Token": csrf };
  if (isJson) headers["Content-Type"] = "application/json";
  return fetch(url, { method: "POST", headers, body: isJson ? JSON.stringify(body) : body, credentials: "same-origin" });
}

function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

const logout = $("#logout");
if (logout) logout.addEventListener("click", async () => { await post("/logout", {}); location.href = "/login"; });

// ---- the builder ---------------------------------------------------------------------
const builder = $("#builder");
if (builder) {
  const MAX_NOTE = Number(builder.dataset.maxNote || 600);
  const plan = [];           // [{id, title, sets, amount, unit, rpe, per_week, load, defaultLoad}]
  const planList = $("#plan");
  const results = $("#results");
  const preview = $("#preview");
  let version = 0;

  function clearErrors() {
    document.querySelectorAll(".error").forEach((el) => { if (!el.closest(".narrow-page")) el.textContent = ""; });
    document.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
    document.querySelectorAll("[aria-invalid]").forEach((el) => {
      el.removeAttribute("aria-invalid");
      el.setAttribute("aria-describedby", (el.dataset.describedby || "").trim());
      if (!el.getAttribute("aria-describedby")) el.removeAttribute("aria-describedby");
    });
  }

  // the field is marked, and a screen reader reads the message with it
  function tie(input, slot) {
    if (!input) return;
    input.classList.add("invalid");
    input.setAttribute("aria-invalid", "true");
    if (input.dataset.describedby === undefined) input.dataset.describedby = input.getAttribute("aria-describedby") || "";
    input.setAttribute("aria-describedby", `${input.dataset.describedby} ${slot.id}`.trim());
  }

  const FIELDS = { sets: ".sets", amount: ".amount", rpe: ".rpe", per_week: ".per-week", load: ".load" };
  function showError(field, message) {
    const match = /^(?:dose|exercise):([^:]+)(?::(.+))?$/.exec(field || "");
    if (match) {
      const item = planList.querySelector(`li[data-id="${CSS.escape(match[1])}"]`);
      if (item) {
        const slot = $(".item-error", item);
        slot.textContent = message;
        item.classList.add("invalid");
        tie(match[2] && FIELDS[match[2]] ? $(FIELDS[match[2]], item) : null, slot);
        return;
      }
    }
    const slot = document.querySelector(`.error[data-for="${field}"]`) || document.querySelector('.error[data-for="exercises"]');
    slot.textContent = message;
    tie(document.getElementById(field === "patient_id" ? "patient-id" : field), slot);
  }
  document.querySelectorAll(".error[data-for]").forEach((el) => { el.id = el.id || `error-${el.dataset.for}`; });

  const reissue = new URLSearchParams(location.search).get("reissue");
  let reissueOf = null;

  function body() {
    return {
      patient: $("#patient").value, patient_id: $("#patient-id").value,
      exercises: plan.map((e) => ({ id: e.id, sets: e.sets, amount: e.amount, unit: e.unit, rpe: e.rpe,
                                    per_week: e.per_week, load: e.load !== e.defaultLoad ? e.load : "" })),
      note: $("#note").value, start: $("#start").value, paper: $("#paper").value,
      grayscale: $("#grayscale").checked, lang: $("#lang").value, reissue_of: reissueOf,
    };
  }

  // what is being built survives leaving the page and coming back (this tab only; never in the address)
  const KEEP = "handouts-plan";
  function keep() {
    try { sessionStorage.setItem(KEEP, JSON.stringify({ form: body(), plan, email: $("#email") ? $("#email").value : "" })); } catch { /* private mode: nothing kept */ }
  }

  function countNote() {
    const length = $("#note").value.length;
    const count = $("#note-count");
    count.textContent = length ? `${length} of ${MAX_NOTE} characters` : "";
    count.classList.toggle("over", length > MAX_NOTE);
  }

  function stale(yes) {
    const frame = $("#preview-frame");
    const shown = Boolean(preview.getAttribute("src"));
    frame.classList.toggle("stale", yes && shown);
    $("#stale").textContent = yes && shown ? "The page below is from before your last change: fix the problem marked in red to see it again." : "";
  }

  function refresh() { keep(); countNote(); refreshSoon(); }  // kept at once: leaving the page a moment later loses nothing
  window.addEventListener("pagehide", keep);

  const refreshSoon = debounce(async () => {
    clearErrors();
    countNote();
    if ($("#note").value.length > MAX_NOTE) {
      const over = $("#note").value.length - MAX_NOTE;
      showError("note", `The note is ${$("#note").value.length} characters; ${MAX_NOTE} fit on the sheet. Shorten it by ${over}.`);
      stale(true);
      return;
    }
    if (!$("#patient").value.trim() || plan.length === 0) { $("#preview-empty").hidden = false; stale(false); return; }
    const asked = ++version;
    const response = await post("/api/preview", body());
    if (asked !== version) return;  // a newer change is already on its way
    if (response.ok) {
      const blob = await response.blob();
      const old = preview.src;
      preview.src = URL.createObjectURL(blob);
      await preview.decode().catch(() => {});
      if (old) URL.revokeObjectURL(old);
      preview.dataset.version = String(asked);  // set once the new page is on screen
      $("#preview-empty").hidden = true;
      stale(false);
    } else {
      const problem = await response.json();
      showError(problem.field, problem.error);
      stale(true);
    }
  }, 120);  // a pause in typing this long asks for the page: short enough to feel live, long enough to skip keystrokes

  function renderPlan(focusId = null, focusButton = ".up") {
    planList.textContent = "";
    plan.forEach((e, i) => {
      const li = $("#plan-item").content.firstElementChild.cloneNode(true);
      li.dataset.id = e.id;
      $(".item-error", li).id = `item-error-${i + 1}`;
      $(".title", li).textContent = `${i + 1}. ${e.title}`;
      $(".title", li).before(drawing(e.figure ?? `/figures/${encodeURIComponent(e.id)}.svg`));
      for (const [cls, key] of [["sets", "sets"], ["amount", "amount"], ["rpe", "rpe"], ["per-week", "per_week"], ["load", "load"]]) {
        const input = $("." + cls, li);
        input.value = e[key];
        input.addEventListener("input", () => { e[key] = input.value; refresh(); });
      }
      const unit = $(".unit", li);
      unit.value = e.unit;
      unit.addEventListener("change", () => { e.unit = unit.value; refresh(); });
      $(".up", li).setAttribute("aria-label", `Move ${e.title} up`);
      $(".down", li).setAttribute("aria-label", `Move ${e.title} down`);
      $(".remove", li).setAttribute("aria-label", `Remove ${e.title}`);
      $(".up", li).addEventListener("click", () => { if (i > 0) { plan.splice(i - 1, 0, plan.splice(i, 1)[0]); renderPlan(e.id, ".up"); refresh(); } });
      $(".down", li).addEventListener("click", () => { if (i < plan.length - 1) { plan.splice(i + 1, 0, plan.splice(i, 1)[0]); renderPlan(e.id, ".down"); refresh(); } });
      $(".remove", li).addEventListener("click", () => {
        plan.splice(i, 1);
        const next = plan[Math.min(i, plan.length - 1)];
        renderPlan(next ? next.id : null, ".remove");
        if (!next) $("#search").focus();
        refresh();
      });
      planList.appendChild(li);
    });
    // focus stays with the exercise just moved (or the one that took a removed one's place)
    if (focusId) {
      const item = planList.querySelector(`li[data-id="${CSS.escape(focusId)}"]`);
      let button = item && $(focusButton, item);
      if (button && button.disabled) button = $(focusButton === ".up" ? ".down" : ".up", item);
      if (button) button.focus();
    }
  }

  // an exercise's drawing, as printed on its card; decorative: its title is beside it
  function drawing(src) {
    const img = document.createElement("img");
    img.className = "figure";
    img.alt = "";
    img.width = 48;
    img.height = 48;
    img.addEventListener("error", () => { img.hidden = true; });
    if (src) img.src = src; else img.hidden = true;
    return img;
  }

  function add(ex) {
    if (plan.some((e) => e.id === ex.id)) return;
    plan.push({ id: ex.id, title: ex.title, sets: ex.sets, amount: ex.amount, unit: ex.unit, rpe: ex.rpe,
                per_week: ex.per_week, load: ex.load, defaultLoad: ex.load, figure: ex.figure });
    renderPlan();
    refresh();
  }

  let found = [];
  let asked = 0;  // a slow answer to an earlier search never replaces a newer one's
  async function searchNow() {
    const mine = ++asked;
    const words = $("#search").value;
    const query = new URLSearchParams({ q: words, region: $("#region").value, equipment: $("#equipment").value });
    const response = await fetch("/api/exercises?" + query.toString());
    const answer = response.ok ? await response.json() : [];
    if (mine !== asked) return answer;  // the list on screen is a newer search's; the caller still gets its own answer
    found = answer;
    $("#no-match").textContent = found.length ? "" : `No exercise matches “${words.trim()}”${$("#region").value || $("#equipment").value ? " with these filters" : ""}. Try another word, or fewer.`;
    results.textContent = "";
    for (const ex of found) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "add";
      button.dataset.id = ex.id;
      button.textContent = "Add";
      button.addEventListener("click", () => add(ex));
      const text = document.createElement("span");
      const title = document.createElement("strong");
      title.textContent = ex.title;
      text.append(title, document.createTextNode(` — ${ex.summary}`));
      li.append(button, drawing(ex.figure), text);
      results.appendChild(li);
    }
    results.dataset.query = words;  // what the list is the answer to
    return found;
  }
  const search = debounce(searchNow, 150);

  $("#search").addEventListener("input", search);
  $("#search").addEventListener("keydown", async (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (!$("#search").value.trim()) return;  // nothing typed: nothing to add
    const now = await searchNow();  // the answer to what is typed now, not to the last pause
    if (now.length) add(now[0]);
  });
  $("#region").addEventListener("change", search);
  $("#equipment").addEventListener("change", search);
  for (const id of ["patient", "patient-id", "note", "start", "paper", "grayscale", "lang"]) {
    $("#" + id).addEventListener(id === "grayscale" || id === "paper" || id === "lang" ? "change" : "input", refresh);
  }
  if ($("#email")) $("#email").addEventListener("input", keep);

  const actionButtons = ["#download", "#print", "#send"].map((id) => $(id)).filter(Boolean);
  let busy = false;
  async function make(action, win, confirmResend = false) {
    if (busy) return;  // a double click makes one handout
    busy = true;
    actionButtons.forEach((b) => { b.disabled = true; });
    try {
      await makeNow(action, win, confirmResend);
    } finally {
      busy = false;
      actionButtons.forEach((b) => { b.disabled = false; });
    }
  }

  async function makeNow(action, win, confirmResend) {
    clearErrors();
    $("#status").textContent = action === "email" ? "Sending the handout…" : "Making the handout…";
    const payload = body();
    payload.action = action;
    if (action === "email") { payload.email = $("#email").value; payload.confirm_resend = confirmResend; }
    const response = await post("/api/handout", payload);
    const result = await response.json();
    if (response.status === 409 && result.confirm) {
      $("#status").textContent = "";
      if (window.confirm(result.confirm)) { busy = false; await makeNow(action, win, true); }
      else $("#status").textContent = "Not sent again.";
      return;
    }
    if (!response.ok) {
      if (win) win.close();
      $("#status").textContent = "";
      showError(result.field, result.error);
      return;
    }
    $("#status").textContent = (action === "email" ? "Emailed. " : "Saved as ") + result.name +
      (result.password ? ` — PDF password: ${result.password}` : "") + (result.warning ? ` (${result.warning})` : "");
    if (action === "download") {
      const link = document.createElement("a");
      link.href = result.file + "?download=1";
      link.download = result.name;
      document.body.appendChild(link);
      link.click();
      link.remove();
    } else if (action === "print" && win) {
      win.location = result.file;
    }
  }

  $("#download").addEventListener("click", () => make("download"));
  $("#print").addEventListener("click", () => make("print", window.open("about:blank", "_blank")));
  if ($("#send")) $("#send").addEventListener("click", () => make("email"));

  // programs and favourites to start a plan from
  const startFrom = $("#start-from");
  async function loadStarts() {
    const response = await fetch("/api/starts");
    if (!response.ok) return;
    const { programs, favourites } = await response.json();
    startFrom.querySelectorAll("optgroup").forEach((g) => g.remove());
    for (const [label, items] of [["Programs", programs], ["Clinic favourites", favourites]]) {
      if (!items.length) continue;
      const group = document.createElement("optgroup");
      group.label = label;
      for (const item of items) {
        const option = document.createElement("option");
        option.value = JSON.stringify([item.kind, item.id]);
        option.textContent = item.name;
        group.appendChild(option);
      }
      startFrom.appendChild(group);
    }
  }
  startFrom.addEventListener("change", async () => {
    if (!startFrom.value) return;
    const [kind, id] = JSON.parse(startFrom.value);
    const name = startFrom.selectedOptions[0].textContent;
    if (plan.length && !window.confirm(`Replace the ${plan.length} exercise${plan.length > 1 ? "s" : ""} in the plan with “${name}”?`)) {
      startFrom.value = "";
      return;
    }
    const response = await post("/api/start", { kind, id });
    const list = await response.json();
    startFrom.value = "";
    if (!response.ok) { showError("start-from", list.error); return; }
    plan.length = 0;
    for (const ex of list) plan.push({ id: ex.id, title: ex.title, sets: ex.sets, amount: ex.amount, unit: ex.unit, rpe: ex.rpe,
                                       per_week: ex.per_week, load: ex.load, defaultLoad: ex.load, figure: ex.figure });
    renderPlan();
    $("#status").textContent = `The plan now holds “${name}”.`;
    refresh();
  });
  $("#save-favourite").addEventListener("click", async () => {
    clearErrors();
    const payload = body();
    payload.name = $("#favourite-name").value;
    const response = await post("/api/favourites", payload);
    const result = await response.json();
    if (!response.ok) { showError(result.field === "favourite" ? "favourite-name" : result.field, result.error); return; }
    $("#favourite-status").textContent = `Saved “${result.saved}” as a clinic favourite.`;
    $("#favourite-name").value = "";
    loadStarts();
  });
  loadStarts();

  const kept = (() => { try { return JSON.parse(sessionStorage.getItem(KEEP) || "null"); } catch { return null; } })();
  if (!reissue && kept && kept.form) {  // back to the page: the plan as it was left
    const f = kept.form;
    $("#patient").value = f.patient || ""; $("#patient-id").value = f.patient_id || ""; $("#note").value = f.note || "";
    if (f.start) $("#start").value = f.start;
    $("#paper").value = f.paper || $("#paper").value; $("#lang").value = f.lang || $("#lang").value;
    $("#grayscale").checked = Boolean(f.grayscale);
    if ($("#email")) $("#email").value = kept.email || "";
    reissueOf = f.reissue_of || null;
    for (const e of kept.plan || []) plan.push(e);
    renderPlan();
    refresh();
  }
  if (reissue) {
    fetch(`/api/record/${encodeURIComponent(reissue)}`).then((r) => r.ok ? r.json() : null).then((record) => {
      if (!record) return;
      $("#patient").value = record.patient;
      $("#patient-id").value = record.patient_id;
      $("#note").value = record.note;
      $("#paper").value = record.paper;
      $("#lang").value = record.lang;
      reissueOf = Number(reissue);  // the server keeps the plan's title, as `handouts again` does
      for (const e of record.exercises) add(e);
      history.replaceState(null, "", "/");
    });
  }
  searchNow();
}

// ---- patients ------------------------------------------------------------------------
const patientSearch = $("#patient-search");
if (patientSearch) {
  const load = debounce(async () => {
    const response = await post("/api/patients", { q: patientSearch.value });  // names travel in the body, never the URL
    const rows = response.ok ? await response.json() : [];
    $("#patients-error").textContent = response.ok ? "" : (await response.json()).error;
    const list = $("#patient-list");
    list.textContent = "";
    for (const r of rows) {
      const tr = document.createElement("tr");
      const link = document.createElement("a");
      link.href = `/patients/${r.id}`;
      link.textContent = r.patient + (r.patient_id ? ` (${r.patient_id})` : "");
      const cells = [r.issued, link, `${r.program} (${r.count} exercises)`, String(r.handouts), r.returned || "none yet"];
      const labels = [...document.querySelectorAll("#patients-page thead th")].map((th) => th.textContent);
      cells.forEach((c, i) => { const td = document.createElement("td"); td.append(c); if (i !== 1) td.dataset.label = labels[i]; tr.appendChild(td); });
      list.appendChild(tr);
    }
  }, 150);
  patientSearch.addEventListener("input", load);
  load();
}

document.querySelectorAll("button.copy").forEach((button) => {
  button.addEventListener("click", async () => {
    const text = $(".summary", button.closest("article"));
    try { await navigator.clipboard.writeText(text.value); } catch { text.select(); document.execCommand("copy"); }
    button.nextElementSibling.textContent = "Copied";
  });
});

// ---- workshop ------------------------------------------------------------------------
const workshopForm = $("#workshop-form");
if (workshopForm) {
  workshopForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const slot = $('.error[data-for="roster"]');
    slot.textContent = "";
    for (const id of ["#workshop-combined", "#workshop-zip", "#workshop-progress"]) $(id).hidden = true;  // nothing from an earlier roster
    $("#workshop-summary").textContent = "";
    $("#workshop-notes").textContent = "";
    const file = $("#roster").files[0];
    if (!file) { slot.textContent = "Choose the roster file first (CSV or .xlsx)."; return; }
    const data = new FormData();
    data.append("roster", file);
    const response = await post("/api/workshop", data, false);
    const started = await response.json();
    if (!response.ok) { slot.textContent = started.error; return; }
    $("#workshop-progress").hidden = false;
    const poll = async () => {
      const state = await (await fetch(`/api/workshop/${started.job}`)).json();
      $("#workshop-bar").max = Math.max(state.total, 1);
      $("#workshop-bar").value = state.done;
      $("#workshop-count").textContent = `${state.done} of ${state.total}`;
      const failures = $("#workshop-failures");
      failures.textContent = "";
      for (const f of state.failures) {
        const li = document.createElement("li");
        li.textContent = `Row ${f.row}: ${f.message}`;
        failures.appendChild(li);
      }
      const notes = $("#workshop-notes");
      notes.textContent = "";
      for (const n of state.notes || []) { const li = document.createElement("li"); li.textContent = n; notes.appendChild(li); }
      if (state.error) { slot.textContent = state.error; return; }
      if (!state.finished) { setTimeout(poll, 300); return; }
      $("#workshop-summary").textContent = state.summary;
      if (state.combined) { $("#workshop-combined").href = state.combined; $("#workshop-combined").hidden = false; }
      if (state.zip) { $("#workshop-zip").href = state.zip; $("#workshop-zip").hidden = false; }
    };
    poll();
  });
}

// ---- returned sheets -------------------------------------------------------------------
const returnedForm = $("#returned-form");
if (returnedForm) {
  const mark = { ticked: "✓", empty: "", unsure: "?" };
  const cell = (tag, text, cls) => {
    const el = document.createElement(tag);
    el.textContent = text;
    if (cls) el.className = cls;
    return el;
  };
  returnedForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = $('.error[data-for="photos"]');
    const files = $("#photos").files;
    problem.textContent = files.length ? "" : "Choose a photo of the returned sheet first.";
    if (!files.length) return;
    const data = new FormData();
    for (const file of files) data.append("photos", file);
    $("#returned-busy").textContent = "Reading…";
    const response = await post("/api/returned", data, false);
    $("#returned-busy").textContent = "";
    const answer = await response.json();
    if (!response.ok) { problem.textContent = answer.error; return; }
    const out = $("#readings");
    out.replaceChildren();
    for (const r of answer.readings) {
      const article = cell("article", "", "record reading");
      if (r.refused) {
        article.append(cell("h2", r.photo), cell("p", `Not read: ${r.refused}.`, "error"));
        out.append(article);
        continue;
      }
      const title = cell("h2", `${r.patient || "Sheet " + r.sheet}: ${r.from} to ${r.to}`);
      article.append(title, cell("p", `${r.summary} (${r.percent}).`, "adherence"), cell("p", r.note, "hint"));
      if (r.record) {
        const link = cell("a", `${r.patient}'s page`);
        link.href = `/patients/${r.record}`;
        article.append(link);
      }
      const table = cell("table", "", "log");
      const head = table.createTHead().insertRow();
      head.append(cell("th", "Exercise"), cell("th", "Goal"));
      r.days.forEach((d, i) => head.append(cell("th", d, i === 7 ? "week2" : "")));
      head.append(cell("th", "Week 1"), cell("th", "Week 2"));
      const body = table.createTBody();
      for (const row of r.rows) {
        const tr = body.insertRow();
        tr.append(cell("td", row.exercise), cell("td", row.goal));
        row.states.forEach((s, i) => tr.append(cell("td", mark[s], `box ${s}${i === 7 ? " week2" : ""}`)));
        tr.append(cell("td", row.weeks[0]), cell("td", row.weeks[1]));
      }
      const wrap = cell("div", "", "table-wrap");
      wrap.append(table);
      const img = document.createElement("img");
      img.src = r.image;
      img.alt = `${r.photo} with each box as read: green ticked, orange unsure`;
      img.className = "reading-photo";
      article.append(wrap, img);
      out.append(article);
    }
  });
}
