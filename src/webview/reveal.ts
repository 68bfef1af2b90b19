/**
 * Scrolls a section to the top of the panel without hiding its start under the sticky run header
 * (#run-header): scrollIntoView alone puts the section's top edge at the viewport's top, which is
 * where the header sits, so a deploy card's title or the data set preview's Write / Cancel buttons
 * ended up behind it. The margin follows the header's height as rendered (it wraps in a narrow
 * panel); set through the CSSOM, which the panel's CSP allows.
 */
const GAP_PX = 8;

export function revealBelowHeader(section: HTMLElement): void {
  const header = document.getElementById('run-header');
  const covered = header && getComputedStyle(header).position === 'sticky' ? header.getBoundingClientRect().height : 0;
  section.style.scrollMarginTop = `${Math.ceil(covered) + GAP_PX}px`;
  section.scrollIntoView?.({ block: 'start' });
}
