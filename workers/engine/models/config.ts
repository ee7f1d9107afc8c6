/** The builders' config error; the one architecture parser is src/core/models/architecture.ts (DESIGN §4). */
export { ModelConfigError } from '../../../src/core/models/architecture';
