// What the device keeps, in IndexedDB (through the vendored `idb` helper, loaded by the page as
// the global `idb`): the queue of scans, in the order they were made, each with its result once
// the server has judged it; and a few values (the session, who I am, my route) under `kv`.
// Logging out wipes both; the device id lives apart (localStorage) and outlives logouts.

const DB_NAME = "tasheel-handheld";
const KEEP_DONE = 300; // judged scans kept on screen; the queued ones are never dropped

let opened = null;

function db() {
  opened ??= idb.openDB(DB_NAME, 1, {
    upgrade(database) {
      const scans = database.createObjectStore("scans", {keyPath: "seq", autoIncrement: true});
      scans.createIndex("scan_id", "scan_id", {unique: true});
      scans.createIndex("status", "status");
      database.createObjectStore("kv");
    },
  });
  return opened;
}

export async function getValue(key) {
  return (await db()).get("kv", key);
}

export async function setValue(key, value) {
  await (await db()).put("kv", value, key);
}

export async function deleteValue(key) {
  await (await db()).delete("kv", key);
}

// Adds a scan to the queue (status "queued"); resolves once it is on disk.
export async function enqueue(scan) {
  const record = {...scan, status: "queued"};
  record.seq = await (await db()).add("scans", record);
  return record;
}

// The oldest queued scans of `username`, at most `limit`, in the order they were made.
export async function queued(username, limit) {
  const database = await db();
  const out = [];
  let cursor = await database.transaction("scans").store.index("status").openCursor("queued");
  while (cursor && out.length < limit) {
    if (cursor.value.username === username) out.push(cursor.value);
    cursor = await cursor.continue();
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export async function countQueued() {
  return (await db()).countFromIndex("scans", "status", "queued");
}

// Records the server's judgement of each scan of an upload, in one transaction.
export async function record(results) {
  const tx = (await db()).transaction("scans", "readwrite");
  const index = tx.store.index("scan_id");
  for (const result of results) {
    const scan = await index.get(result.scan_id);
    if (!scan) continue;
    Object.assign(scan, {status: result.status, state: result.state ?? null,
                         reason: result.reason ?? null, error: result.error ?? null,
                         judged_at: new Date().toISOString()});
    // The citizen's code and ID digits, the old document's number, and who signed for a return,
    // were needed for the upload only: not kept on the device.
    delete scan.otp;
    delete scan.id_last4;
    delete scan.proxy;
    delete scan.signed_by;
    delete scan.old_document_number;
    await tx.store.put(scan);
  }
  await tx.done;
  await prune();
}

// The newest scans, newest first.
export async function recent(limit) {
  const database = await db();
  const out = [];
  let cursor = await database.transaction("scans").store.openCursor(null, "prev");
  while (cursor && out.length < limit) {
    out.push(cursor.value);
    cursor = await cursor.continue();
  }
  return out;
}

export async function all() {
  return (await db()).getAll("scans");
}

// Drops the oldest judged scans beyond KEEP_DONE; a queued scan is never dropped.
async function prune() {
  const tx = (await db()).transaction("scans", "readwrite");
  let kept = 0;
  let cursor = await tx.store.openCursor(null, "prev");
  while (cursor) {
    if (cursor.value.status !== "queued" && ++kept > KEEP_DONE) await cursor.delete();
    cursor = await cursor.continue();
  }
  await tx.done;
}

export async function wipe() {
  const tx = (await db()).transaction(["scans", "kv"], "readwrite");
  await Promise.all([tx.objectStore("scans").clear(), tx.objectStore("kv").clear(), tx.done]);
}

export function deviceId() {
  let id = localStorage.getItem("tasheel.device_id");
  if (!id) {
    id = `hh-${uuid()}`;
    localStorage.setItem("tasheel.device_id", id);
  }
  return id;
}

// A random id: crypto.randomUUID where the page is a secure context, the same from
// getRandomValues otherwise.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
