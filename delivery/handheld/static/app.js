// The handheld app: signs in, shows the screens of the member of staff's role, turns every scan
// into a queued record on the device, and lets the queue upload whenever the network allows.

import * as api from "./api.js";
import {classify} from "./codes.js";
import {language, refusal, setLanguage, storedLanguage, t, time} from "./i18n.js";
import {modesFor} from "./roles/index.js";
import {scanBox} from "./scanner.js";
import * as store from "./store.js";
import {Sync} from "./sync.js";
import {alarm, beep, h, openPdf, toast} from "./ui.js";

const HANDHELD_ROLES = ["sorting_clerk", "branch_clerk", "courier"];
const RECENT = 30;

const app = {
  device: store.deviceId(),
  session: null,
  me: null,
  modes: [],
  mode: null,
  scanForm: null,
  sync: null,
  doctypes: Object.fromEntries(
    JSON.parse(document.getElementById("doctypes").textContent).map((d) => [d.code, d])),
};

// --- what a role's screens may use -------------------------------------------------------

export const ctx = {
  get me() { return app.me; },
  get session() { return app.session; },
  get online() { return app.sync?.online ?? navigator.onLine; },
  doctype: (code) => app.doctypes[code],
  t,
  // Queues a scan made now on this device and starts an upload.
  async queue(fields) {
    const scan = await store.enqueue({scan_id: store.uuid(), at: new Date().toISOString(),
                                      username: app.session.username, ...fields});
    beep();
    await renderQueue();
    app.sync.flush();
    return scan;
  },
  async api(method, path, body) {
    await renewIfDue();
    return api.call(method, path, {session: app.session, device: app.device, body});
  },
  async pdf(path) {
    try {
      await renewIfDue();
      openPdf(await api.call("GET", path, {session: app.session, device: app.device,
                                           accept: "application/pdf"}));
    } catch (error) {
      refuse(ctx.explain(error));
    }
  },
  refuse,
  // An API call's failure in the reader's words (the server's detail, in English, after it).
  explain(error) {
    if (error instanceof api.Offline) return t("needs_network");
    if (!(error instanceof api.ApiError)) return String(error.message || error);
    const words = {401: "session_expired", 403: "reason_code_role_not_allowed",
                   404: "reason_code_not_found"}[error.status] || "status_rejected";
    return error.problem?.detail ? `${t(words)} (${error.problem.detail})` : t(words);
  },
  // Where the device is, for a hand-over's proof (null when it cannot tell within a few
  // seconds, or may not ask): GPS works with no network, so an offline delivery keeps it too.
  position() {
    if (!navigator.geolocation) return Promise.resolve(null);
    return new Promise((resolve) => {
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({lat: Number(p.coords.latitude.toFixed(6)),
                        lon: Number(p.coords.longitude.toFixed(6))}),
        () => resolve(null), {enableHighAccuracy: true, timeout: 4000, maximumAge: 60000});
    });
  },
  // The scans kept on the device that `keep` picks.
  scans: async (keep) => (await store.all()).filter(keep),
  // Another screen of the role, with what it should open on (a tracking number).
  switchMode(id, opening) {
    app.mode = app.modes.find((m) => m.id === id);
    app.mode.opening = opening;
    renderShell();
  },
  rerender: () => renderMode(),
  focusScan: () => app.scanForm?.focusScan(),
  value: store.getValue,
  setValue: store.setValue,
};

function refuse(text) {
  alarm();
  toast(text, "bad");
}

// --- session -----------------------------------------------------------------------------

async function renewIfDue() {
  if (app.session && api.needsRenewal(app.session)) await renew();
}

async function renew() {
  const token = await api.call("POST", "/v1/auth/renew", {session: app.session, device: app.device});
  app.session = api.sessionOf(token, app.session.username);
  await store.setValue("session", app.session);
}

async function signedOut() {
  // The token is dead (expired, or the account changed): the queue stays until they sign in.
  app.session = null;
  await store.deleteValue("session");
  app.sync?.stop();
  renderLogin(t("session_expired"));
}

async function logout() {
  await app.sync.flush();
  const waiting = await store.countQueued();
  if (waiting) {
    refuse(t("logout_blocked", {n: waiting}));
    return;
  }
  app.scanForm?.stopCamera();
  app.sync.stop();
  await store.wipe();
  app.session = null;
  app.me = null;
  renderLogin();
}

async function login(username, password) {
  const token = await api.call("POST", "/v1/auth/login",
                               {body: {username, password, device_id: app.device}});
  if (!HANDHELD_ROLES.includes(token.role)) throw new Error(t("not_handheld"));
  app.session = api.sessionOf(token, username);
  app.me = await api.call("GET", "/v1/me", {session: app.session, device: app.device});
  await store.setValue("session", app.session);
  await store.setValue("me", app.me);
}

// --- screens -----------------------------------------------------------------------------

const main = () => document.getElementById("main");

function renderLogin(message) {
  document.getElementById("who").textContent = "";
  const error = h("p", {class: "msg", id: "login-error", hidden: !message}, message || "");
  const form = h("form", {id: "login", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      await login(String(data.get("username")).trim(), String(data.get("password")));
      await start();
    } catch (err) {
      error.hidden = false;
      error.textContent = err instanceof api.Offline ? t("login_offline")
        : err instanceof api.ApiError && [401, 403].includes(err.status) ? t("login_failed")
        : err instanceof api.ApiError && err.status === 429 ? t("login_wait")
        : err.message;
      alarm();
    }
  }},
  h("h1", {}, t("login_title")),
  error,
  h("label", {}, t("username"), h("input", {name: "username", id: "username", required: true,
                                            autocomplete: "username", dir: "ltr"})),
  h("label", {}, t("password"), h("input", {name: "password", id: "password", type: "password",
                                            required: true, autocomplete: "current-password",
                                            dir: "ltr"})),
  h("button", {type: "submit", class: "wide"}, t("login")),
  h("p", {class: "small"}, `${t("device")}: `, h("bdi", {dir: "ltr"}, app.device)));
  main().replaceChildren(form);
  form.querySelector("#username").focus();
}

async function start() {
  app.modes = modesFor(app.me.role, ctx);
  app.mode = app.modes.find((m) => m.id === sessionStorage.getItem("tasheel.mode")) || app.modes[0];
  app.sync = new Sync({
    session: () => app.session,
    device: app.device,
    renew,
    onSignedOut: signedOut,
    onChange: (error) => { renderNet(); if (error) refuse(ctx.explain(error)); },
    onJudged: async (results, sent) => {
      await renderQueue();
      const refused = results.filter((r) => r.status === "rejected");
      if (refused.length) {
        const first = refused[0];
        refuse(`${sent.find((s) => s.scan_id === first.scan_id)?.code ?? ""} — `
               + refusal(first.reason, first.error));
      }
      await app.mode.onJudged?.(ctx, results, sent);
    },
  });
  renderShell();
  app.sync.start();
}

function renderShell() {
  document.getElementById("who").textContent =
    `${app.session.username} · ${t(`role_${app.me.role}`)}${app.me.site ? ` · ${app.me.site.name}` : ""}`;
  const tabs = h("nav", {class: "modes", "aria-label": t("app_name")},
    app.modes.map((mode) => h("button", {
      type: "button", class: "mode", "data-mode": mode.id,
      "aria-pressed": String(mode === app.mode),
      onclick: () => { app.mode = mode; sessionStorage.setItem("tasheel.mode", mode.id); renderShell(); },
    }, t(`mode_${mode.id}`))));
  app.scanForm?.stopCamera();
  app.scanForm = scanBox(onCode);
  app.scanForm.addEventListener("camerafailed", () => refuse(t("camera_failed")));
  main().replaceChildren(...[
    tabs,
    h("section", {id: "panel", class: "panel"}),
    app.mode.scans === false ? null : app.scanForm,
    h("section", {class: "queue"},
      h("h2", {}, t("recent")), h("ol", {id: "queue", class: "scans"})),
    h("p", {class: "foot"}, h("button", {type: "button", class: "alt", id: "logout",
                                          onclick: logout}, t("logout")))].filter(Boolean));
  renderMode();
  renderQueue();
  renderNet();
  app.scanForm.focusScan();
}

async function renderMode() {
  const panel = document.getElementById("panel");
  if (!panel) return;
  panel.replaceChildren(...[await app.mode.panel?.(ctx)].flat().filter(Boolean));
  app.scanForm.focusScan();
}

async function renderNet() {
  const net = document.getElementById("net");
  const waiting = await store.countQueued();
  const online = ctx.online;
  net.className = `net ${online ? "on" : "off"}`;
  net.textContent = `${online ? t("online") : t("offline")}${waiting ? ` · ${t("pending", {n: waiting})}` : ""}`;
}

async function renderQueue() {
  const list = document.getElementById("queue");
  if (!list) return;
  const scans = await store.recent(RECENT);
  list.replaceChildren(...scans.map((scan) => h("li", {
    class: `scan ${scan.status}`, "data-code": scan.code, "data-action": scan.action,
    "data-status": scan.status,
  },
  h("span", {class: "code", dir: "ltr"}, scan.code),
  h("span", {class: "what"}, t(`action_${scan.action}`)),
  h("time", {datetime: scan.at}, time(scan.at)),
  h("span", {class: "status"}, t(`status_${scan.status}`)),
  scan.status === "rejected" ? h("span", {class: "why"}, refusal(scan.reason, scan.error)) : null)));
  renderNet();
}

// --- a scan ------------------------------------------------------------------------------

async function onCode(text) {
  const read = classify(text);
  if (read.error) {
    refuse(`${read.code} — ${refusal(read.error)}`);
    return;
  }
  await app.mode.onCode(ctx, read);
}

// --- start -------------------------------------------------------------------------------

async function boot() {
  setLanguage(storedLanguage());
  const picker = document.getElementById("lang");
  picker.value = language();
  picker.addEventListener("change", () => {
    setLanguage(picker.value);
    if (app.session && app.me) renderShell(); else renderLogin();
  });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", {scope: "/app"}).catch(() => {});
  }
  app.session = await store.getValue("session");
  app.me = await store.getValue("me");
  if (app.session && app.me && app.session.expiresAt > Date.now()) await start();
  else if (app.session) await signedOut();
  else renderLogin();
}

boot();
