// Firefox for the site tests (tests/engines.py): Debian's firefox-esr driven through WebDriver BiDi by
// puppeteer-core, which downloads no browser. One JSON command a line on stdin, one JSON answer a line on
// stdout: {"value": ...} or {"error": "..."}. Commands: version, open, call, type, click, problems, quit.
import readline from "node:readline";
import puppeteer from "puppeteer-core";

// Every other site goes through SITE_PROXY (the test server, which notes and refuses such requests).
const [proxy, port] = (process.env.SITE_PROXY || ":").split(":");
// Firefox's own Remote Settings polling would go there too: pointed at a closed local port instead (a
// release build honours that only with MOZ_REMOTE_SETTINGS_DEVTOOLS set, see engines.py).
const prefs = proxy
  ? { "network.proxy.type": 1, "network.proxy.http": proxy, "network.proxy.http_port": Number(port),
      "network.proxy.ssl": proxy, "network.proxy.ssl_port": Number(port),
      "services.settings.server": "http://127.0.0.1:9/v1" }
  : {};
const browser = await puppeteer.launch({
  browser: "firefox",
  executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr",
  headless: true,
  extraPrefsFirefox: prefs,
});
let page = null;
let problems = [];

const commands = {
  version: () => browser.version(),

  async open({ url, width, height }) {
    if (page) await page.close();
    page = await browser.newPage();
    problems = [];
    const site = new URL(url).origin;
    page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(site) && !/^(data|blob|about):/.test(u)) problems.push(`request outside the site: ${u}`);
    });
    await page.setViewport({ width, height });
    await page.goto(url, { waitUntil: "load", timeout: 60000 });
    return null;
  },

  // a function's source, called in the page with one JSON argument; a returned promise is awaited
  call: ({ function: source, arg }) => page.evaluate(`(${source})(${JSON.stringify(arg ?? null)})`),

  async type({ selector, text }) {
    await page.$eval(selector, (box) => { box.value = ""; });
    await page.type(selector, text);
    await page.keyboard.press("Enter");
    return null;
  },

  async click({ selector }) {
    await page.click(selector);
    return null;
  },

  problems: () => problems.slice(),

  async quit() {
    await browser.close();
    return null;
  },
};

const answer = (message) => process.stdout.write(JSON.stringify(message) + "\n");
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const { command, ...args } = JSON.parse(line);
  try {
    answer({ value: (await commands[command](args)) ?? null });
  } catch (error) {
    answer({ error: String((error && error.message) || error) });
  }
  if (command === "quit") break;
}
await browser.close().catch(() => {});
process.exit(0);
