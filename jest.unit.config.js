/**
 * The unit project alone, as one jest configuration: what `npm run mutate` runs for every
 * mutant (a configuration with `projects` would run the integration project, and start
 * moto_server, as well).
 */
const { projects, testTimeout } = require('./jest.config');

const { displayName: _name, ...unit } = projects.find((p) => p.displayName === 'unit');

module.exports = { ...unit, testTimeout };
