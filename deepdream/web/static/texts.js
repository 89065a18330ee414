// The page's texts in its language, for app.js and live.js: the page's template hands over each text its script
// marks with _("..."), translated, English being the key (deepdream.web.locales); English pages hand over none.
// `_("{done} of {total}", { done, total })` fills in the fields.
"use strict";
const TEXTS = JSON.parse((document.getElementById("texts") || {}).textContent || "{}");

function _(text, fields = {}) {
  return (TEXTS[text] || text).replace(/\{(\w+)\}/g, (whole, name) => (name in fields ? String(fields[name]) : whole));
}
