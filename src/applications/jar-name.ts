// An application's file name becomes a path on the master and a word in its run scripts, which use it unquoted
// (`flink run $JARFILE`): letters, digits and `._+-`, not starting with a dot (never a hidden or temporary file).

export const JAR_NAME_PATTERN = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,199}$/

export function isValidJarName(name: string): boolean {
  return JAR_NAME_PATTERN.test(name)
}
