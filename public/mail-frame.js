// Grows the captured-email frame to the email's own height, so staff see the whole email and the
// page scrolls as one. Browsers cannot size a frame to its content without a script. The email itself
// runs nothing (its frame and its CSP both sandbox it); the frame is same-origin only so that this
// script may measure it. Without this script the frame is as tall as the window and scrolls.
for (const frame of document.querySelectorAll('iframe.mail-html')) {
  const fit = () => {
    const doc = frame.contentDocument;
    if (!doc || !doc.documentElement || doc.URL === 'about:blank') return;
    const borders = frame.offsetHeight - frame.clientHeight;
    frame.style.height = `${Math.ceil(doc.documentElement.getBoundingClientRect().height) + borders}px`;
  };
  frame.addEventListener('load', fit);
  // A narrower frame (a phone turned, a window resized) reflows the email: follow its height.
  new ResizeObserver(fit).observe(frame);
  fit();
}
