// The scan field. Rugged handhelds (Zebra, Honeywell, Urovo) type what they read into the
// focused field and press Enter, so the field keeps the focus and Enter submits; a person can
// type the number on the same field (the keyboard button lets the phone's keyboard show); the
// camera is the third way in and submits the same way.

import {h} from "./ui.js";
import {t} from "./i18n.js";

export function scanBox(onCode) {
  const input = h("input", {id: "scan", type: "text", autocomplete: "off", autocapitalize: "characters",
                            spellcheck: "false", enterkeyhint: "enter", inputmode: "none",
                            dir: "ltr", "aria-label": t("scan_here"), placeholder: t("scan_here")});
  const video = h("video", {id: "camera", playsinline: true, muted: true, hidden: true});
  let camera = null;
  const cameraButton = h("button", {type: "button", class: "alt", id: "camera-button",
                                    onclick: () => toggleCamera()}, t("camera"));
  const form = h("form", {id: "scan-form", class: "scan", onsubmit: (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    if (text.trim()) onCode(text, "typed");
    focus();
  }},
  h("div", {class: "scanrow"}, input, h("button", {type: "submit"}, t("enter"))),
  h("div", {class: "scanrow"},
    h("button", {type: "button", class: "alt", onclick: () => {
      input.inputMode = input.inputMode === "none" ? "text" : "none";
      input.blur();
      input.focus();
    }}, t("keyboard")),
    cameraButton),
  video);

  async function toggleCamera() {
    if (camera) {
      camera.stop();
      camera = null;
      video.hidden = true;
      cameraButton.textContent = t("camera");
      input.focus({preventScroll: true});
      return;
    }
    video.hidden = false;
    cameraButton.textContent = t("stop_camera");
    try {
      const {startCamera} = await import("./camera.js");
      camera = await startCamera(video, (code) => onCode(code, "camera"));
    } catch (error) {
      video.hidden = true;
      cameraButton.textContent = t("camera");
      form.dispatchEvent(new CustomEvent("camerafailed", {bubbles: true, detail: String(error)}));
    }
    input.focus({preventScroll: true}); // a wedge scan may follow at any moment
  }

  function focus() {
    const active = document.activeElement;
    // Never steal the focus from a field the person is filling in.
    if (active && active !== input && ["INPUT", "SELECT", "TEXTAREA"].includes(active.tagName)) return;
    input.focus({preventScroll: true});
  }

  form.stopCamera = () => { if (camera) toggleCamera(); };
  form.focusScan = focus;
  return form;
}
