import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What GitHub keeps beside the git repository: issues and pull requests (one numbering, as on
 * GitHub), comments and labels. It is saved as JSON inside the bare repository
 * (`<repo>/github-sim.json`) after every change, so a restarted simulator still knows PR #3 when
 * `git log` says "Merge pull request #3", and the file travels with the repository it describes.
 * Git objects and refs are never duplicated here: the repository is their only home.
 */

export const STATE_FILE = 'github-sim.json';

export interface StoredPull {
  id: number;
  /** Branch names (this simulator serves one repository, so heads are never forks). */
  head: string;
  base: string;
  /** Follows the head branch while the PR is open; frozen when it is closed or merged. */
  headSha: string;
  /** Follows the base branch while open; when merged, the base as it was just before the merge. */
  baseSha: string;
  draft: boolean;
  maintainerCanModify: boolean;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  /** The test merge (`refs/pull/N/merge`) of the current base and head: computed once per pair. */
  testMerge?: { baseSha: string; headSha: string; sha: string | null };
}

export interface StoredIssue {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'reopened' | 'not_planned' | null;
  author: string;
  /** Label names, in the order they were added. */
  labels: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: string | null;
  pull?: StoredPull;
}

export interface StoredComment {
  id: number;
  issue: number;
  body: string;
  author: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoredLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

interface StateData {
  version: 1;
  nextNumber: number;
  nextId: number;
  createdAt: string;
  issues: StoredIssue[];
  comments: StoredComment[];
  labels: StoredLabel[];
}

/** GitHub's timestamps: ISO 8601 in UTC, whole seconds. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class StateStore {
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly data: StateData,
    private readonly clock: () => Date,
  ) {}

  /** Loads the state saved in `repoDir`, or starts an empty one. */
  static async open(repoDir: string, clock: () => Date): Promise<StateStore> {
    const file = join(repoDir, STATE_FILE);
    const data: StateData = existsSync(file)
      ? (JSON.parse(await readFile(file, 'utf8')) as StateData)
      : { version: 1, nextNumber: 1, nextId: 1000, createdAt: timestamp(clock()), issues: [], comments: [], labels: [] };
    return new StateStore(file, data, clock);
  }

  /**
   * Runs `work` after every earlier exclusive work has finished: mutating requests go one at a
   * time, so "check, then write" on PRs, refs and comments cannot interleave.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Writes the state atomically (temporary file, then rename), so a crash never leaves half a file. */
  async save(): Promise<void> {
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(this.data, null, 2)}\n`);
    await rename(temporary, this.file);
  }

  now(): string {
    return timestamp(this.clock());
  }

  get createdAt(): string {
    return this.data.createdAt;
  }

  /** Ids for issues, pull requests, comments and labels: one sequence, like GitHub's database ids. */
  nextId(): number {
    return this.data.nextId++;
  }

  /** Issues and pull requests share one number sequence per repository. */
  nextNumber(): number {
    return this.data.nextNumber++;
  }

  get issues(): readonly StoredIssue[] {
    return this.data.issues;
  }

  issue(number: number): StoredIssue | undefined {
    return this.data.issues.find((issue) => issue.number === number);
  }

  addIssue(issue: StoredIssue): void {
    this.data.issues.push(issue);
  }

  get comments(): readonly StoredComment[] {
    return this.data.comments;
  }

  comment(id: number): StoredComment | undefined {
    return this.data.comments.find((comment) => comment.id === id);
  }

  addComment(comment: StoredComment): void {
    this.data.comments.push(comment);
  }

  removeComment(id: number): void {
    this.data.comments = this.data.comments.filter((comment) => comment.id !== id);
  }

  get labels(): readonly StoredLabel[] {
    return this.data.labels;
  }

  /** Label names are case-insensitive on GitHub. */
  label(name: string): StoredLabel | undefined {
    const wanted = name.toLowerCase();
    return this.data.labels.find((label) => label.name.toLowerCase() === wanted);
  }

  addLabel(label: StoredLabel): void {
    this.data.labels.push(label);
  }

  removeLabel(name: string): void {
    const wanted = name.toLowerCase();
    this.data.labels = this.data.labels.filter((label) => label.name.toLowerCase() !== wanted);
    for (const issue of this.data.issues) issue.labels = issue.labels.filter((label) => label.toLowerCase() !== wanted);
  }
}
