// What a scanned or typed code is, checked before anything is queued: a UPU S10 tracking
// number (two letters, eight digits, a check digit, two letters) or a bag id (`BAG`, nine
// digits, a Damm check digit). The same rules as the server's (delivery/intake/s10.py,
// delivery/custody/bags.py): a misread or mistyped code is caught on the device.

const S10 = /^[A-Z]{2}([0-9]{8})([0-9])[A-Z]{2}$/;
const BAG = /^BAG([0-9]{10})$/;
const WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

// Arabic-Indic and Eastern Arabic-Indic digits, as a phone keyboard may type them.
const DIGITS = {"٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6", "٧": "7",
                "٨": "8", "٩": "9", "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4", "۵": "5",
                "۶": "6", "۷": "7", "۸": "8", "۹": "9"};

export function normalise(text) {
  return String(text).trim().toUpperCase().replace(/[\s-]/g, "")
    .replace(/[٠-٩۰-۹]/g, (d) => DIGITS[d]);
}

export function s10CheckDigit(serial8) {
  const sum = WEIGHTS.reduce((acc, w, i) => acc + w * Number(serial8[i]), 0);
  const digit = 11 - (sum % 11);
  return digit === 10 ? 0 : digit === 11 ? 5 : digit;
}

export function dammCheck(digits) {
  let interim = 0;
  for (const d of digits) interim = DAMM[interim][Number(d)];
  return interim;
}

// {kind: "item"|"bag", code} or {error: "not_a_code"|"bad_check_digit"}.
export function classify(text) {
  const code = normalise(text);
  const item = S10.exec(code);
  if (item) {
    return s10CheckDigit(item[1]) === Number(item[2]) ? {kind: "item", code}
                                                      : {error: "bad_check_digit", code};
  }
  const bag = BAG.exec(code);
  if (bag) return dammCheck(bag[1]) === 0 ? {kind: "bag", code} : {error: "bad_check_digit", code};
  return {error: "not_a_code", code};
}

// Only the last four digits of an ID number; nothing else is sent.
export function lastFour(text) {
  const digits = normalise(text);
  return /^[0-9]{4}$/.test(digits) ? digits : null;
}
