// ESLint over the pages' scripts (web/static/js): the recommended rules, browser globals plus
// the vendored libraries'. From the repository root:
//   tests/js/node_modules/.bin/eslint -c tests/js/eslint.config.mjs web/static/js
// (or `npm run lint` here).
import js from "@eslint/js";
import globals from "globals";

const files = ["web/static/js/**/*.js"];

export default [
  { files, ...js.configs.recommended },
  {
    files,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, io: "readonly", uPlot: "readonly" },
    },
    rules: {
      // `const { ts, full, ...snapshot } = update` leaves ts and full out on purpose.
      "no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
];
