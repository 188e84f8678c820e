/** Room naming: `{room}` in the destination template becomes `<runId>-<n>`. */
export function roomName(runId: string, room: number): string {
  return `${runId}-${room}`;
}

export function destinationFor(template: string, runId: string, room: number): string {
  return template.split('{room}').join(roomName(runId, room));
}
