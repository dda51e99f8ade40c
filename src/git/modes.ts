/** A tree entry that is a regular file (plain or executable): a symlink's blob is a path, and a submodule's id is not a blob here. */
export function isRegularFile(mode: string): boolean {
  return mode === '100644' || mode === '100755';
}
