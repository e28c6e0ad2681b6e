/** `{ [key]: value }` when the caller set the value, `{}` otherwise: unset parameters are not sent. */
export function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: number });
}
