"use strict";
// The crew page's service worker: Web Push pages, and the page kept for use with no signal.
//
// The page shell and its assets are fetched network-first (a new release reaches the phone at
// once) and kept; with no network the kept copy opens. The crew's two reads (who am I, my
// assignments) are kept the same way, marked `X-Liftrescue-Offline: 1` when served from the
// copy so the page can say it is showing old news. Actions (POST) never touch the cache: the
// page queues them itself, with their idempotency keys.
const CACHE = "liftrescue-crew-v2";
const SHELL = ["/crew/assets/crew.css", "/crew/assets/crew.js", "/crew/assets/i18n.js",
  "/crew/assets/live.js", "/crew/assets/queue.js", "/crew/assets/site.js", "/crew/assets/sse.js"];
const READS = ["/api/v1/crew/me", "/api/v1/crew/assignments"];
const TIMEOUT_MS = 6000;

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE)
    .then((c) => c.addAll(["/crew", ...SHELL]))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== location.origin) return;
  if (req.mode === "navigate" && url.pathname.startsWith("/crew")) {
    e.respondWith(networkFirst(req, "/crew")); // one shell for every incident's link
  } else if (SHELL.includes(url.pathname) || READS.includes(url.pathname)) {
    e.respondWith(networkFirst(req, url.pathname));
  }
});

async function networkFirst(req, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await within(fetch(req), TIMEOUT_MS);
    if (res.ok) await cache.put(key, res.clone());
    return res;
  } catch (err) {
    const kept = await cache.match(key);
    if (!kept) throw err;
    const headers = new Headers(kept.headers);
    headers.set("X-Liftrescue-Offline", "1");
    return new Response(kept.body, { status: kept.status, headers });
  }
}

// A stairwell's one bar of signal can hang a request for minutes: give up on it in time.
function within(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer in time")), ms);
    promise.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

// Pushes carry no payload: say a page came, and open the crew page on a tap.
self.addEventListener("push", (e) => {
  e.waitUntil(self.registration.showNotification("电梯困人 · 新派单 / New page", {
    body: "点击查看并接单 / Tap to open and accept",
    tag: "liftrescue-page",
    renotify: true,
    requireInteraction: true,
  }));
});

self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  e.waitUntil(clients.openWindow("/crew"));
});
