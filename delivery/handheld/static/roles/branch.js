// The branch clerk: arrives bags and checks their manifest, shelves, hands items to couriers
// and takes their returns back, hands documents over at the counter, sends back what is
// returning, and keeps an eye on the shelf.

import {h} from "../ui.js";
import {branchList, formMode, handoverForm, itemMode} from "./common.js";

export function branchModes() {
  return [arriveMode(), itemMode("shelve", "shelve"), toCourierMode(), itemMode("accept", "accept"),
          collectMode(), sendBackMode(), shelfMode()];
}

function arriveMode() {
  return {
    id: "arrive",
    async panel(ctx) {
      const bagId = await ctx.value("manifest_bag");
      return bagId ? manifest(ctx, bagId) : null;
    },
    async onCode(ctx, read) {
      // A bag: all its items arrive; a document: it was really in the bag (the manifest's check).
      await ctx.queue({code: read.code, action: "arrive"});
      if (read.kind === "bag") {
        await ctx.setValue("manifest_bag", read.code);
        ctx.rerender();
      }
    },
    onJudged: (ctx) => ctx.rerender(),
  };
}

async function manifest(ctx, bagId) {
  let bag;
  try {
    bag = await ctx.api("GET", `/v1/bags/${bagId}`);
    await ctx.setValue(`bag:${bagId}`, bag);
  } catch {
    bag = await ctx.value(`bag:${bagId}`);
  }
  const title = h("h3", {}, ctx.t("manifest"), " ", h("bdi", {dir: "ltr"}, bagId));
  if (!bag) return h("section", {class: "card", id: "manifest"}, title, h("p", {class: "small"}, ctx.t("needs_network")));
  const missing = new Set(bag.missing);
  const scanned = bag.items.filter((i) => i.confirmed).length;
  return h("section", {class: "card", id: "manifest", "data-status": bag.status},
    title,
    h("p", {}, ctx.t(`bag_status_${bag.status}`), " · ",
      h("strong", {id: "manifest-count"}, ctx.t("manifest_scanned", {a: scanned, b: bag.items.length}))),
    h("ul", {class: "items"}, bag.items.map((item) => {
      const mark = item.confirmed ? "confirmed" : missing.has(item.tracking_number) ? "missing" : "not_yet";
      return h("li", {class: `item ${mark}`, "data-tn": item.tracking_number, "data-mark": mark},
        h("bdi", {class: "code", dir: "ltr"}, item.tracking_number), " ",
        h("span", {class: "mark"}, ctx.t(mark)));
    })));
}

function toCourierMode() {
  return {
    id: "to_courier",
    async panel(ctx) {
      const chosen = await ctx.value("courier");
      return h("label", {class: "card"}, ctx.t("courier"),
        h("select", {id: "f-courier", onchange: async (event) => {
          await ctx.setValue("courier", event.target.value || null);
          ctx.focusScan();
        }},
        h("option", {value: ""}, ctx.t("choose")),
        ctx.me.couriers.map((c) => h("option", {value: c.username, selected: c.username === chosen},
                                     c.username))));
    },
    async onCode(ctx, read) {
      if (read.kind !== "item") return ctx.refuse(`${read.code} — ${ctx.t("scan_item")}`);
      const courier = await ctx.value("courier");
      if (!courier) return ctx.refuse(ctx.t("courier_needed"));
      await ctx.queue({code: read.code, action: "to_courier", courier});
    },
  };
}

// At the counter: the document's type (from the shelf list kept on the device) says whether the
// ID is checked and a proxy may collect.
function collectMode() {
  return formMode("collect", async (ctx, tn, done) => {
    const shelf = (await ctx.value("branch:ready_for_pickup")) || [];
    const known = shelf.find((i) => i.tracking_number === tn);
    return handoverForm(ctx, {tn, action: "collect", doctype: known?.document_type,
                              oldDocument: known ? known.old_document : null,
                              proxyAllowed: true, onDone: done});
  });
}

function sendBackMode() {
  return {
    ...itemMode("send_back", "send_back"),
    panel: (ctx) => branchList(ctx, "returning", ctx.t("returning_title")),
  };
}

function shelfMode() {
  return {
    id: "shelf",
    scans: false,
    panel: (ctx) => branchList(ctx, "ready_for_pickup", ctx.t("shelf_title")),
  };
}
