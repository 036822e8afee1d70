// A module worker: trains, then posts its report line (or the error) to the page.
import { trainDigits } from './train.js';

try {
  postMessage({ line: await trainDigits() });
} catch (e) {
  postMessage({ error: String(e?.stack ?? e) });
}
