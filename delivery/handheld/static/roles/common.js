// What several roles' screens share: a mode that queues one action per scanned item, the
// hand-over form (the citizen's code, the ID's last four, a proxy), the failed-attempt form,
// and lists of items.

import {lastFour, normalise} from "../codes.js";
import {language} from "../i18n.js";
import {h} from "../ui.js";

// A mode where each scanned document gets `action`; a bag's label is refused on the device.
export function itemMode(id, action) {
  return {
    id,
    async onCode(ctx, read) {
      if (read.kind !== "item") return ctx.refuse(`${read.code} — ${ctx.t("scan_item")}`);
      await ctx.queue({code: read.code, action});
    },
  };
}

// A mode where scanning a document opens a form for it: `form(ctx, tn, done)` builds the form,
// which calls `done` once the scan is queued or given up.
export function formMode(id, form) {
  const mode = {
    id,
    async panel(ctx) {
      if (!mode.opening) return null;
      return form(ctx, mode.opening, () => { mode.opening = null; ctx.rerender(); });
    },
    async onCode(ctx, read) {
      if (read.kind !== "item") return ctx.refuse(`${read.code} — ${ctx.t("scan_item")}`);
      mode.opening = read.code;
      ctx.rerender();
    },
  };
  return mode;
}

export function doctypeName(ctx, code) {
  return ctx.doctype(code)?.name[language()] ?? code;
}

// The form a hand-over to the citizen needs (`deliver` or `collect`), for `tn`; `doctype`
// (when known) says whether the ID is checked and a proxy allowed; unknown, both are offered.
// `oldDocument`: the item replaces an old document to take back (true), does not (false), or the
// device does not know (null: the field is offered, and the server says whether it is needed).
// A type that always takes the old document back (`takes_old_document`) asks for it regardless.
export function handoverForm(ctx, {tn, action, doctype, proxyAllowed, onDone, oldDocument = null}) {
  const type = doctype ? ctx.doctype(doctype) : null;
  if (type?.takes_old_document) oldDocument = true;
  const needsId = type ? type.needs_id_check : true;
  const mayProxy = proxyAllowed && (type ? type.proxy_allowed : true);
  const point = whereNow(ctx);
  const proxyFields = h("div", {id: "proxy-fields", hidden: true},
    h("label", {}, ctx.t("proxy_name"), h("input", {name: "proxy_name", id: "f-proxy-name"})),
    h("label", {}, ctx.t("proxy_id"), h("input", {name: "proxy_id", id: "f-proxy-id", dir: "ltr",
                                                  inputmode: "numeric"})));
  const form = h("form", {id: "handover", class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const otp = normalise(data.get("otp") || "");
    if (!/^[0-9]{6}$/.test(otp)) return ctx.refuse(ctx.t("otp_invalid"));
    const scan = {code: tn, action, otp};
    if (needsId || data.get("id_last4")) {
      const four = lastFour(data.get("id_last4") || "");
      if (!four) return ctx.refuse(ctx.t("id_invalid"));
      scan.id_last4 = four;
    }
    if (data.get("proxy")) {
      const name = String(data.get("proxy_name") || "").trim();
      const idNumber = normalise(data.get("proxy_id") || "");
      if (name.length < 2 || !/^[0-9]{6,20}$/.test(idNumber)) return ctx.refuse(ctx.t("proxy_invalid"));
      scan.proxy = {name, id_number: idNumber};
    }
    if (data.get("old_lost")) {
      scan.old_document_lost = true;
    } else if (data.get("old_number")) {
      scan.old_document_number = normalise(data.get("old_number"));
    } else if (oldDocument) {
      return ctx.refuse(ctx.t("old_document_needed"));
    }
    if (action === "deliver") scan.location = point.value ?? undefined;
    await ctx.queue(scan);
    onDone();
  }},
  h("h3", {}, ctx.t("handover_for", {tn: ""}), h("bdi", {dir: "ltr"}, tn)),
  type ? h("p", {class: "small"}, doctypeName(ctx, doctype)) : null,
  h("label", {}, ctx.t("otp"), h("input", {name: "otp", id: "f-otp", dir: "ltr", inputmode: "numeric",
                                          autocomplete: "off", required: true, maxlength: 12})),
  h("label", {}, ctx.t("id_last4"), h("input", {name: "id_last4", id: "f-id", dir: "ltr",
                                               inputmode: "numeric", autocomplete: "off",
                                               required: needsId, maxlength: 8})),
  mayProxy ? h("label", {class: "check"}, h("input", {type: "checkbox", name: "proxy", id: "f-proxy",
    onchange: (event) => { proxyFields.hidden = !event.target.checked; }}), ctx.t("proxy")) : null,
  mayProxy ? proxyFields : null,
  oldDocument === false ? null : h("fieldset", {id: "old-document"},
    h("label", {}, ctx.t("old_document_number"),
      h("input", {name: "old_number", id: "f-old-number", dir: "ltr", autocomplete: "off",
                  maxlength: 40})),
    h("label", {class: "check"}, h("input", {type: "checkbox", name: "old_lost", id: "f-old-lost"}),
      ctx.t("old_document_lost"))),
  h("div", {class: "row"},
    h("button", {type: "submit"}, ctx.t("confirm")),
    h("button", {type: "button", class: "alt", onclick: onDone}, ctx.t("cancel"))));
  setTimeout(() => form.querySelector("#f-otp").focus());
  return form;
}

// The device's position, asked for as a hand-over's form opens so that confirming never waits
// for it (a scan is queued at once, whatever the GPS is doing); null until it is known.
function whereNow(ctx) {
  const point = {value: null};
  ctx.position().then((found) => { point.value = found; });
  return point;
}

export const FAIL_REASONS = ["absent", "refused", "address_not_found", "unsafe", "wrong_person", "other"];

export function failForm(ctx, {tn, onDone}) {
  const point = whereNow(ctx);
  const form = h("form", {id: "failure", class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const reason = String(data.get("reason") || "");
    const note = String(data.get("note") || "").trim();
    if (!FAIL_REASONS.includes(reason)) return ctx.refuse(ctx.t("reason_code_reason_required"));
    if (reason === "other" && note.length < 3) return ctx.refuse(ctx.t("note_needed"));
    await ctx.queue({code: tn, action: "fail", reason, note: note || undefined,
                     location: point.value ?? undefined});
    onDone();
  }},
  h("h3", {}, ctx.t("mode_fail"), " ", h("bdi", {dir: "ltr"}, tn)),
  h("fieldset", {}, h("legend", {}, ctx.t("reason")),
    FAIL_REASONS.map((reason) => h("label", {class: "check"},
      h("input", {type: "radio", name: "reason", value: reason, required: true}),
      ctx.t(`reason_${reason}`)))),
  h("label", {}, ctx.t("note"), h("textarea", {name: "note", id: "f-note", rows: 2, maxlength: 500})),
  h("div", {class: "row"},
    h("button", {type: "submit"}, ctx.t("confirm")),
    h("button", {type: "button", class: "alt", onclick: onDone}, ctx.t("cancel"))));
  return form;
}

// Who at the agency signs for a document handed back to it (`returned`): their name and the
// last four digits of their ID; `last`, the previous signer, fills the form in.
export function signatureForm(ctx, {tn, last, onDone}) {
  const form = h("form", {id: "signature", class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const name = String(data.get("signed_name") || "").trim();
    const four = lastFour(data.get("signed_id") || "");
    if (name.length < 2 || !four) return ctx.refuse(ctx.t("signed_invalid"));
    const signedBy = {name, id_last4: four};
    await ctx.queue({code: tn, action: "returned", signed_by: signedBy});
    onDone(signedBy);
  }},
  h("h3", {}, ctx.t("mode_returned"), " ", h("bdi", {dir: "ltr"}, tn)),
  h("label", {}, ctx.t("signed_name"), h("input", {name: "signed_name", id: "f-signed-name",
                                                  required: true, maxlength: 200,
                                                  value: last?.name})),
  h("label", {}, ctx.t("signed_id"), h("input", {name: "signed_id", id: "f-signed-id", dir: "ltr",
                                                inputmode: "numeric", autocomplete: "off",
                                                required: true, maxlength: 8,
                                                value: last?.id_last4})),
  h("div", {class: "row"},
    h("button", {type: "submit"}, ctx.t("confirm")),
    h("button", {type: "button", class: "alt", onclick: () => onDone(last)}, ctx.t("cancel"))));
  setTimeout(() => form.querySelector("#f-signed-name").focus());
  return form;
}

// A list of the branch's items (the shelf, what is returning) from the API; offline, the last
// copy kept on the device.
export async function branchList(ctx, state, title) {
  const key = `branch:${state}`;
  let items;
  let cached = false;
  try {
    items = (await ctx.api("GET", `/v1/branch/items?state=${state}&limit=100`)).items;
    await ctx.setValue(key, items);
  } catch {
    items = (await ctx.value(key)) || [];
    cached = true;
  }
  return h("section", {class: "card", id: `list-${state}`},
    h("h3", {}, title, " ", h("span", {class: "count"}, `(${items.length})`)),
    cached ? h("p", {class: "small"}, ctx.t("offline_cached")) : null,
    items.length ? h("ul", {class: "items"}, items.map((item) => h("li", {"data-tn": item.tracking_number},
      h("bdi", {class: "code", dir: "ltr"}, item.tracking_number), " ",
      h("span", {}, doctypeName(ctx, item.document_type)), " ",
      h("span", {class: "age"}, ctx.t("days_waiting", {n: item.days_waiting}))))) :
      h("p", {class: "small"}, ctx.t("nothing")));
}
