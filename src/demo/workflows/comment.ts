/**
 * The stand-in's plan comment: one comment per PR, found again by its hidden mark and edited in
 * place, as pr.yml is to keep it. (No action posts it yet: pr.yml brings its own step.)
 */
import { demoGithubClient } from '../github.js';
import type { WorkflowEnvironment } from './types.js';

/** Posts `body` on PR `number`, or edits the comment that carries `mark`; says which. */
export async function upsertComment(env: WorkflowEnvironment, number: number, mark: string, body: string): Promise<'posted' | 'updated'> {
  const [owner = '', repo = ''] = env.repository.split('/');
  const client = demoGithubClient(env.apiUrl, env.secrets.GITHUB_TOKEN);
  const comments = await client.paginate(client.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
  const mine = comments.find((comment) => comment.body?.startsWith(mark));
  if (mine) {
    await client.issues.updateComment({ owner, repo, comment_id: mine.id, body });
    return 'updated';
  }
  await client.issues.createComment({ owner, repo, issue_number: number, body });
  return 'posted';
}
