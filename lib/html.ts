/** Text made safe inside HTML, in an element or a quoted attribute: the one escaper of imhub's pages (the console, the sandbox). */
export const escapeHtml = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
