// The review page: sign-in with an investigator's (or operator's) token kept in this browser,
// five tabs, Chinese first with an English switch. Every tab reads the API; nothing writes.
import { currentToken, keepToken, forgetToken, get, ApiFailure } from "./api.js";
import { t, lang, setLang, label } from "./i18n.js";
import { initSearch } from "./search.js";
import { initStats, redrawStats } from "./stats.js";
import { initQuality, initProof, initReplay } from "./more.js";

const $ = (id) => document.getElementById(id);

/** Shows a message under the header ("" clears it). */
export function notice(text) {
  $("notice").textContent = text;
}

function showTab(name) {
  for (const b of document.querySelectorAll("#tabs button")) {
    b.setAttribute("aria-selected", String(b.dataset.tab === name));
  }
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== `tab-${name}`;
  if (name === "stats") redrawStats();
}

async function trySignIn(secret) {
  try {
    await get("/api/v1/review/incidents?per_page=1", secret);
    return "";
  } catch (e) {
    if (e instanceof ApiFailure && (e.status === 401 || e.status === 403)) return t("token_wrong");
    return t("token_unreachable", { why: e.message });
  }
}

function start() {
  $("signin").hidden = true;
  $("app").hidden = false;
  initSearch();
  initStats();
  initQuality();
  initProof();
  initReplay();
  showTab("search");
}

function main() {
  setLang(lang());
  for (const b of document.querySelectorAll("button.lang")) {
    b.addEventListener("click", () => {
      setLang(lang() === "en" ? "zh" : "en");
      document.dispatchEvent(new CustomEvent("langchange"));
    });
  }
  for (const b of document.querySelectorAll("#tabs button")) {
    b.addEventListener("click", () => showTab(b.dataset.tab));
  }
  $("sign-out").addEventListener("click", () => {
    forgetToken();
    location.reload();
  });
  $("signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const secret = $("token").value.trim();
    const why = await trySignIn(secret);
    if (why) {
      $("signin-error").textContent = why;
      return;
    }
    keepToken(secret);
    start();
  });
  label(document);
  if (currentToken()) {
    trySignIn(currentToken()).then((why) => {
      if (why) {
        forgetToken();
        $("signin").hidden = false;
      } else start();
    });
  } else {
    $("signin").hidden = false;
  }
}

main();
