// ESLint (flat config) for the site's own JavaScript, book/_static/ (not the vendored *.min.js files, which the
// build copies in from npm packages), and the tests' node scripts: `make lint` runs it with the pinned eslint.
import js from "@eslint/js";
import globals from "globals";

const MODULES = ["book-maths.js", "book-formats.js", "book-collection.js"].map((name) => `book/_static/${name}`);

export default [
  { ignores: ["**/*.min.js", "_build/**", "node_modules/**", ".venv/**", ".cache/**"] },
  js.configs.recommended,
  { // the pages' classic scripts: each an IIFE over the browser's globals and plotly's
    files: ["book/_static/**/*.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser, Plotly: "readonly" } },
  },
  { // ES modules the pages, the workers and node import: no globals of any host
    files: MODULES,
    languageOptions: { sourceType: "module", globals: {} },
  },
  { // the model's worker, started as a module worker
    files: ["book/_static/book-model-worker.js"],
    languageOptions: { sourceType: "module", globals: globals.worker },
  },
  { // the workbench's worker, a classic worker with papaparse and umap-js loaded by importScripts
    files: ["book/_static/book-workbench-worker.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.worker, Papa: "readonly", UMAP: "readonly" } },
  },
  { // the tests' node scripts
    files: ["tests/**/*.mjs", "eslint.config.mjs"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
