// Writes the units of this folder: the rendering of master/cli/systemd-units.ts with its defaults
// (`gov install-units` renders the same text with the paths it is given). Run after `npm run build`:
//   node contrib/systemd/render.mjs
import { writeFileSync } from 'node:fs';

const { renderUnits, UNIT_DEFAULTS } = await import(
  new URL('../../dist/master/cli/systemd-units.js', import.meta.url).href
);
for (const u of renderUnits(UNIT_DEFAULTS)) {
  writeFileSync(new URL(u.name, import.meta.url), u.text);
  console.log(`wrote contrib/systemd/${u.name}`);
}
