// The sorting clerk: receives what agencies hand in, fills a bag per branch, dispatches it
// with its label, takes back what branches send back, and records what went back to the agency.

import {h} from "../ui.js";
import {formMode, itemMode, signatureForm} from "./common.js";

export function sortingModes(ctx) {
  // What comes back from a branch is accepted at the centre, then signed for by its agency.
  return [receiveMode(), bagMode(ctx), dispatchMode(), itemMode("accept", "accept"),
          returnedMode()];
}

// Handing a document back to its agency: each one needs who at the agency signed for it. The
// last signer is offered again: one person usually takes the whole day's returns.
function returnedMode() {
  let signer = null;
  return formMode("returned", (ctx, tn, done) => signatureForm(ctx, {
    tn, last: signer, onDone: (who) => { signer = who ?? signer; done(); }}));
}

// Receiving, with the label of the document just received at hand (for one that came without).
function receiveMode() {
  return {
    ...itemMode("receive", "receive"),
    async panel(ctx) {
      const [last] = (await ctx.scans((s) => s.action === "receive" && s.status !== "rejected"))
        .sort((a, b) => b.seq - a.seq);
      if (!last) return null;
      return h("button", {type: "button", class: "alt", id: "print-item",
                          onclick: () => ctx.pdf(`/v1/labels/items/${last.code}?format=pdf`)},
        `${ctx.t("print_label")} `, h("bdi", {dir: "ltr"}, last.code));
    },
    onJudged: (ctx) => ctx.rerender(),
  };
}

function bagMode() {
  return {
    id: "bag",
    async panel(ctx) {
      const bag = await ctx.value("bag");
      if (!bag) return openBagForm(ctx);
      const inBag = (await ctx.scans((s) => s.action === "bag" && s.bag === bag.bag_id
                                             && s.status !== "rejected")).length;
      return h("section", {class: "card", id: "bag"},
        h("h3", {}, ctx.t("bag_current")),
        h("p", {class: "bagid"}, h("bdi", {dir: "ltr", id: "bag-id"}, bag.bag_id), " → ",
          h("strong", {}, branchName(ctx, bag.destination))),
        h("p", {id: "bag-count", class: "big"}, ctx.t("bag_count", {n: inBag})),
        h("div", {class: "row"},
          h("button", {type: "button", id: "dispatch-bag", onclick: async () => {
            await ctx.queue({code: bag.bag_id, action: "dispatch"});
            await ctx.setValue("last_bag", bag);
            await ctx.setValue("bag", null);
            ctx.rerender();
          }}, ctx.t("dispatch_bag")),
          h("button", {type: "button", class: "alt", id: "print-bag",
                       onclick: () => ctx.pdf(`/v1/labels/bags/${bag.bag_id}?format=pdf`)},
            ctx.t("print_label")),
          h("button", {type: "button", class: "alt", onclick: async () => {
            await ctx.setValue("bag", null);
            ctx.rerender();
          }}, ctx.t("other_bag"))));
    },
    async onCode(ctx, read) {
      if (read.kind === "bag") {
        // Resuming a bag already open: its label was scanned.
        try {
          const bag = await ctx.api("GET", `/v1/bags/${read.code}`);
          await ctx.setValue("bag", {bag_id: bag.bag_id, destination: bag.destination});
          ctx.rerender();
        } catch (error) {
          ctx.refuse(ctx.explain(error));
        }
        return;
      }
      const bag = await ctx.value("bag");
      if (!bag) return ctx.refuse(ctx.t("bag_needed"));
      await ctx.queue({code: read.code, action: "bag", bag: bag.bag_id});
      ctx.rerender();
    },
    onJudged: (ctx) => ctx.rerender(),
  };
}

function openBagForm(ctx) {
  const last = h("div", {id: "last-bag"});
  ctx.value("last_bag").then((bag) => {
    if (bag) last.replaceChildren(h("button", {type: "button", class: "alt", id: "print-last-bag",
      onclick: () => ctx.pdf(`/v1/labels/bags/${bag.bag_id}?format=pdf`)},
      `${ctx.t("print_label")} `, h("bdi", {dir: "ltr"}, bag.bag_id)));
  });
  const form = h("form", {id: "open-bag", class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const destination = new FormData(form).get("destination");
    if (!destination) return ctx.refuse(ctx.t("destination"));
    try {
      const bag = await ctx.api("POST", "/v1/bags", {destination});
      await ctx.setValue("bag", {bag_id: bag.bag_id, destination: bag.destination});
      ctx.rerender();
    } catch (error) {
      ctx.refuse(ctx.explain(error));
    }
  }},
  h("label", {}, ctx.t("destination"),
    h("select", {name: "destination", id: "f-destination", required: true},
      h("option", {value: ""}, ctx.t("choose")),
      ctx.me.branches.map((b) => h("option", {value: b.code}, `${b.name} (${b.code})`)))),
  h("button", {type: "submit", id: "open-bag-button"}, ctx.t("open_bag")));
  return [form, last];
}

function branchName(ctx, code) {
  return ctx.me.branches.find((b) => b.code === code)?.name ?? code;
}

function dispatchMode() {
  return {
    id: "dispatch",
    async onCode(ctx, read) {
      if (read.kind !== "bag") return ctx.refuse(`${read.code} — ${ctx.t("scan_bag_label")}`);
      await ctx.queue({code: read.code, action: "dispatch"});
      const bag = await ctx.value("bag");
      if (bag?.bag_id === read.code) await ctx.setValue("bag", null);
    },
  };
}
