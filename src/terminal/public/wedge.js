// Keyboard-wedge scanners: a USB scanner in keyboard mode types a code as a burst of keystrokes
// ending in Enter. A burst is told from a person typing by its timing alone, wherever the focus is:
// at least MIN_LENGTH characters, each within MAX_GAP_MS of the one before, then Enter within the
// same gap. A person typing (slower) is left alone. The characters a burst typed into a field are
// taken back out of it, and its Enter does not reach the page (no form is submitted by a scan).

export const MIN_LENGTH = 8;
export const MAX_GAP_MS = 30;

/**
 * Calls onScan(text) for each burst. Listens on `target` (the document) in the capture phase, so
 * that it sees keys before any field's own handlers. Returns a function that stops listening.
 */
export function watchKeyboardWedge(onScan, target = document) {
  let chars = '';
  let last = -Infinity;
  let field = null; // the text field the burst started in, and its value then
  let fieldValue = '';

  const reset = () => {
    chars = '';
    field = null;
  };
  // The first key of what may be a burst (a character, or the Shift a scanner holds for a capital):
  // remember where it is going.
  const start = () => {
    chars = '';
    const el = document.activeElement;
    field = el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') ? el : null;
    fieldValue = field ? field.value : '';
  };

  const onKey = (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey || e.isComposing) return reset();
    const now = e.timeStamp;
    const gap = now - last;
    last = now;
    if (e.key === 'Enter') {
      const burst = chars.length >= MIN_LENGTH && gap < MAX_GAP_MS;
      const text = chars;
      const typedInto = field;
      const before = fieldValue;
      reset();
      if (!burst) return;
      e.preventDefault();
      e.stopPropagation();
      if (typedInto && document.activeElement === typedInto && typedInto.value.endsWith(text)) typedInto.value = before;
      onScan(text);
      return;
    }
    if (e.key.length !== 1) {
      if (e.key !== 'Shift') reset(); // scanners type shifted letters; any other key is a person
      else if (gap >= MAX_GAP_MS) start();
      return;
    }
    if (gap >= MAX_GAP_MS) start();
    chars += e.key;
  };

  target.addEventListener('keydown', onKey, true);
  return () => target.removeEventListener('keydown', onKey, true);
}
