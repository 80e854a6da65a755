// The staff API, from the device: every call carries the token and the device id it was
// issued for. A refusal becomes an ApiError with the problem's detail; no network (or a server
// that cannot be reached) becomes an Offline error, which callers treat as "try later".

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export class Offline extends Error {}

export async function call(method, path, {session, device, body, accept} = {}) {
  const headers = {Accept: accept || "application/json"};
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (device) headers["X-Device-Id"] = device;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {method, headers, cache: "no-store",
                                  body: body === undefined ? undefined : JSON.stringify(body)});
  } catch (error) {
    throw new Offline(String(error));
  }
  // A proxy's or the server's outage page is not an answer: try later, as with no network.
  if ([502, 503, 504].includes(response.status)) throw new Offline(`HTTP ${response.status}`);
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not a problem document */ }
    throw new ApiError(response.status, problem);
  }
  if (accept && accept !== "application/json") return response.blob();
  return response.status === 204 ? null : response.json();
}

// A session from a login or renewal answer.
export function sessionOf(token, username, now = Date.now()) {
  return {token: token.access_token, username, role: token.role, site: token.site,
          issuedAt: now, expiresAt: now + token.expires_in * 1000};
}

// Renew once a quarter of the token's life is left (or less than an hour).
export function needsRenewal(session, now = Date.now()) {
  const life = session.expiresAt - session.issuedAt;
  return session.expiresAt - now < Math.min(life / 4, 3600 * 1000);
}
