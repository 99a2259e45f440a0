// The number a menu row on screen gives an item, found by its label: tests type what a person
// reads, so a new item shifting the numbers does not break them. The last menu in `text` counts
// (a console transcript holds many).
export function menuKey(text: string, label: string): string {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rows = [...text.matchAll(new RegExp(`(?:^|\\s)(\\d{1,2})\\) ${escaped}(?= {2}|\\s*$)`, 'gm'))];
  const last = rows.at(-1);
  if (last === undefined) throw new Error(`no '${label}' in the menu on screen:\n${text.slice(-2000)}`);
  return last[1]!;
}
