export { TracedError, type TracedErrorJSON } from './traced-error.js';
