// Uploads the queue: the oldest scans first, in batches, whenever the network is there. A scan
// leaves the queue only when the server has judged it; if an answer is lost on the way, the
// same scans go again and the server recognises their ids (`duplicate`), so nothing is applied
// twice and nothing is dropped.

import * as api from "./api.js";
import * as store from "./store.js";

const BATCH = 100; // the API takes 500; smaller batches keep each request short on a weak link
const RETRY_MS = 15000;

export class Sync {
  // `session()` gives the current session (or null), `renew()` refreshes it (or throws),
  // `onJudged(results, scans)` hears each batch's results, `onChange()` any change of state.
  constructor({session, device, renew, onJudged, onChange, onSignedOut}) {
    Object.assign(this, {session, device, renew, onJudged, onChange, onSignedOut});
    this.running = null;
    this.online = navigator.onLine;
    this.timer = null;
  }

  start() {
    window.addEventListener("online", () => { this.online = true; this.onChange(); this.flush(); });
    window.addEventListener("offline", () => { this.online = false; this.onChange(); });
    this.timer = setInterval(() => this.flush(), RETRY_MS);
    this.flush();
  }

  stop() {
    clearInterval(this.timer);
  }

  // Uploads until the queue is empty or the network fails; one run at a time.
  flush() {
    this.running ??= this.run().finally(() => { this.running = null; this.onChange(); });
    return this.running;
  }

  async run() {
    for (;;) {
      const session = this.session();
      if (!session) return;
      const batch = await store.queued(session.username, BATCH);
      if (!batch.length) return;
      let answer;
      try {
        if (api.needsRenewal(session)) await this.renew();
        answer = await api.call("POST", "/v1/scans", {
          session: this.session(), device: this.device, body: {scans: batch.map(wire)}});
      } catch (error) {
        if (error instanceof api.Offline) { this.online = false; return; }
        if (error instanceof api.ApiError && error.status === 401) { this.onSignedOut(); return; }
        // Any other refusal of the whole upload: keep the scans and say why.
        this.onChange(error);
        return;
      }
      this.online = true;
      await store.record(answer.results);
      this.onJudged(answer.results, batch);
    }
  }
}

// A queued scan as the API takes it: the device's own fields stay on the device.
export function wire(scan) {
  const out = {scan_id: scan.scan_id, code: scan.code, action: scan.action, at: scan.at};
  for (const field of ["bag", "courier", "otp", "id_last4", "reason", "note", "proxy", "location",
                       "signed_by", "old_document_number", "old_document_lost"]) {
    if (scan[field] !== undefined && scan[field] !== null && scan[field] !== "") out[field] = scan[field];
  }
  return out;
}
