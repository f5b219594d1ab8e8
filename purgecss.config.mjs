// Builds static/vendor/bootstrap/bootstrap.purged.css: Bootstrap's stylesheet with only the rules our pages can use.
// Run it with `make css`. The committed file must match what this builds:
// trials/tests/test_css_build.py builds it again and fails when it differs.
//
// PurgeCSS keeps a rule when every class in its selector appears, as a word, in one of the
// files below: our templates, the crispy-bootstrap5 templates that draw our form fields,
// the Python that writes HTML, and our scripts (the classes they add). A class built in
// pieces (alert-{{ level }}) is never seen whole: list it in the safelist.
const crispyTemplates = process.env.CRISPY_BOOTSTRAP5_TEMPLATES;
if (!crispyTemplates) {
  throw new Error("Set CRISPY_BOOTSTRAP5_TEMPLATES to crispy_bootstrap5's templates folder (`make css` does).");
}

export const css = ["node_modules/bootstrap/dist/css/bootstrap.min.css"];

export const content = [
  "templates/**/*.html",
  `${crispyTemplates}/bootstrap5/**/*.html`,
  "trials/**/*.py",
  "static/js/**/*.js",
];

// The admin and the emails never load Bootstrap; tests and benchmarks draw no page.
export const skippedContentGlobs = [
  "templates/admin/**",
  "templates/emails/**",
  "trials/tests/**",
  "trials/bench/**",
  "trials/migrations/**",
];

export const safelist = {
  // base.html: one alert per Django message, named by the message's level.
  standard: [/^alert-(danger|info|success|warning)$/],
};

// Custom properties, keyframes and fonts that no kept rule uses go too.
export const variables = true;
export const keyframes = true;
export const fontFace = true;
