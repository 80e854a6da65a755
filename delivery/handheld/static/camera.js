// The handheld's camera as a barcode scanner: Code 128, what Tasheel's labels carry (an item's
// S10 number, a bag's id).
//
// The browser's own BarcodeDetector when it reads Code 128 (Chrome on Android); otherwise the
// vendored ZXing, loaded only then (it is 350 kB), decoding a few frames a second drawn from the
// video into a canvas.

const ZXING_URL = "/static/vendor/zxing/index.min.js";
const SAME_CODE_AFTER_MS = 2000;
const FRAME_INTERVAL_MS = 200; // five frames a second: quick enough in the hand, easy on battery

// Start reading barcodes from the phone's rear camera into <video>; calls onCode(text) once per
// distinct code read (debounce: the same text again only after 2 s). Returns {stop()}.
export async function startCamera(video, onCode) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error("this browser cannot use the camera here (it needs https)");
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: "environment" },
    audio: false,
  });
  let decoder;
  try {
    video.muted = true;
    video.playsInline = true; // iOS would open its full-screen player otherwise
    video.srcObject = stream;
    await video.play();
    decoder = (await nativeDecoder()) ?? (await zxingDecoder());
  } catch (error) {
    stopTracks(stream, video);
    throw error;
  }
  const report = debounced(onCode);
  let running = true;
  let timer = null;
  const tick = async () => {
    if (!running) return;
    try {
      for (const text of await decoder.read(video)) report(text);
    } catch (error) {
      console.warn("barcode decoding failed on a frame", error);
    }
    if (running) timer = setTimeout(tick, FRAME_INTERVAL_MS);
  };
  tick();
  return {
    decoder: decoder.kind, // "native" or "zxing": which path reads the codes
    stop() {
      running = false;
      clearTimeout(timer);
      stopTracks(stream, video);
    },
  };
}

function stopTracks(stream, video) {
  for (const track of stream.getTracks()) track.stop();
  video.srcObject = null;
}

// onCode for each text, but not for the same text again until it has been out of sight for
// SAME_CODE_AFTER_MS: a label held in front of the camera is one scan, not five a second.
function debounced(onCode) {
  const lastSeen = new Map();
  return (text) => {
    const now = performance.now();
    const seen = lastSeen.get(text);
    lastSeen.set(text, now);
    if (seen === undefined || now - seen >= SAME_CODE_AFTER_MS) onCode(text);
  };
}

async function nativeDecoder() {
  if (!("BarcodeDetector" in window)) return null;
  const formats = await BarcodeDetector.getSupportedFormats();
  if (!formats.includes("code_128")) return null;
  const detector = new BarcodeDetector({ formats: ["code_128"] });
  return {
    kind: "native",
    read: async (video) => (await detector.detect(video)).map((found) => found.rawValue),
  };
}

let zxingLoading = null;

// window.ZXing, from one <script> added on first use (and again only if that one failed).
function loadZxing() {
  if (window.ZXing) return Promise.resolve(window.ZXing);
  zxingLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = ZXING_URL;
    script.onload = () => resolve(window.ZXing);
    script.onerror = () => {
      zxingLoading = null;
      script.remove();
      reject(new Error("the barcode decoder could not be loaded"));
    };
    document.head.append(script);
  });
  return zxingLoading;
}

async function zxingDecoder() {
  const ZXing = await loadZxing();
  const reader = new ZXing.MultiFormatReader();
  reader.setHints(new Map([
    [ZXing.DecodeHintType.POSSIBLE_FORMATS, [ZXing.BarcodeFormat.CODE_128]],
    [ZXing.DecodeHintType.TRY_HARDER, true],
  ]));
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return {
    kind: "zxing",
    read: async (video) => {
      if (video.readyState < video.HAVE_CURRENT_DATA || !video.videoWidth) return [];
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const source = new ZXing.HTMLCanvasElementLuminanceSource(canvas);
      const bitmap = new ZXing.BinaryBitmap(new ZXing.HybridBinarizer(source));
      try {
        return [reader.decodeWithState(bitmap).getText()];
      } catch (error) {
        // ZXing throws when a frame holds no readable code: the usual case, not a fault.
        if (error instanceof ZXing.NotFoundException || error instanceof ZXing.ChecksumException
            || error instanceof ZXing.FormatException) return [];
        throw error;
      } finally {
        reader.reset();
      }
    },
  };
}
