// The courier: today's route in order, with the way there and a call to the citizen; takes
// items from the branch, delivers (the citizen's code and, where the document needs it, the
// ID's last four) or records why not, returns the rest, and sees the day's summary.

import {ApiError} from "../api.js";
import {h} from "../ui.js";
import {doctypeName, failForm, formMode, handoverForm, itemMode} from "./common.js";

export function courierModes() {
  return [routeMode(), itemMode("take", "take"), deliverMode(), failMode(),
          itemMode("return", "return"), summaryMode()];
}

async function route(ctx) {
  try {
    const fresh = await ctx.api("GET", "/v1/routes/mine");
    await ctx.setValue("route", {at: new Date().toISOString(), plan: fresh});
    return {plan: fresh, cached: false};
  } catch {
    const kept = await ctx.value("route");
    return {plan: kept?.plan ?? null, at: kept?.at, cached: true};
  }
}

async function routeItem(ctx, tn) {
  const kept = await ctx.value("route");
  for (const stop of kept?.plan?.stops ?? []) {
    const item = stop.items.find((i) => i.tracking_number === tn);
    if (item) return item;
  }
  return null;
}

function routeMode() {
  return {
    id: "route",
    scans: false,
    async panel(ctx) {
      const {plan, at, cached} = await route(ctx);
      const head = h("h3", {}, ctx.t("route_title"));
      const note = cached && at ? h("p", {class: "small"}, ctx.t("offline_cached")) : null;
      if (!plan?.stops?.length) return h("section", {id: "route"}, head, note, h("p", {}, ctx.t("route_empty")));
      return h("section", {id: "route"}, head, note,
        h("ol", {class: "stops"}, plan.stops.map((stop) => stopCard(ctx, stop))));
    },
  };
}

function stopCard(ctx, stop) {
  const first = stop.items[0] || {};
  const address = [first.district, first.mahalla && ctx.t("mahalla", {v: first.mahalla}),
                   first.zuqaq && ctx.t("zuqaq", {v: first.zuqaq}),
                   first.house && ctx.t("house", {v: first.house})].filter(Boolean).join("، ");
  return h("li", {class: "stop card", "data-seq": stop.seq},
    h("h4", {}, ctx.t("stop", {n: stop.seq}), " · ", h("bdi", {dir: "ltr"}, stop.planned_window),
      stop.carried ? h("span", {class: "tag"}, ctx.t("carried")) : null),
    stop.call_ahead ? h("p", {class: "tag call-ahead"}, ctx.t("call_ahead")) : null,
    address ? h("p", {}, address) : null,
    first.address_text ? h("p", {class: "small"}, first.address_text) : null,
    first.landmark ? h("p", {}, h("strong", {}, `${ctx.t("landmark")}: `), first.landmark) : null,
    h("a", {class: "button alt", href: `geo:${stop.lat},${stop.lon}?q=${stop.lat},${stop.lon}`,
            "data-geo": true}, ctx.t("navigate")),
    h("ul", {class: "items"}, stop.items.map((item) => itemRow(ctx, item))));
}

function itemRow(ctx, item) {
  const phone = h("span", {class: "phone"});
  return h("li", {"data-tn": item.tracking_number},
    h("bdi", {class: "code", dir: "ltr"}, item.tracking_number), " ",
    h("span", {}, doctypeName(ctx, item.document_type)), " · ", h("bdi", {dir: "ltr"}, item.citizen),
    item.phone ? h("span", {dir: "ltr", class: "masked"}, item.phone) : null,
    h("div", {class: "row"},
      h("button", {type: "button", class: "alt call", onclick: async () => {
        try {
          const shown = await ctx.api("POST", `/v1/items/${item.tracking_number}/phone`);
          phone.replaceChildren(h("a", {class: "button", href: `tel:${shown.phone}`, dir: "ltr"}, shown.phone));
        } catch (error) {
          ctx.refuse(error instanceof ApiError && [403, 404].includes(error.status)
            ? ctx.t("reveal_refused") : ctx.t("needs_network"));
        }
      }}, ctx.t("call")),
      h("button", {type: "button", class: "deliver",
                   onclick: () => ctx.switchMode("deliver", item.tracking_number)}, ctx.t("mode_deliver")),
      h("button", {type: "button", class: "alt fail",
                   onclick: () => ctx.switchMode("fail", item.tracking_number)}, ctx.t("mode_fail"))),
    phone);
}

function deliverMode() {
  return formMode("deliver", async (ctx, tn, done) => {
    const item = await routeItem(ctx, tn);
    return handoverForm(ctx, {tn, action: "deliver", doctype: item?.document_type,
                              oldDocument: item ? item.old_document : null,
                              proxyAllowed: false, onDone: done});
  });
}

function failMode() {
  return formMode("fail", (ctx, tn, done) => failForm(ctx, {tn, onDone: done}));
}

function summaryMode() {
  return {
    id: "summary",
    scans: false,
    async panel(ctx) {
      let day;
      try {
        day = await ctx.api("GET", "/v1/me/today");
      } catch {
        return h("p", {class: "small"}, ctx.t("needs_network"));
      }
      const rows = Object.entries(day.actions);
      return h("section", {class: "card", id: "summary"},
        h("h3", {}, ctx.t("summary_title")),
        h("dl", {}, rows.map(([action, n]) => [h("dt", {}, ctx.t(`action_${action}`)),
                                               h("dd", {"data-action": action}, String(n))])),
        Object.keys(day.failures).length ? h("h4", {}, ctx.t("failures")) : null,
        h("dl", {}, Object.entries(day.failures).map(([reason, n]) =>
          [h("dt", {}, ctx.t(`reason_${reason}`)), h("dd", {}, String(n))])),
        h("p", {id: "holding"}, ctx.t("holding", {n: day.holding.length})),
        h("ul", {id: "held", class: "items"}, day.holding.map((item) =>
          h("li", {"data-tn": item.tracking_number, "data-state": item.state},
            h("bdi", {class: "code", dir: "ltr"}, item.tracking_number),
            item.state === "returning" ? [" · ", h("span", {class: "tag"}, ctx.t("to_return"))] : null))));
    },
  };
}
